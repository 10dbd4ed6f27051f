"""An in-process round: real clients and a real server, every message through its JSON form.

Used by the tests and the benchmark. ``drop_after={r: ids}`` makes those participants go silent
once they have sent their round-r message (r = 0 AdvertiseKeys, 1 ShareKeys,
2 MaskedInputCollection, 3 ConsistencyCheck). CPU time (``time.process_time``) is charged to the
participant or to the server that does the work, JSON encoding and decoding included.
``neighbours`` > 0 runs a sparse SecAgg+ round (pass the degree and threshold that
``graph.sparse_parameters`` gives for the number of vectors): each participant then gets its
personal key list and unmasking request, as over HTTP, instead of the one broadcast.
``input_bounds`` runs a round with validity proofs (``validity``): ``vectors`` are then the
contributions and ``noise`` the noise shares; ``adversaries={id: cls}`` runs that participant
with a ``ClientSession`` subclass (a test's liar), and a masked input the server refuses as
invalid makes its sender a dropout (``Simulation.invalid_inputs`` says why).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bmad.errors import BmadError
from bmad.federation.secagg.client import ClientSession
from bmad.federation.secagg.config import RoundConfig
from bmad.federation.secagg.messages import (
    AdvertiseKeys,
    ConsistencySignature,
    EncryptedShares,
    KeysBroadcast,
    MaskedInput,
    SharesInbox,
    SurvivorList,
    UnmaskRequest,
    UnmaskShares,
)
from bmad.federation.secagg.server import AggregateResult, ServerRound
from bmad.federation.secagg.validity import InputBounds, InvalidInput

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

LAST_DROP_ROUND = 3


@dataclass
class Simulation:
    """The outcome of ``simulate_round``: the result, or the abort reason, and CPU seconds."""

    result: AggregateResult | None
    abort_reason: str | None
    client_cpu: dict[int, float] = field(default_factory=dict)
    server_cpu: float = 0.0
    invalid_inputs: dict[int, str] = field(default_factory=dict)  # refused input proofs


def _public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def simulate_round(
    vectors: Sequence[Sequence[int] | NDArray[np.integer]],
    threshold: int,
    drop_after: Mapping[int, Iterable[int]] | None = None,
    *,
    modulus_bits: int = 32,
    min_survivors: int = 0,
    round_id: str | None = None,
    neighbours: int = 0,
    input_bounds: InputBounds | None = None,
    noise: Sequence[Sequence[int]] | None = None,
    adversaries: Mapping[int, type[ClientSession]] | None = None,
) -> Simulation:
    """Run one round for participants 1..len(vectors) (participant i holds ``vectors[i-1]``).

    Returns the result, or ``result=None`` and the reason when the round aborts.
    """
    if not vectors:
        raise BmadError("simulate_round needs at least one vector")
    dropping = {round_number: set(ids) for round_number, ids in (drop_after or {}).items()}
    if any(not 0 <= round_number <= LAST_DROP_ROUND for round_number in dropping):
        raise BmadError(f"drop_after rounds must lie in 0..{LAST_DROP_ROUND}")
    identities = {i: Ed25519PrivateKey.generate() for i in range(1, len(vectors) + 1)}
    config = RoundConfig(
        round_id=round_id or str(uuid.uuid4()),
        roster={i: _public(key) for i, key in identities.items()},
        threshold=threshold,
        vector_length=len(vectors[0]),
        modulus_bits=modulus_bits,
        min_survivors=min_survivors,
        neighbours=neighbours,
        input_bounds=input_bounds,
    )
    simulation = Simulation(result=None, abort_reason=None)
    charge = _Meter(simulation).charge
    server = ServerRound(config)
    clients = {}
    for i, identity in identities.items():
        with charge(i):
            clients[i] = (adversaries or {}).get(i, ClientSession)(config, i, identity)
    try:
        simulation.result = _play(server, clients, _Inputs(vectors, noise), dropping, charge)
    except BmadError as error:
        simulation.abort_reason = str(error)
    simulation.invalid_inputs = dict(server.invalid_inputs)
    return simulation


def _play(
    server: ServerRound,
    clients: dict[int, ClientSession],
    inputs: _Inputs,
    dropping: dict[int, set[int]],
    charge: Callable[[int | None], AbstractContextManager[None]],
) -> AggregateResult:
    active = set(clients)
    for i in sorted(active):
        with charge(i):
            text = clients[i].advertise_keys().to_json()
        with charge(None):
            server.receive_advertise(AdvertiseKeys.from_json(text))
    active -= dropping.get(0, set())
    with charge(None):
        broadcast = server.close_advertise().to_json()

    for i in sorted(active):
        if server.config.sparse:
            with charge(None):
                broadcast = server.keys_for(i).to_json()
        with charge(i):
            text = clients[i].share_keys(KeysBroadcast.from_json(broadcast)).to_json()
        with charge(None):
            server.receive_shares(EncryptedShares.from_json(text))
    active -= dropping.get(1, set())
    with charge(None):
        inboxes = {i: inbox.to_json() for i, inbox in server.close_shares().items()}

    for i in sorted(active):
        with charge(i):
            inbox = SharesInbox.from_json(inboxes[i])
            noise = inputs.noise[i - 1] if inputs.noise is not None else None
            text = clients[i].mask_input(inbox, inputs.vectors[i - 1], noise).to_json()
        with charge(None):
            try:
                server.receive_masked_input(MaskedInput.from_json(text))
            except InvalidInput:
                active.discard(i)
    active -= dropping.get(2, set())
    with charge(None):
        survivors = server.close_masked_inputs().to_json()

    for i in sorted(active):
        with charge(i):
            text = clients[i].sign_survivors(SurvivorList.from_json(survivors)).to_json()
        with charge(None):
            server.receive_consistency(ConsistencySignature.from_json(text))
    active -= dropping.get(3, set())
    with charge(None):
        request = server.close_consistency().to_json()

    for i in sorted(active):
        if server.config.sparse:
            with charge(None):
                request = server.unmask_request_for(i).to_json()
        with charge(i):
            text = clients[i].unmask(UnmaskRequest.from_json(request)).to_json()
        with charge(None):
            server.receive_unmask(UnmaskShares.from_json(text))
    with charge(None):
        return server.close_unmask()


@dataclass(frozen=True)
class _Inputs:
    """What each participant masks: its vector, and its noise share apart in a proved round."""

    vectors: Sequence[Sequence[int] | NDArray[np.integer]]
    noise: Sequence[Sequence[int]] | None


class _Meter:
    """Charges the CPU time of a block to a participant, or to the server (``None``)."""

    def __init__(self, simulation: Simulation) -> None:
        self._simulation = simulation

    @contextmanager
    def charge(self, participant: int | None) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            spent = time.process_time() - started
            if participant is None:
                self._simulation.server_cpu += spent
            else:
                cpu = self._simulation.client_cpu
                cpu[participant] = cpu.get(participant, 0.0) + spent
