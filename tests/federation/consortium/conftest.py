"""Organisations with their keys and a fully seated rules log, built without an aggregator."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bmad.federation.consortium import changes
from bmad.federation.consortium.chain import ADMIN_SIGNER, GENESIS, LogEntry, sign_entry
from bmad.federation.consortium.rules import Seat, agreement_message, founding_rules
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
def log_world() -> World:
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
