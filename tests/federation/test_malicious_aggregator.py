"""A malicious aggregator against real participants over HTTP on loopback.

The aggregator is the real app served in this process; the test replaces what its round engine
tells participants (the round's parameters, the group it assigns). Every attack must end with
the round refused by every participant, the refusal in its audit log, and nothing reserved,
charged or sent beyond the enrolment.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bmad.federation import learning, membership, trust
from bmad.federation.participant import RoundOutcome, local_limits, pinned_rules
from bmad.privacy import audit
from bmad.privacy.accounting import rho_budget
from bmad.privacy.ledger import Budget
from tests.federation.harness import (
    LiveFederation,
    Tamper,
    answering_falsely,
    fast_settings,
    in_threads,
)

FAST = fast_settings()
MEMBERS = 6  # k = 5: one group of 6, threshold 5, min_survivors 5


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveFederation]:
    with LiveFederation.served(
        tmp_path_factory.mktemp("malicious"),
        MEMBERS,
        k=5,
        # the case: the rules protect whole organisations, the aggregator says record
        governance={"k_min_participants": 5, "units": {"code_patterns": "organisation"}},
        invited=("outsider",),
    ) as world:
        # An organisation invited but never seated nor admitted: its machine key is registered,
        # its organisation key holds no seat in the consortium rules.
        world.join_invited("outsider", seed=9, admitted=False)
        yield world


def run_round(world: LiveFederation, tamper_you: Tamper | None, tamper_round: Tamper | None) -> str:
    with answering_falsely(world.app, tamper_you, tamper_round):
        opened = world.admin.open_round(
            world.federation, "code_patterns", enrol_timeout=30, phase_timeout=5
        )
        errors = in_threads(
            world.closing_enrolment(opened["id"], len(world.members), world.members),
            *(p.taking_part(FAST) for p in world.members),
        )
        assert not errors, errors
    return str(opened["id"])


def assert_refused_and_nothing_spent(world: LiveFederation, round_id: str, reason: str) -> None:
    for participant in world.members:
        outcomes = [o for o in participant.outcomes if isinstance(o, RoundOutcome)]
        outcome = next(o for o in outcomes if o.round == round_id)
        assert outcome.outcome == "refused", outcome
        assert reason in outcome.detail
        entries = audit.entries(participant.store)
        refusals = [
            e for e in entries if e.kind == "round_refused" and e.detail["round"] == round_id
        ]
        assert len(refusals) == 1 and reason in refusals[0].detail["reason"]
        assert not [e for e in entries if e.kind in ("budget_reserved", "payload_sent")]
        ledger = participant.settings.ledger(participant.store)
        assert ledger.usage("repository", str(participant.repo)).spent_rho == 0


def shrink_roster(keep: int, threshold: int, min_survivors: int) -> Tamper:
    """The issue's attack: a 3-key roster, threshold 2, and noise said to come from 50."""

    def tamper(you: dict[str, Any]) -> None:
        mine = str(you["participant"])
        kept = [mine, *[pid for pid in you["roster"] if pid != mine][: keep - 1]]
        you["roster"] = {pid: you["roster"][pid] for pid in kept}
        you["threshold"], you["min_survivors"] = threshold, min_survivors
        you["noise_participants"] = 50

    return tamper


def test_a_tiny_roster_with_inflated_noise_participants_is_refused(world: LiveFederation) -> None:
    round_id = run_round(world, shrink_roster(3, 2, 2), None)
    assert_refused_and_nothing_spent(world, round_id, "the group holds 3 organisations")


def test_a_threshold_below_two_thirds_is_refused(world: LiveFederation) -> None:
    def lower(you: dict[str, Any]) -> None:
        you["threshold"], you["min_survivors"] = 4, 5

    round_id = run_round(world, lower, None)
    assert_refused_and_nothing_spent(world, round_id, "threshold 4 of 6 is below 2n/3 + 1")


def test_a_roster_key_of_an_organisation_without_a_seat_is_refused(world: LiveFederation) -> None:
    stranger = world.guests["outsider"]
    stranger_key = base64.urlsafe_b64encode(stranger.identity.public.signing_public)
    joined = membership.current(stranger.store)
    assert joined is not None
    credentials = trust.MachineCertificate.from_dict(json.loads(joined.certificate))

    def swap(you: dict[str, Any]) -> None:
        victim = next(pid for pid in you["roster"] if pid != str(you["participant"]))
        you["roster"][victim] = {
            "key": stranger_key.decode(),
            "certificate": credentials.to_dict(),
            "admission": base64.urlsafe_b64encode(bytes(64)).decode(),
        }

    round_id = run_round(world, swap, None)
    # With consortium rules, the quorum's seats vouch for organisation keys, not the admin.
    assert_refused_and_nothing_spent(world, round_id, "holds no seat in the consortium rules")


def test_a_key_the_aggregator_made_up_is_refused(world: LiveFederation) -> None:
    def invent(you: dict[str, Any]) -> None:
        victim = next(pid for pid in you["roster"] if pid != str(you["participant"]))
        you["roster"][victim] = {
            "key": base64.urlsafe_b64encode(bytes(range(32))).decode(),
            **{k: v for k, v in you["roster"][victim].items() if k != "key"},
        }

    round_id = run_round(world, invent, None)
    assert_refused_and_nothing_spent(world, round_id, "not the one its certificate names")


def test_one_organisation_twice_in_a_roster_is_refused(world: LiveFederation) -> None:
    def sybil(you: dict[str, Any]) -> None:
        pids = [pid for pid in you["roster"] if pid != str(you["participant"])]
        you["roster"][pids[0]] = you["roster"][pids[1]]

    round_id = run_round(world, sybil, None)
    assert_refused_and_nothing_spent(world, round_id, "one organisation more than once")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("unit", "record", "the federation's rules set 'organisation'"),
        ("epsilon", 5.0, "accepts at most 2 per round"),
        ("delta", 1e-3, "above the rules'"),
        ("k", 3, "at least 5 are required"),
    ],
)
def test_round_parameters_against_the_signed_rules_are_refused_before_enrolment(
    world: LiveFederation, field: str, value: object, reason: str
) -> None:
    def lie(document: dict[str, Any]) -> None:
        document["parameters"][field] = value

    round_id = run_round(world, None, lie)
    assert_refused_and_nothing_spent(world, round_id, reason)


def test_a_stricter_delta_is_honoured_from_the_command_to_each_member(
    world: LiveFederation,
) -> None:
    member = membership.current(world.admin_store)
    assert member is not None
    opened = learning.open_round(
        world.admin, member, "technology_trends", Budget(1.0, 1e-7), min_participants=5
    )
    assert opened["parameters"]["delta"] == 1e-7
    participant = world.members[0]
    joined = membership.current(participant.store)
    assert joined is not None
    rules, _ = pinned_rules(joined)
    terms = trust.check_round(
        rules, local_limits(participant.settings), "technology_trends", opened["parameters"]
    )
    assert (terms.delta, terms.rho) == (1e-7, rho_budget(1.0, 1e-7))
    world.admin.close_enrolment(opened["id"])  # too few enrolled: aborted, nothing spent
