"""A manifest open in the editor shows its stored abandoned-dependency findings on the line
that names the dependency now: pure, then end to end through `python -m bmad lsp`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from bmad.analysis.findings import Finding
from bmad.analysis.technology_buffer import TECHNOLOGY_FILE, technology_file_report
from bmad.daemon.miner import default_followups, default_steps, mine_repository
from bmad.store.registry import add_repository, open_registry
from tests.gitrepo import git, write_files
from tests.lsp.test_server import diagnostics, open_document, start_client
from tests.technology_repos import technology_repo

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")

CELERY_BACK = "httpx\ncelery>=5\nclick\n"


def stored(technology: str, line: int = 1) -> Finding:
    return Finding(
        "abandoned-dependency",
        "note",
        "requirements.txt",
        line,
        line,
        f"{technology} was added and removed again",
        {"technology": technology},
    )


def test_findings_move_to_the_line_naming_the_technology_and_comments_suppress_them() -> None:
    hotspot = Finding("hotspot", "error", "requirements.txt", 1, 1, "changes often")
    report = technology_file_report(
        CELERY_BACK, "requirements.txt", [stored("dependency:pypi:celery"), hotspot]
    )
    assert report.language == TECHNOLOGY_FILE and report.functions == ()
    assert [(f.rule_id, f.start_line) for f in report.findings] == [("abandoned-dependency", 2)]
    gone = technology_file_report("httpx\n", "requirements.txt", [stored("dependency:pypi:celery")])
    assert [f.start_line for f in gone.findings] == [1]
    quiet = technology_file_report(
        "# bmad: ignore[abandoned-dependency]\n" + CELERY_BACK,
        "requirements.txt",
        [stored("dependency:pypi:celery")],
    )
    assert quiet.findings == [] and quiet.suppressed == 1


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    repo = technology_repo(tmp_path / "stack")
    write_files(repo, {".bmad.toml": "[rules]\nabandoned_dependency_months = 1\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "configure bmad")
    with open_registry() as store:  # the daemon's pass stores the findings the editor reads
        repository, _ = add_repository(store, repo)
        mined = mine_repository(store, repository, default_steps(), followups=default_followups())
    assert mined.outcome == "mined"
    return repo


@pytest.fixture
async def client(repository: Path) -> AsyncIterator[LanguageClient]:
    started = await start_client("neovim", repository, {"useDaemon": False})
    yield started
    await started.shutdown_session()
    await started.stop()


async def test_the_manifest_line_re_adding_an_abandoned_dependency_is_diagnosed(
    client: LanguageClient, repository: Path
) -> None:
    uri = open_document(client, repository / "requirements.txt", CELERY_BACK, "pip-requirements")
    (found,) = await diagnostics(client, uri, 1)
    assert found.code == "abandoned-dependency" and found.range.start.line == 1
    assert "celery" in found.message
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=found.range,
            context=types.CodeActionContext(diagnostics=[found]),
        )
    )
    edits = [
        edit.new_text
        for action in actions or []
        if isinstance(action, types.CodeAction) and action.edit and action.edit.changes
        for edit in action.edit.changes[uri]
    ]
    assert edits == ["# bmad: ignore[abandoned-dependency]\n"]
