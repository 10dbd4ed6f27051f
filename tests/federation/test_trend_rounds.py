"""A real federated round of a technology-trend learning type over loopback, and its global view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from technology_repos import dated_commit

from bmad.cli.main import cli
from bmad.privacy.sharing import cached_global_insights
from bmad.privacy.trend_schemas import TECHNOLOGY_MIGRATIONS
from tests.federation.harness import (
    Aggregator,
    Federation,
    finished_round,
    in_threads,
    make_members,
    python_source,
)
from tests.federation.test_rounds_e2e import drive

pytestmark = pytest.mark.usefixtures("opendp_imported")


def test_a_migrations_round_releases_the_exact_sum_and_insights_trends_shows_it(
    tmp_path: Path, aggregator: Aggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    learning_type = TECHNOLOGY_MIGRATIONS.learning_type
    participants = make_members(
        tmp_path / "members",
        3,
        files=lambda index: {
            **python_source(index),
            "requirements.txt": "requests\n",
            ".travis.yml": "x: 1\n",
        },
    )
    for participant in participants:
        (participant.repo / "requirements.txt").write_text("httpx\n")
        dated_commit(participant.repo, "2026-03-01T00:00:00Z", "httpx instead of requests")
    world = Federation.enrolled(aggregator.url, tmp_path, participants, learning_type=learning_type)
    opened = world.admin.open_round(
        world.federation, learning_type, enrol_timeout=60, phase_timeout=10
    )
    runners: list[object] = []
    errors = in_threads(
        *(
            (lambda p=p: runners.append(drive(p, aggregator.url, opened["id"], learning_type)))
            for p in participants
        )
    )
    assert not errors, errors
    state = finished_round(world.admin, opened["id"])
    assert state["state"] == "released", state["reason"]
    sent = [runner.sent for runner in runners]  # type: ignore[attr-defined]
    # no participation bits: each cell already counts organisations
    assert all(vector is not None and len(vector) == TECHNOLOGY_MIGRATIONS.dim for vector in sent)
    expected = [float(sum(column)) for column in zip(*sent, strict=True)]
    assert aggregator.released_aggregate(state["id"]) == expected
    cached = cached_global_insights(participants[0].store)
    document = next(item["insights"] for item in cached if item["learning_type"] == learning_type)
    trends = document["trends"]
    assert trends["columns"] == ["from", "to", "organisations", "95% interval"]
    assert all(pair["organisations"] >= 3 for pair in trends["pairs"])
    monkeypatch.setenv("BMAD_HOME", str(participants[0].home))
    shown = CliRunner().invoke(
        cli, ["insights", "trends", str(participants[0].repo), "--global", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    released = json.loads(shown.output)["global"][learning_type]
    assert released["organisations"] == 3 and "pairs" in released["trends"]
