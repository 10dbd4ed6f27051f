"""A round driven step by step, so tests can stop, tamper and inspect between rounds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bmad.federation.secagg import (
    AggregateResult,
    ClientSession,
    KeysBroadcast,
    RoundConfig,
    ServerRound,
    SharesInbox,
    SurvivorList,
    UnmaskRequest,
)


def public_key(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def make_identities(n: int) -> dict[int, Ed25519PrivateKey]:
    return {i: Ed25519PrivateKey.generate() for i in range(1, n + 1)}


def make_config(
    identities: dict[int, Ed25519PrivateKey],
    threshold: int,
    length: int,
    round_id: str = "round-a",
    modulus_bits: int = 32,
    min_survivors: int = 0,
) -> RoundConfig:
    return RoundConfig(
        round_id=round_id,
        roster={i: public_key(key) for i, key in identities.items()},
        threshold=threshold,
        vector_length=length,
        modulus_bits=modulus_bits,
        min_survivors=min_survivors,
    )


@dataclass
class Driver:
    config: RoundConfig
    identities: dict[int, Ed25519PrivateKey]
    clients: dict[int, ClientSession] = field(default_factory=dict)
    server: ServerRound = field(init=False)
    keys: KeysBroadcast | None = None
    inboxes: dict[int, SharesInbox] = field(default_factory=dict)
    survivors: SurvivorList | None = None
    request: UnmaskRequest | None = None

    def __post_init__(self) -> None:
        self.server = ServerRound(self.config)
        self.clients = {i: ClientSession(self.config, i, key) for i, key in self.identities.items()}

    def advertise(self, active: Iterable[int]) -> KeysBroadcast:
        for i in sorted(active):
            self.server.receive_advertise(self.clients[i].advertise_keys())
        self.keys = self.server.close_advertise()
        return self.keys

    def share(self, active: Iterable[int]) -> dict[int, SharesInbox]:
        assert self.keys is not None
        for i in sorted(active):
            self.server.receive_shares(self.clients[i].share_keys(self.keys))
        self.inboxes = self.server.close_shares()
        return self.inboxes

    def mask(self, active: Iterable[int], inputs: dict[int, Sequence[int]]) -> SurvivorList:
        for i in sorted(active):
            self.server.receive_masked_input(self.clients[i].mask_input(self.inboxes[i], inputs[i]))
        self.survivors = self.server.close_masked_inputs()
        return self.survivors

    def consistency(self, active: Iterable[int]) -> UnmaskRequest:
        assert self.survivors is not None
        for i in sorted(active):
            self.server.receive_consistency(self.clients[i].sign_survivors(self.survivors))
        self.request = self.server.close_consistency()
        return self.request

    def unmask(self, active: Iterable[int]) -> AggregateResult:
        assert self.request is not None
        for i in sorted(active):
            self.server.receive_unmask(self.clients[i].unmask(self.request))
        return self.server.close_unmask()


def driver(
    n: int = 6,
    threshold: int = 5,
    length: int = 6,
    round_id: str = "round-a",
    modulus_bits: int = 32,
    min_survivors: int = 0,
) -> Driver:
    identities = make_identities(n)
    config = make_config(identities, threshold, length, round_id, modulus_bits, min_survivors)
    return Driver(config, identities)


def inputs_for(n: int, length: int) -> dict[int, list[int]]:
    """Distinct, recognisable inputs: participant i holds i*1000 + j - 500 at index j."""
    return {i: [i * 1000 + j - 500 for j in range(length)] for i in range(1, n + 1)}
