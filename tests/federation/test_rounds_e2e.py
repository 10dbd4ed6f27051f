"""Whole rounds over HTTP: a real aggregator process and participants with their own stores."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bmad.federation import membership
from bmad.federation.client import AggregatorClient
from bmad.federation.participant import (
    RoundParticipation,
    local_limits,
    merged_contribution,
    pinned_rules,
)
from bmad.federation.trust import check_round
from bmad.federation.wire import PHASES
from bmad.privacy import audit
from bmad.privacy.collect import collect_local_statistics
from bmad.privacy.ledger import Reservation
from bmad.privacy.sharing import PreparedRelease, cached_global_insights
from tests.federation.harness import (
    Aggregator,
    Federation,
    Participant,
    finished_round,
    in_threads,
    make_members,
)

pytestmark = pytest.mark.usefixtures("opendp_imported")


class RecordingParticipation(RoundParticipation):
    """Keeps the noised vector it sent, so the test can add them up itself."""

    sent: list[int] | None = None

    def _reserve_and_noise(self) -> tuple[PreparedRelease | None, list[Reservation]]:
        release, extra = super()._reserve_and_noise()
        if release is not None:
            self.sent = list(release.payload.vector)
        return release, extra


def drive(
    participant: Participant,
    url: str,
    round_id: str,
    learning_type: str,
    silent_after: str | None = None,
    runner_class: type[RecordingParticipation] = RecordingParticipation,
) -> RecordingParticipation:
    stats = collect_local_statistics(participant.repo).statistics
    client = participant.client(url)
    member = membership.current(participant.store)
    assert member is not None
    rules, _ = pinned_rules(member)
    parameters = client.round(round_id, None, 0.0)["parameters"]
    terms = check_round(rules, local_limits(participant.settings), learning_type, parameters)
    contribution = merged_contribution(learning_type, [stats], terms.unit)
    assert contribution is not None
    client.enrol(round_id)
    runner = runner_class(
        participant.store,
        client,
        participant.settings,
        member,
        round_id,
        learning_type,
        [str(participant.repo)],
        contribution,
        terms,
    )
    while not runner.step():
        if silent_after is not None and silent_after in runner.answered:
            return runner  # goes silent: a dropout after that phase
        time.sleep(0.05)
    return runner


def run_round(
    tmp_path: Path, aggregator: Aggregator, count: int, drops: dict[int, str], **governance: Any
) -> tuple[dict[str, Any], list[RecordingParticipation], AggregatorClient, str]:
    world = Federation.enrolled(
        aggregator.url, tmp_path, make_members(tmp_path / "members", count), governance
    )
    opened = world.admin.open_round(
        world.federation, "code_patterns", enrol_timeout=60, phase_timeout=10
    )
    runners: list[RecordingParticipation] = []

    def target(index: int, participant: Participant) -> Any:
        return lambda: runners.append(
            drive(participant, aggregator.url, opened["id"], "code_patterns", drops.get(index))
        )

    errors = in_threads(*(target(i, p) for i, p in enumerate(world.members)))
    assert not errors, errors
    state = finished_round(world.admin, opened["id"])
    return state, runners, world.admin, world.federation


def test_five_participants_release_the_exact_sum_and_all_get_insights(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    state, runners, _admin, _federation_id = run_round(tmp_path, aggregator, 5, {})
    assert state["state"] == "released", state["reason"]
    sent = [runner.sent for runner in runners]
    assert all(vector is not None for vector in sent)
    expected = [sum(column) for column in zip(*sent, strict=True)]  # type: ignore[misc]
    assert aggregator.released_aggregate(state["id"]) == [float(v) for v in expected]
    for runner in runners:
        assert runner.outcome is not None and runner.outcome.outcome == "released"
        cached = cached_global_insights(runner.store)
        assert [item["learning_type"] for item in cached] == ["code_patterns"]
        assert cached[0]["insights"]["organisations"] == 5
        kinds = [entry.kind for entry in audit.entries(runner.store)]
        assert "budget_reserved" in kinds and "payload_sent" in kinds
        assert audit.verify(runner.store).ok


def test_six_organisations_form_one_session_whose_sum_is_released_exactly(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    # below 3 x 50 organisations a round is one group (governance.group_sizes): the robust
    # median of small groups cost more accuracy than the noise (bench/privacy/utility.py)
    state, runners, _, _ = run_round(tmp_path, aggregator, 6, {})
    assert state["state"] == "released", state["reason"]
    expected = [sum(column) for column in zip(*(r.sent for r in runners), strict=True)]  # type: ignore[misc]
    assert aggregator.released_aggregate(state["id"]) == [float(v) for v in expected]
    sessions = {r.driver.session.config.round_id for r in runners if r.driver is not None}
    assert len(sessions) == 1


@pytest.mark.parametrize("phase", PHASES[:4])
def test_one_dropout_after_each_phase_still_releases(
    tmp_path: Path, aggregator: Aggregator, phase: str
) -> None:
    # 6 organisations, k = 5: one group, threshold 5, so one silent participant is tolerated
    state, runners, _, _ = run_round(tmp_path, aggregator, 6, {0: phase}, k_min_participants=5)
    assert state["state"] == "released", state["reason"]
    # a masked input that reached the server is in the sum, whoever fell silent afterwards
    sent = [r.sent for r in runners if r.sent is not None]
    assert len(sent) == (5 if PHASES.index(phase) < PHASES.index("masked_input") else 6)
    expected = [sum(column) for column in zip(*sent, strict=True)]
    assert aggregator.released_aggregate(state["id"]) == [float(v) for v in expected]
    assert state["organisations"]["completed"] == 5


@pytest.mark.parametrize("phase", PHASES[:4])
def test_too_many_dropouts_abort_with_the_reason_and_no_output(
    tmp_path: Path, aggregator: Aggregator, phase: str
) -> None:
    state, _, admin, federation_id = run_round(
        tmp_path, aggregator, 6, {0: phase, 1: phase}, k_min_participants=5
    )
    assert state["state"] == "aborted"
    assert "threshold" in state["reason"] or "fewer" in state["reason"] or "only" in state["reason"]
    assert admin.insights(federation_id) == []
    with sqlite3.connect(aggregator.db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM agg_releases").fetchone()[0] == 0


class OutOfRangeParticipation(RecordingParticipation):
    """A lying member: adds 2^30 to one organisation count of its (noised) vector."""

    def _reserve_and_noise(self) -> tuple[PreparedRelease | None, list[Reservation]]:
        release, extra = super()._reserve_and_noise()
        assert release is not None
        vector = list(release.payload.vector)
        vector[-1] += 2**30
        lying = replace(release, payload=replace(release.payload, vector=tuple(vector)))
        return lying, extra


def test_an_out_of_range_contribution_aborts_the_round_and_nothing_is_released(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    world = Federation.enrolled(
        aggregator.url,
        tmp_path,
        make_members(tmp_path / "members", 5),
        {"units": {"code_patterns": "organisation"}},
    )
    opened = world.admin.open_round(
        world.federation, "code_patterns", enrol_timeout=60, phase_timeout=10
    )
    kinds = [OutOfRangeParticipation, *[RecordingParticipation] * 4]
    errors = in_threads(
        *(
            (lambda p=p, k=k: drive(p, aggregator.url, opened["id"], "code_patterns", None, k))
            for p, k in zip(world.members, kinds, strict=True)
        )
    )
    assert not errors, errors
    state = world.admin.round(opened["id"])
    assert state["state"] == "aborted"
    assert "out-of-range contribution" in state["reason"]
    assert "participants:" in state["reason"]  # the organisation counts it tried to inflate
    with sqlite3.connect(aggregator.db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM agg_releases").fetchone() == (0,)
