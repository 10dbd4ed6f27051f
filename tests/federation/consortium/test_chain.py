"""The rules log on its own: who must sign which change, and what a member detects."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bmad.federation.consortium import changes
from bmad.federation.consortium.chain import (
    ADMIN_SIGNER,
    GENESIS,
    ConsortiumLogError,
    Head,
    LogEntry,
    sign_entry,
    verify_log,
)
from bmad.federation.consortium.rules import Quorum, Seat, agreement_message, founding_rules
from bmad.federation.governance import governance_for
from bmad.federation.trust import b64, certify_machine

FEDERATION = "6f1c0c3e-8f7a-4c57-9d0e-2b1a8b9c0d11"


@dataclass
class Key:
    private: Ed25519PrivateKey

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message: bytes, /) -> bytes:
        return self.private.sign(message)


def new_key() -> Key:
    return Key(Ed25519PrivateKey.generate())


@dataclass
class World:
    admin: Key
    organisations: dict[str, Key]  # organisation keys
    machines: dict[str, Key]
    entries: list[LogEntry]

    def seat(self, name: str, entry: LogEntry) -> Seat:
        certificate = certify_machine(
            self.organisations[name],
            self.organisations[name].public,
            FEDERATION,
            name,
            self.machines[name].public,
            1.0,
        )
        message = agreement_message(entry.rules, name, self.organisations[name].public)
        signature = b64(self.machines[name].sign(message))
        return Seat(name, b64(self.organisations[name].public), certificate.to_dict(), signature)

    def bind(self, name: str) -> LogEntry:
        head = self.entries[-1]
        seat = self.seat(name, head)
        rules = changes.binding(
            head.rules, name, seat.key, seat.certificate, seat.agreement_signature
        )
        entry = changes.next_entry(head, rules, {"kind": "bind", "organisation": name})
        return entry.signed_by(ADMIN_SIGNER, sign_entry(entry, self.admin))

    def signed(self, entry: LogEntry, *names: str) -> LogEntry:
        for name in names:
            entry = entry.signed_by(name, sign_entry(entry, self.organisations[name]))
        return entry


NAMES = ["coordinator", "org1", "org2", "org3", "org4", "org5"]


@pytest.fixture
def world() -> World:
    """Six organisations, every seat taken: a quorum of 2/3 is 4 signatures."""
    keys = {name: new_key() for name in NAMES}
    machines = {name: new_key() for name in NAMES}
    admin = machines["coordinator"]
    built = World(admin, keys, machines, [])
    rules = founding_rules(FEDERATION, governance_for("low"), "coordinator", NAMES, admin.public)
    founding = LogEntry(1, GENESIS, "2026-01-01T00:00:00Z", {"kind": "found"}, rules)
    founding = replace(
        founding, rules=changes.with_seat(rules, built.seat("coordinator", founding))
    )
    built.entries.append(built.signed(founding, "coordinator"))
    for name in NAMES[1:]:
        built.entries.append(built.bind(name))
    return built


def epsilon_change(world: World) -> LogEntry:
    head = world.entries[-1]
    rules = changes.rules_change(head.rules, {"epsilon_per_round": "1"})
    return changes.next_entry(head, rules, {"kind": "rules"})


def test_a_founded_and_fully_seated_log_verifies_and_needs_four_of_six(world: World) -> None:
    head = verify_log(world.entries, FEDERATION, world.admin.public)
    assert head.version == 6
    assert len(head.rules.member_keys()) == 6
    assert head.rules.quorum_needed() == 4
    assert Quorum(3, 4, 1).needed(6) == 5 and Quorum(2, 3, 5).needed(3) == 3


def test_a_rules_change_takes_effect_only_with_a_quorum_of_member_keys(world: World) -> None:
    change = epsilon_change(world)
    short = world.signed(change, "org1", "org2", "org3")
    with pytest.raises(ConsortiumLogError, match=r"3 valid member signatures .* quorum is 4"):
        verify_log([*world.entries, short], FEDERATION, world.admin.public)
    enough = world.signed(change, "org1", "org2", "org3", "org4")
    head = verify_log([*world.entries, enough], FEDERATION, world.admin.public)
    assert head.rules.governance.epsilon_per_round == 1.0


def test_signatures_by_other_keys_or_of_another_text_do_not_count(world: World) -> None:
    change = epsilon_change(world)
    impostor = new_key()
    forged = change.signed_by("org4", sign_entry(change, impostor))
    forged = world.signed(forged, "org1", "org2", "org3")
    with pytest.raises(ConsortiumLogError, match="3 valid"):
        verify_log([*world.entries, forged], FEDERATION, world.admin.public)
    approved = world.signed(change, "org1", "org2", "org3", "org4")
    tampered = replace(approved, rules=changes.rules_change(approved.rules, {"delta": "1e-3"}))
    with pytest.raises(ConsortiumLogError, match="0 valid"):
        verify_log([*world.entries, tampered], FEDERATION, world.admin.public)


def test_the_admin_alone_can_bind_a_free_seat_but_not_add_one(world: World) -> None:
    head = world.entries[-1]
    sybil = changes.next_entry(head, changes.admission(head.rules, "sybil"), {"kind": "admit"})
    sybil = sybil.signed_by(ADMIN_SIGNER, sign_entry(sybil, world.admin))
    sybil = world.signed(sybil, "coordinator")
    with pytest.raises(ConsortiumLogError, match="1 valid member signatures"):
        verify_log([*world.entries, sybil], FEDERATION, world.admin.public)
    disguised = replace(sybil, change={"kind": "bind", "organisation": "sybil"})
    with pytest.raises(ConsortiumLogError, match="no free seat"):
        verify_log([*world.entries, disguised], FEDERATION, world.admin.public)


def test_a_member_detects_a_rollback_and_a_fork_of_what_it_verified(world: World) -> None:
    change = epsilon_change(world)
    accepted = world.signed(change, "org1", "org2", "org3", "org4")
    log = [*world.entries, accepted]
    pinned = Head(accepted.version, accepted.hash)
    with pytest.raises(ConsortiumLogError, match="rolled back or truncated"):
        verify_log(world.entries, FEDERATION, world.admin.public, pinned)
    other_change = changes.next_entry(
        world.entries[-1],
        changes.rules_change(world.entries[-1].rules, {"k_min_participants": "4"}),
        {"kind": "rules"},
    )
    other = world.signed(other_change, "org2", "org3", "org4", "org5")
    with pytest.raises(ConsortiumLogError, match="forked"):
        verify_log([*world.entries, other], FEDERATION, world.admin.public, pinned)
    assert verify_log(log, FEDERATION, world.admin.public, pinned) == accepted


def test_a_log_founded_under_another_admin_key_is_refused(world: World) -> None:
    with pytest.raises(ConsortiumLogError, match="another admin key"):
        verify_log(world.entries, FEDERATION, new_key().public)


def test_eligibility_hook_decides_who_counts_toward_quorum(world: World) -> None:
    change = world.signed(epsilon_change(world), "org1", "org2", "org3", "org4")

    def established(organisation: str) -> bool:  # e.g. a minimum reputation
        return organisation not in ("org3", "org4")

    # Still 4 of the six members are needed; only org1's and org2's signatures count.
    with pytest.raises(ConsortiumLogError, match=r"2 valid member signatures .* quorum is 4"):
        verify_log([*world.entries, change], FEDERATION, world.admin.public, None, established)
