"""The hover shows the file's defect risk and why, read from the store (the language server
never trains a model): end to end through `python -m bmad lsp` and pytest-lsp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from bmad.analysis.risk_store import FileRisk, RiskReport, open_risk_store, save_risks
from tests.gitrepo import git
from tests.lsp.test_server import diagnostics, open_document, start_client
from tests.lsp.workspace_files import MONSTER

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "project"  # too few functions for an anomaly model: a quick analysis
    root.mkdir()
    (root / "work.py").write_text(MONSTER)
    (root / "calm.py").write_text("def calm(x):\n    return x\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial import")
    risky = FileRisk("work.py", 0.47, 0.13, 120, 2.5, ("10 lines changed in the last 6 months",))
    with open_risk_store() as store:
        save_risks(
            store, root, "a" * 40, RiskReport("local", "local model", 365, {"work.py": risky})
        )
    return root


@pytest.fixture
async def client(repository: Path) -> AsyncIterator[LanguageClient]:
    started = await start_client("neovim", repository)
    yield started
    await started.shutdown_session()
    await started.stop()


async def test_hover_shows_the_stored_risk_of_the_file_and_why(
    client: LanguageClient, repository: Path
) -> None:
    uri = open_document(client, repository / "work.py", MONSTER)
    await diagnostics(client, uri, 1)
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=7, character=4))
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    assert (
        "**Defect risk of this file**: risk of a fix within a year: 47%, top 13% in this "
        "repository; driven by 10 lines changed in the last 6 months (this repository's model, "
        "as of commit aaaaaaaaaaaa)"
    ) in result.contents.value
    other = open_document(client, repository / "calm.py", (repository / "calm.py").read_text())
    await diagnostics(client, other, 1)
    plain = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(other), types.Position(line=0, character=4))
    )
    assert plain is not None and isinstance(plain.contents, types.MarkupContent)
    assert "Defect risk" not in plain.contents.value
