"""Hover and code lens show where a function stands across the federation when the data store
holds cached code-pattern insights (built here by the federation's own functions from an
exactly known released sum), and nothing global without them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.test_server import (
    CLIENTS,
    diagnostics,
    open_document,
    replace_text,
    start_client,
)
from tests.lsp.workspace_files import MONSTER, TAMED, build_project

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")

ORGANISATIONS = 6
# every organisation, for every metric: python functions by value; 8 of 10 are below any value
# from 6 up to the top bin's edge, so such a value stands above 80% of them
PER_ORGANISATION = {2: 6, 5: 2, 10_000: 2}


def released_code_insights() -> dict[str, Any]:
    """The insights document the aggregator releases for this sum (noise negligible)."""
    from bmad.federation.insights import RoundFacts, compute_insights
    from bmad.federation.wire import round_contribution
    from bmad.privacy.schemas import CODE_EDGES, BoundedContribution, bin_index, schema_for

    schema = schema_for("code_patterns")
    blocks = []
    for block in schema.blocks:
        counts = [0] * len(block.labels)
        for value, count in PER_ORGANISATION.items():
            counts[bin_index(value, CODE_EDGES[block.name])] += count  # python comes first
        blocks.append(counts)
    vector = round_contribution(BoundedContribution(schema, schema.bound(blocks))).vector
    released = [float(value * ORGANISATIONS) for value in vector]
    facts = RoundFacts("code_patterns", schema.version, ORGANISATIONS, 1, 1e-9, 1.0, 1e-5, 0.7, 3)
    return compute_insights(released, facts)


def cache_code_insights() -> dict[str, Any]:
    """Cache the released insights in this test's data store as a member's daemon does."""
    from bmad.federation.learning import cache_insights
    from bmad.privacy.db import open_privacy_store
    from bmad.store.connection import data_store_path

    insights = released_code_insights()
    with open_privacy_store(data_store_path()) as store:
        cache_insights(
            store,
            {
                "learning_type": "code_patterns",
                "round": "r-1",
                "released_at": "2026-11-01T00:00:00Z",
                "insights": insights,
            },
        )
    return insights


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "project")


@pytest.fixture(params=CLIENTS)
async def client_name(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    yield str(request.param)


async def hover_text(client: LanguageClient, uri: str) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=7, character=4))
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def lens_titles(client: LanguageClient, uri: str) -> list[str]:
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
    )
    assert lenses is not None
    titles = []
    for lens in lenses:
        resolved = await client.code_lens_resolve_async(lens)
        assert resolved.command is not None
        titles.append(resolved.command.title)
    return titles


async def test_hover_and_lens_show_the_federation_standing(client_name: str, project: Path) -> None:
    insights = cache_code_insights()
    confidence = insights["percentiles"]["cognitive"]["python"]["confidence"]
    client = await start_client(client_name, project)
    try:
        uri = open_document(client, project / "work.py", MONSTER)
        await diagnostics(client, uri, 1)
        text = await hover_text(client, uri)
        assert "**Across the federation**" in text
        assert confidence > 0.99
        assert "- cognitive 29 · above 80% (+-1) of python functions across 6 organisations" in text
        assert "- params 8 · above 80% (+-1) of python functions" in text
        assert "| cognitive complexity | 29 | 99th pct |" in text  # the repository still
        ordinary, monster = await lens_titles(client, uri)
        assert monster == (
            "cognitive 29 · top 1% in repo · top 20% (+-1) across 6 orgs · 6 findings"
        )
        # ordinary: cognitive 0, in the lowest bin, below every other python function
        assert ordinary.endswith("below the median (+-1) across 6 orgs")
        logged = " ".join(message.message for message in client.log_messages)
        assert "global code-pattern insights from 6 organisations" in logged
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_nothing_global_without_insights_until_they_are_cached(project: Path) -> None:
    client = await start_client("neovim", project)
    try:
        uri = open_document(client, project / "work.py", MONSTER)
        await diagnostics(client, uri, 1)
        text = await hover_text(client, uri)
        assert "federation" not in text and "organisations" not in text
        titles = await lens_titles(client, uri)
        assert titles[1] == "cognitive 29 · top 1% in repo · 6 findings"
        assert not any("orgs" in title for title in titles)

        # insights received during the session: the next analysis reads them
        cache_code_insights()
        replace_text(client, uri, 2, TAMED)
        await diagnostics(client, uri, 2)
        replace_text(client, uri, 3, MONSTER)
        await diagnostics(client, uri, 3)
        assert "above 80% (+-1) of python functions" in await hover_text(client, uri)
    finally:
        await client.shutdown_session()
        await client.stop()
