"""A two-level tree: three team federations, each on its own aggregator with three member
organisations, forward their released code patterns to an organisation-level federation on a
fourth aggregator, where each team's aggregator host takes part as one participant."""

from __future__ import annotations

import math
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from bmad.errors import BmadError
from bmad.federation import hierarchy, membership
from bmad.federation.client import AggregatorClient
from bmad.federation.governance import governance_for
from bmad.federation.participant import (
    RoundOutcome,
)
from bmad.federation.wire import round_contribution
from bmad.privacy import audit
from bmad.privacy.accounting import rho_budget
from bmad.privacy.schemas import schema_for
from bmad.privacy.units import unit_for
from tests.federation.harness import (
    Federation,
    coordinator,
    create_federation,
    fast_settings,
    finished_round,
    in_threads,
    join_as,
    make_participant,
    running_aggregator,
    settings,
)

FAST = fast_settings(90.0)
TEAMS = 3
MEMBERS = 3


def many_functions(seed: int, count: int = 240) -> dict[str, str]:
    """A Python project with enough functions that a team's record-unit release is visible
    above its noise (a block's published mass must reach three noise deviations)."""
    functions = []
    for index in range(count):
        depth = (index * (seed + 3)) % 5
        branches = "".join(f"{'    ' * (level + 1)}if value > {level}:\n" for level in range(depth))
        functions.append(
            f"def f_{index}(value, other):\n{branches}{'    ' * (depth + 1)}value += 1\n"
            "    return value\n"
        )
    return {"pkg/core.py": "\n\n".join(functions)}


