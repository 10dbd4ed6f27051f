"""Rounds that prove their inputs, over HTTP: a real aggregator process and real participants.

A member whose input proof fails is refused at its masked input, audited by the aggregator
with the reason, and counted as a dropout; the round releases the honest members' exact sum,
or aborts with nothing released when too few remain."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from bmad.federation.client import AggregatorError
from bmad.federation.secagg.client import ClientSession
from bmad.federation.sessions import ClientDriver
from bmad.privacy.ledger import Reservation
from bmad.privacy.sharing import PreparedRelease
from tests.federation.harness import Aggregator, finished_round, in_threads
from tests.federation.secagg.forgery import forged_input_proof
from tests.federation.test_rounds_e2e import (
    RecordingParticipation,
    drive,
    enrolled_participants,
    opendp_imported,  # noqa: F401  (the module's autouse fixture)
)

VERIFIED = "workflow_patterns"  # 60 coordinates: proved (code_patterns keeps the envelope)


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
    tmp_path: Path, aggregator: Aggregator, liars: int
) -> tuple[dict[str, Any], list[RecordingParticipation], list[BaseException]]:
    """A round of 6 organisations, ``liars`` of them inflating; the state, the honest runners
    and the liars' errors (the aggregator's refusals)."""
    # k = 5: one group, threshold 5, so one refused member is tolerated
    federation_id, admin, participants = enrolled_participants(
        tmp_path, aggregator, 6, VERIFIED, k_min_participants=5
    )
    opened = admin.open_round(federation_id, VERIFIED, enrol_timeout=60, phase_timeout=10)
    kinds = [InflatingParticipation] * liars + [RecordingParticipation] * (6 - liars)
    runners: list[RecordingParticipation] = []
    errors = in_threads(
        *(
            (
                lambda p=p, kind=kind: runners.append(
                    drive(p, aggregator.url, opened["id"], VERIFIED, None, kind)
                )
            )
            for p, kind in zip(participants, kinds, strict=True)
        )
    )
    return finished_round(admin, opened["id"]), runners, errors


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
