"""The hover shows the file's defect risk and why, read from the store (the language server
never trains a model), and the diagnostics come in the stored ranking's order (the one
priority): end to end through `python -m bmad lsp` and pytest-lsp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from bmad.analysis.detect import DetectionReport
from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.risk_ranking import DEFECT_RISK_RULE
from bmad.analysis.risk_store import FileRisk, RiskReport, open_risk_store, save_risks
from bmad.analysis.store import open_findings_store, save_report
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


FIRST = "def first(a, b, c, d, e, f, g, h):\n    return a\n\n\n"


def stored_ranking(root: Path) -> None:
    """``first`` ranked above the file's defect-risk note, both above ``monster``."""
    note = Finding(DEFECT_RISK_RULE, "note", "work.py", 1, 1, "work.py: risk of a fix")

    def ranked(rank: int, name: str | None, line: int, priority: float) -> RankedItem:
        kind = "file" if name is None else "function"
        findings = (note,) if name is None else ()
        return RankedItem(rank, kind, "work.py", line, line, name, priority, None, None, findings)

    items = (ranked(1, "first", 1, 10.0), ranked(2, None, 1, 6.0), ranked(3, "monster", 9, 3.0))
    report = DetectionReport(items, 3, 2, 0, 0, {}, (), {}, ())
    with open_findings_store() as store:
        save_report(store, root, report)


async def test_diagnostics_come_in_the_order_of_the_stored_priority(
    client: LanguageClient, repository: Path
) -> None:
    stored_ranking(repository)
    uri = open_document(client, repository / "work.py", FIRST + MONSTER)
    found = await diagnostics(client, uri, 1)
    order = [(d.code, (d.data or {}).get("function")) for d in found]
    assert order[:2] == [("long-parameter-list", "first"), (DEFECT_RISK_RULE, None)]
    assert {function for _code, function in order[2:]} == {"monster"}
