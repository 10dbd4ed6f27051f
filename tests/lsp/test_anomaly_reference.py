"""Hover says which functions the anomaly score refers to: this repository's, or the
federation's synthetic population once code-pattern insights are cached (setting "auto"),
from the next analysis on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from tests.lsp.test_global_standing import cache_code_insights, hover_text
from tests.lsp.test_server import diagnostics, open_document, replace_text, start_client
from tests.lsp.workspace_files import MONSTER, TAMED, build_project

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "project")  # 60 python functions: the pooled model


async def anomaly_line(client: LanguageClient, uri: str) -> str:
    text = await hover_text(client, uri)
    (line,) = [line for line in text.splitlines() if line.startswith("**Anomaly score**")]
    return line


async def test_hover_names_the_repository_then_the_federation_once_cached(project: Path) -> None:
    client = await start_client("neovim", project)
    try:
        uri = open_document(client, project / "work.py", MONSTER)
        await diagnostics(client, uri, 1)
        assert (await anomaly_line(client, uri)).endswith("against this repository's functions)")

        cache_code_insights()  # received during the session: the next analysis refers to it
        replace_text(client, uri, 2, TAMED)
        await diagnostics(client, uri, 2)
        replace_text(client, uri, 3, MONSTER)
        await diagnostics(client, uri, 3)
        line = await anomaly_line(client, uri)
        assert line.endswith("against 6 organisations' python functions)")
    finally:
        await client.shutdown_session()
        await client.stop()
