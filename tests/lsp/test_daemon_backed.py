"""With a daemon mining the project and ``daemon.analyse`` on, the language server takes the
buffer's analysis from the daemon's ``analyze_buffer`` instead of building a repository
context itself; with it off (the default) it analyses in-process."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitrepo import git
from pytest_lsp import LanguageClient

from tests.daemon.test_daemon_process import DaemonProcess, cli_ok, repository_row, wait_for
from tests.lsp.test_server import codes, diagnostics, open_document, start_client
from tests.lsp.workspace_files import MONSTER, build_project

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")


@pytest.fixture
def mined_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    runtime = Path(tempfile.mkdtemp(prefix="bmad-", dir="/tmp"))  # short: AF_UNIX path limit
    monkeypatch.setenv("BMAD_RUNTIME_DIR", str(runtime / "run"))
    monkeypatch.setenv("BMAD_DAEMON__POLL_INTERVAL", "0.1")
    project = build_project(tmp_path / "project")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "initial")
    daemon = DaemonProcess(dict(os.environ), tmp_path / "daemon-stderr.log").start()
    try:
        cli_ok("repo", "add", str(project))
        head = git(project, "rev-parse", "HEAD").strip()
        wait_for(
            lambda: (row := repository_row("project")) and row["last_mined_commit"] == head,
            "the project to be mined",
        )
        yield project
    finally:
        daemon.stop()
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.mark.parametrize(
    ("name", "analyse"), [("neovim", True), ("visual-studio-code", True), ("neovim", False)]
)
async def test_the_daemon_analyses_the_buffer_when_asked(
    mined_project: Path, name: str, analyse: bool
) -> None:
    options = {"daemon": {"analyse": analyse}}
    client: LanguageClient = await start_client(name, mined_project, options)
    try:
        uri = open_document(client, mined_project / "new.py", MONSTER)
        found = await diagnostics(client, uri, 1)
        assert {"anomalous-function", "complex-method"} <= codes(found)
        logged = " ".join(message.message for message in client.log_messages)
        # an in-process context is built (and logged) only without the daemon's analysis
        assert ("repository context for" in logged) is not analyse
    finally:
        await client.shutdown_session()
        await client.stop()