@pytest.mark.usefixtures("opendp_imported")
def test_three_teams_forward_their_releases_to_an_organisation_federation(
    tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        parent_aggregator = stack.enter_context(running_aggregator(tmp_path / "parent-agg"))
        parent_store, parent_admin = coordinator(tmp_path / "parent-admin", parent_aggregator.url)
        team_names = [f"team{index}" for index in range(TEAMS)]
        # a forwarded release is one participant's whole contribution: the organisation unit
        parent = create_federation(
            parent_store,
            parent_admin,
            team_names,
            "low",
            {"units": {"code_patterns": "organisation"}},
        )
        # a team's coordinator is its aggregator's host: the child's admin, and one participant
        # at the parent (admin_store)
        teams: list[Federation] = []
        for team_index, team_name in enumerate(team_names):
            aggregator = stack.enter_context(running_aggregator(tmp_path / f"{team_name}-agg"))
            members = [
                make_participant(
                    tmp_path / team_name,
                    f"{team_name}-org{index}",
                    many_functions(3 * team_index + index),
                )
                for index in range(MEMBERS)
            ]
            teams.append(
                Federation.enrolled(
                    aggregator.url,
                    tmp_path / team_name,
                    members,
                    {"forward_to": [parent["federation"]]},
                    coordinator_organisation=f"{team_name}-host",
                )
            )

        # level 1: every team releases its own round (record unit, k = 3)
        child_rounds = [
            team.admin.open_round(
                team.federation, "code_patterns", enrol_timeout=60, phase_timeout=15
            )["id"]
            for team in teams
        ]

        assert not in_threads(*(m.taking_part(FAST) for team in teams for m in team.members))
        for team, round_id in zip(teams, child_rounds, strict=True):
            state = finished_round(team.admin, round_id)
            assert state["state"] == "released", state["reason"]

        # level 2: each team's host joins the parent as one organisation and forwards
        for team, team_name in zip(teams, team_names, strict=True):
            with AggregatorClient(parent_aggregator.url, team.admin.identity) as client:
                join_as(
                    team.admin_store,
                    client,
                    parent["federation"],
                    team_name,
                    parent["tokens"][team_name],
                    parent_admin,
                )
            hierarchy.allow_forwarding(team.admin_store, team.federation, "code_patterns")
        parent_round = parent_admin.open_round(
            parent["federation"], "code_patterns", enrol_timeout=60, phase_timeout=15
        )["id"]
        outcomes: list[RoundOutcome] = []

        def forward(team: Federation) -> Any:
            child = membership.current(team.admin_store, team.federation)
            above = membership.current(team.admin_store, parent["federation"])
            assert child is not None and above is not None
            return lambda: outcomes.extend(
                hierarchy.forward_release(
                    team.admin_store,
                    team.admin.identity,
                    child,
                    above,
                    "code_patterns",
                    settings=settings(above.organisation),
                    federation=FAST,
                )
            )

        assert not in_threads(*(forward(team) for team in teams))
        state = finished_round(parent_admin, parent_round)
        assert state["state"] == "released", state["reason"]
        assert sorted(outcome.outcome for outcome in outcomes) == ["released"] * TEAMS

        # the parent's release is the exact sum of what the teams published, plus noise of the
        # size the parent states
        unit = unit_for("code_patterns", "organisation")
        exact = [0] * (2 * schema_for("code_patterns").dim)
        for team in teams:
            release = hierarchy.latest_child_release(team.admin, team.federation, "code_patterns")
            assert release is not None and release.organisations == MEMBERS
            contribution = hierarchy.forwarded_contribution(release)
            assert any(contribution.vector), "a team's release was not visible above its noise"
            layout = round_contribution(contribution, unit)
            exact = [total + value for total, value in zip(exact, layout.vector, strict=True)]
        aggregate = parent_aggregator.released_aggregate(parent_round)
        insights = parent_admin.insights(parent["federation"], "code_patterns")[0]["insights"]
        assert insights["organisations"] == TEAMS and insights["privacy"]["unit"] == "organisation"
        stated = float(insights["noise_std"])
        errors = [(got - want) / stated for got, want in zip(aggregate, exact, strict=True)]
        spread = math.sqrt(sum(error * error for error in errors) / len(errors))
        assert 0.9 < spread < 1.1, spread  # 1,980 coordinates: the spread's own error is ~2%
        assert max(abs(error) for error in errors) < 6

        # each host spent the parent round's rho under its parent organisation; the members'
        # ledgers hold only their own team's round (forwarding is post-processing)
        low = governance_for("low")  # both levels' rules, so one rho per round at each level
        parent_rho = team_rho = rho_budget(low.epsilon_per_round, low.delta)
        for team, team_name in zip(teams, team_names, strict=True):
            ledger = settings(team_name).ledger(team.admin_store)
            assert math.isclose(
                ledger.usage("organisation", team_name).spent_rho, parent_rho, rel_tol=1e-9
            )
            kinds = [entry.kind for entry in audit.entries(team.admin_store)]
            assert "release_forwarded" in kinds and "payload_sent" in kinds
            for member in team.members:
                usage = member.settings.ledger(member.store).usage("repository", str(member.repo))
                assert math.isclose(usage.spent_rho, team_rho, rel_tol=1e-9)


def test_a_release_goes_up_only_to_a_parent_the_child_rules_name() -> None:
    hierarchy.check_forwarding_allowed(
        ("b2c4b1de-0000-4000-8000-000000000001",), ("b2c4b1de-0000-4000-8000-000000000001")
    )
    with pytest.raises(BmadError, match="do not allow forwarding"):
        hierarchy.check_forwarding_allowed((), "b2c4b1de-0000-4000-8000-000000000001")


def test_a_forwarded_release_is_bounded_as_one_organisation() -> None:
    schema = schema_for("anti_patterns")
    blocks = {
        block.name: {
            "bins": [
                # a suppressed bin carries no share; a huge share is only a share
                {"label": label, "share": None if index == 0 else 1e9 * (index + 1)}
                for index, label in enumerate(block.labels)
            ]
        }
        for block in schema.blocks
    }
    release = hierarchy.ChildRelease("child", "round", "anti_patterns", schema.version, 7, blocks)
    contribution = hierarchy.forwarded_contribution(release)
    offset = 0
    for block in schema.blocks:
        values = contribution.vector[offset : offset + len(block.labels)]
        assert values[0] == 0 and sum(values) == block.bound.mass  # type: ignore[union-attr]
        offset += len(block.labels)
    stale = hierarchy.ChildRelease("child", "round", "anti_patterns", schema.version + 1, 7, blocks)
    with pytest.raises(BmadError, match="schema version"):
        hierarchy.forwarded_contribution(stale)
