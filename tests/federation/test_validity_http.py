"""Rounds that prove their inputs, over HTTP: a real aggregator process and real participants.

A member whose input proof fails is refused at its masked input, audited by the aggregator
with the reason, and counted as a dropout; the round releases the honest members' exact sum,
or aborts with nothing released when too few remain."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bmad.federation.client import AggregatorError
from bmad.federation.secagg.client import ClientSession
from bmad.federation.sessions import ClientDriver
from bmad.privacy.ledger import Reservation
from bmad.privacy.noise import discrete_gaussian_noise
from bmad.privacy.sharing import PreparedRelease
from tests.federation.harness import (
    Aggregator,
    Federation,
    finished_round,
    in_threads,
    make_members,
    released_aggregate,
    running_aggregator,
)
from tests.federation.secagg.forgery import forged_input_proof
from tests.federation.test_rounds_e2e import RecordingParticipation, drive

VERIFIED = "workflow_patterns"  # 60 coordinates: proved (code_patterns keeps the envelope)


@pytest.fixture(autouse=True, scope="module")
def noise_sampler_loaded() -> None:
    """Import OpenDP before the rounds start (1-3 s), so that it never eats into a deadline."""
    discrete_gaussian_noise(1.0, 1)


class ForgingSession(ClientSession):
    """Proves whatever it masks, forging the range proofs it cannot make."""

    def _input_proof(self, values: list[int], shares: list[int], blindings: list[int]) -> bytes:
        assert self.config.input_bounds is not None
        return forged_input_proof(
            self.config.session_tag,
            self.participant,
            self.config.input_bounds,
            values,
            shares,
            blindings,
        )


class InflatingParticipation(RecordingParticipation):
    """A lying member: 1,000 more organisations in the last participation count, proved with
    forged range proofs."""

    def _driver(self, you: dict[str, Any]) -> ClientDriver:
        driver = super()._driver(you)
        session = driver.session
        driver.session = ForgingSession(session.config, session.participant, self.client.identity)
        return driver

    def _split_noise(self, release: PreparedRelease, extra: list[Reservation]) -> bool:
        kept = super()._split_noise(release, extra)
        assert self.driver is not None
        self.driver.vector[-1] += 1000
        return kept


def run(
    tmp_path: Path, aggregator: Aggregator, liars: int, second: Aggregator | None = None
) -> tuple[dict[str, Any], list[RecordingParticipation], list[BaseException]]:
    """A round of 6 organisations, ``liars`` of them inflating; the state, the honest runners
    and the liars' errors (the aggregator's refusals). With a ``second`` aggregator process on
    the same database, every other member talks to that one."""
    # k = 5: one group, threshold 5, so one refused member is tolerated
    world = Federation.enrolled(
        aggregator.url,
        tmp_path,
        make_members(tmp_path / "members", 6),
        {"k_min_participants": 5},
        learning_type=VERIFIED,
    )
    try:
        opened = world.admin.open_round(
            world.federation, VERIFIED, enrol_timeout=60, phase_timeout=20
        )
        kinds = [InflatingParticipation] * liars + [RecordingParticipation] * (6 - liars)
        urls = [(second or aggregator).url if index % 2 else aggregator.url for index in range(6)]
        runners: list[RecordingParticipation] = []
        errors = in_threads(
            *(
                (
                    lambda p=p, kind=kind, url=url: runners.append(
                        drive(p, url, opened["id"], VERIFIED, None, kind)
                    )
                )
                for p, kind, url in zip(world.members, kinds, urls, strict=True)
            )
        )
        return finished_round(world.admin, opened["id"]), runners, errors
    finally:
        world.close()


def refusals(aggregator: Aggregator) -> list[dict[str, Any]]:
    with sqlite3.connect(aggregator.db_path) as connection:
        rows = connection.execute(
            "SELECT detail FROM agg_audit WHERE kind = 'input_refused' ORDER BY seq"
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def test_a_member_with_a_forged_proof_is_refused_and_the_honest_sum_released(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    state, runners, errors = run(tmp_path, aggregator, 1)
    (error,) = errors
    assert isinstance(error, AggregatorError) and error.status == 422
    assert "contribution outside [0, 10]" in error.message
    assert state["state"] == "released", state["reason"]
    assert state["organisations"]["completed"] == 5
    assert all(r.driver is not None and r.driver.session.config.input_bounds for r in runners)
    expected = [sum(column) for column in zip(*(r.sent for r in runners), strict=True)]  # type: ignore[misc]
    assert len(runners) == 5
    assert aggregator.released_aggregate(state["id"]) == [float(v) for v in expected]
    honest = {r.member.organisation for r in runners}
    (refusal,) = refusals(aggregator)
    assert refusal["organisation"] not in honest
    assert error.message.endswith(refusal["reason"])


def test_too_many_refused_members_abort_and_nothing_is_released(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    state, _, errors = run(tmp_path, aggregator, 2)
    assert [getattr(error, "status", None) for error in errors] == [422, 422]
    assert state["state"] == "aborted"
    assert len(refusals(aggregator)) == 2
    with sqlite3.connect(aggregator.db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM agg_releases").fetchone() == (0,)


def test_two_aggregator_processes_share_a_verified_round(tmp_path: Path) -> None:
    """Each process verifies the proofs it receives and reads the other's back from the round's
    log (accepted once, not verified again); the refusal and the sum check cross too."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    with (
        running_aggregator(tmp_path / "first", ("--database", database)) as first,
        running_aggregator(tmp_path / "second", ("--database", database)) as second,
    ):
        state, runners, errors = run(tmp_path, first, 1, second)
    assert [getattr(error, "status", None) for error in errors] == [422]
    assert state["state"] == "released", state["reason"]
    expected = [sum(column) for column in zip(*(r.sent for r in runners), strict=True)]  # type: ignore[misc]
    assert released_aggregate(database, state["id"]) == [float(v) for v in expected]
