"""Hover says which functions the anomaly score refers to: this repository's, or the
federation's synthetic population once code-pattern insights are cached (setting "auto")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lsp.test_global_standing import cache_code_insights, hover_text
from tests.lsp.test_server import diagnostics, open_document, start_client
from tests.lsp.workspace_files import MONSTER, build_project

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = build_project(tmp_path / "project")
    # 60 python functions: a python model of its own (the pooled model stays local)
    (root / "pyproject.toml").write_text("[tool.bmad.analysis]\nmin_family_functions = 30\n")
    return root


async def anomaly_line(project: Path) -> str:
    client = await start_client("neovim", project)
    try:
        uri = open_document(client, project / "work.py", MONSTER)
        await diagnostics(client, uri, 1)
        text = await hover_text(client, uri)
    finally:
        await client.shutdown_session()
        await client.stop()
    (line,) = [line for line in text.splitlines() if line.startswith("**Anomaly score**")]
    return line


async def test_hover_names_the_repository_without_cached_insights(project: Path) -> None:
    assert (await anomaly_line(project)).endswith("against this repository's functions)")


async def test_hover_names_the_federation_with_cached_insights(project: Path) -> None:
    cache_code_insights()
    assert (await anomaly_line(project)).endswith("against 6 organisations' python functions)")
