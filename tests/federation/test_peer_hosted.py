"""Peer federation: one member organisation hosts the consortium's aggregator on its own machine,
beside its own participant data (same home), and nothing extra is trusted. The host takes part
like any member; when it abuses its position (its database, its aggregator's answers), the
other members' own checks refuse the round and nothing of theirs is spent or sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bmad.federation import trust
from bmad.federation.participant import RoundOutcome
from bmad.privacy import audit
from bmad.privacy.identity import load_or_create_identity
from tests.federation.harness import (
    LiveFederation,
    Participant,
    Tamper,
    answering_falsely,
    fast_settings,
    finished_round,
    in_threads,
    organisation_key,
)

FAST = fast_settings()
MEMBERS = 4  # one group: threshold 4 (2n/3 + 1), noise sized for 4 - 1 honest shares


class Consortium(LiveFederation):
    @property
    def host(self) -> Participant:
        """The member whose machine runs the aggregator."""
        return self.members[0]

    @property
    def others(self) -> list[Participant]:
        return self.members[1:]


@pytest.fixture(scope="module")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    with Consortium.served(
        tmp_path_factory.mktemp("peer"), MEMBERS, hosted_by_a_member=True
    ) as consortium:
        yield consortium


def run_round(
    consortium: Consortium, tamper_you: Tamper | None, tamper_round: Tamper | None = None
) -> str:
    with answering_falsely(consortium.app, tamper_you, tamper_round):
        opened = consortium.admin.open_round(
            consortium.federation, "code_patterns", enrol_timeout=5, phase_timeout=5
        )
        assert not in_threads(*(member.taking_part(FAST) for member in consortium.members))
    return str(opened["id"])


def outcome_of(member: Participant, round_id: str) -> RoundOutcome:
    return next(o for o in member.outcomes if isinstance(o, RoundOutcome) and o.round == round_id)


def assert_refused_with_nothing_spent(member: Participant, round_id: str, reason: str) -> None:
    outcome = outcome_of(member, round_id)
    assert outcome.outcome == "refused" and reason in outcome.detail, outcome
    entries = [e for e in audit.entries(member.store) if e.detail.get("round") == round_id]
    assert [e.kind for e in entries] == ["round_refused"]
    sent = [
        e
        for e in audit.entries(member.store)
        if e.kind == "payload_sent" and round_id in json.dumps(e.detail)
    ]
    assert not sent


def test_a_member_hosts_the_aggregator_and_takes_part_like_any_other(
    consortium: Consortium,
) -> None:
    assert consortium.db_path.parent == consortium.host.store.path.parent
    round_id = run_round(consortium, None)
    state = finished_round(consortium.admin, round_id, seconds=30)
    assert state["state"] == "released", state["reason"]
    for member in consortium.members:
        assert outcome_of(member, round_id).outcome == "released"


def test_the_host_loosening_a_rounds_terms_is_refused_by_every_other_member(
    consortium: Consortium,
) -> None:
    """The host's aggregator states epsilon 8 for a round whose signed rules allow 2."""

    def loosen(document: dict[str, Any]) -> None:
        document["parameters"] = {**document["parameters"], "epsilon": 8.0}

    round_id = run_round(consortium, None, loosen)
    for member in consortium.others:
        assert_refused_with_nothing_spent(member, round_id, "asks for epsilon 8")


def test_the_host_slipping_a_second_machine_of_its_own_into_a_roster_is_refused(
    consortium: Consortium, tmp_path: Path
) -> None:
    """The host's organisation key genuinely certifies a second machine, and the admin genuinely
    admitted that organisation: a Sybil only the one-organisation-once rule catches."""
    host = consortium.host
    sybil = load_or_create_identity(host.store, tmp_path / "sybil.json")
    key = organisation_key(host.store)
    # signed directly: the host ignores its own ledger of the budget shares it certified
    certificate = trust.certify_machine(
        key,
        key.public.signing_public,
        consortium.federation,
        host.organisation,
        sybil.public.signing_public,
        1.0,
    )
    host_key = trust.b64(host.identity.public.signing_public)

    def add_sybil(you: dict[str, Any]) -> None:
        genuine = next(entry for entry in you["roster"].values() if entry["key"] == host_key)
        you["roster"][str(len(you["roster"]) + 1)] = {
            **genuine,
            "key": trust.b64(sybil.public.signing_public),
            "certificate": certificate.to_dict(),
        }

    round_id = run_round(consortium, add_sybil)
    for member in consortium.others:
        assert_refused_with_nothing_spent(member, round_id, "one organisation more than once")
