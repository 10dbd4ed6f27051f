"""The rules log on its own: who must sign which change, and what a member detects."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bmad.federation.consortium import changes
from bmad.federation.consortium.chain import (
    ADMIN_SIGNER,
    ConsortiumLogError,
    Head,
    LogEntry,
    sign_entry,
    verify_log,
)
from bmad.federation.consortium.rules import Quorum
from tests.federation.consortium.conftest import FEDERATION, World, new_key


def epsilon_change(log_world: World) -> LogEntry:
    head = log_world.entries[-1]
    rules = changes.rules_change(head.rules, {"epsilon_per_round": "1"})
    return changes.next_entry(head, rules, {"kind": "rules"})


def test_a_founded_and_fully_seated_log_verifies_and_needs_four_of_six(log_world: World) -> None:
    head = verify_log(log_world.entries, FEDERATION, log_world.admin.public)
    assert head.version == 6
    assert len(head.rules.member_keys()) == 6
    assert head.rules.quorum_needed() == 4
    assert Quorum(3, 4, 1).needed(6) == 5 and Quorum(2, 3, 5).needed(3) == 3


def test_a_rules_change_takes_effect_only_with_a_quorum_of_member_keys(log_world: World) -> None:
    change = epsilon_change(log_world)
    short = log_world.signed(change, "org1", "org2", "org3")
    with pytest.raises(ConsortiumLogError, match=r"3 valid member signatures .* quorum is 4"):
        verify_log([*log_world.entries, short], FEDERATION, log_world.admin.public)
    enough = log_world.signed(change, "org1", "org2", "org3", "org4")
    head = verify_log([*log_world.entries, enough], FEDERATION, log_world.admin.public)
    assert head.rules.governance.epsilon_per_round == 1.0


def test_signatures_by_other_keys_or_of_another_text_do_not_count(log_world: World) -> None:
    change = epsilon_change(log_world)
    impostor = new_key()
    forged = change.signed_by("org4", sign_entry(change, impostor))
    forged = log_world.signed(forged, "org1", "org2", "org3")
    with pytest.raises(ConsortiumLogError, match="3 valid"):
        verify_log([*log_world.entries, forged], FEDERATION, log_world.admin.public)
    approved = log_world.signed(change, "org1", "org2", "org3", "org4")
    tampered = replace(approved, rules=changes.rules_change(approved.rules, {"delta": "1e-3"}))
    with pytest.raises(ConsortiumLogError, match="0 valid"):
        verify_log([*log_world.entries, tampered], FEDERATION, log_world.admin.public)


def test_the_admin_alone_can_bind_a_free_seat_but_not_add_one(log_world: World) -> None:
    head = log_world.entries[-1]
    sybil = changes.next_entry(head, changes.admission(head.rules, "sybil"), {"kind": "admit"})
    sybil = sybil.signed_by(ADMIN_SIGNER, sign_entry(sybil, log_world.admin))
    sybil = log_world.signed(sybil, "coordinator")
    with pytest.raises(ConsortiumLogError, match="1 valid member signatures"):
        verify_log([*log_world.entries, sybil], FEDERATION, log_world.admin.public)
    disguised = replace(sybil, change={"kind": "bind", "organisation": "sybil"})
    with pytest.raises(ConsortiumLogError, match="no free seat"):
        verify_log([*log_world.entries, disguised], FEDERATION, log_world.admin.public)


def test_a_member_detects_a_rollback_and_a_fork_of_what_it_verified(log_world: World) -> None:
    change = epsilon_change(log_world)
    accepted = log_world.signed(change, "org1", "org2", "org3", "org4")
    log = [*log_world.entries, accepted]
    pinned = Head(accepted.version, accepted.hash)
    with pytest.raises(ConsortiumLogError, match="rolled back or truncated"):
        verify_log(log_world.entries, FEDERATION, log_world.admin.public, pinned)
    other_change = changes.next_entry(
        log_world.entries[-1],
        changes.rules_change(log_world.entries[-1].rules, {"k_min_participants": "4"}),
        {"kind": "rules"},
    )
    other = log_world.signed(other_change, "org2", "org3", "org4", "org5")
    with pytest.raises(ConsortiumLogError, match="forked"):
        verify_log([*log_world.entries, other], FEDERATION, log_world.admin.public, pinned)
    assert verify_log(log, FEDERATION, log_world.admin.public, pinned) == accepted


def test_a_log_founded_under_another_admin_key_is_refused(log_world: World) -> None:
    with pytest.raises(ConsortiumLogError, match="another admin key"):
        verify_log(log_world.entries, FEDERATION, new_key().public)


def test_eligibility_hook_decides_who_counts_toward_quorum(log_world: World) -> None:
    change = log_world.signed(epsilon_change(log_world), "org1", "org2", "org3", "org4")

    def established(organisation: str) -> bool:  # e.g. a minimum reputation
        return organisation not in ("org3", "org4")

    # Still 4 of the six members are needed; only org1's and org2's signatures count.
    with pytest.raises(ConsortiumLogError, match=r"2 valid member signatures .* quorum is 4"):
        verify_log(
            [*log_world.entries, change], FEDERATION, log_world.admin.public, None, established
        )
