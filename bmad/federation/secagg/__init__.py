"""Secure aggregation: Bonawitz et al. 2017 (ePrint 2017/281) with the consistency check.

A pure, transport-agnostic library: the server learns the sum of the participants' integer
vectors mod 2^k and nothing else, while participants may drop out after any round as long as
at least ``threshold`` remain. Primitives come from ``cryptography`` only, randomness from
``secrets`` only (see ``primitives``, ``shamir``).

Usage (one ``RoundConfig`` shared by all; ``roster`` maps participant id, an integer in
1..2^32-1, to its Ed25519 identity public key)::

    config = RoundConfig(round_id, roster, threshold=t, vector_length=L, modulus_bits=32)
    client = ClientSession(config, my_id, identity)     # identity: anything with .sign(bytes)
    server = ServerRound(config)

    Round 0 AdvertiseKeys     client.advertise_keys() -> AdvertiseKeys
                              server.receive_advertise(msg)
                              server.close_advertise() -> KeysBroadcast, to each of U1
    Round 1 ShareKeys         client.share_keys(KeysBroadcast) -> EncryptedShares
                              server.receive_shares(msg)
                              server.close_shares() -> {id: SharesInbox}, one to each of U2
    Round 2 MaskedInput       client.mask_input(SharesInbox, vector) -> MaskedInput
                              server.receive_masked_input(msg)
                              server.close_masked_inputs() -> SurvivorList (U3), to each of U3
    Round 3 ConsistencyCheck  client.sign_survivors(SurvivorList) -> ConsistencySignature
                              server.receive_consistency(msg)
                              server.close_consistency() -> UnmaskRequest, to each of U4
    Round 4 Unmasking         client.unmask(UnmaskRequest) -> UnmaskShares
                              server.receive_unmask(msg)
                              server.close_unmask() -> AggregateResult

Every message is a frozen dataclass with ``to_json()`` / ``Cls.from_json(text)`` (bytes as
base64, ``"type"`` names the kind). ``receive_*`` raises ``BmadError`` for a message it rejects
(wrong round or phase, unknown or repeated sender, bad signature or shape) and keeps nothing;
``close_*`` raises ``BmadError("secure aggregation aborted: ...")`` when fewer than the
threshold responded (U3 also needs ``min_survivors``), after which ``server.abort_reason`` holds
the reason and the round is dead. A client method raises the same on any failed check (bad
signature, tampered or misaddressed ciphertext, a survivor list it did not sign, a request to
reveal both shares of one peer, a call out of order) and then refuses every later call.

Inputs are integer vectors; the caller adds its distributed-DP noise share first. Entries are
reduced mod 2^k; ``AggregateResult.signed()`` decodes the sum by the centred lift, exact while
every coordinate of the true sum lies in [-2^(k-1), 2^(k-1)) (``vectors.max_abs_entry``).

Large rounds use SecAgg+ (Bell et al. 2020, ``graph``): ``RoundConfig(neighbours=k)`` with the
degree and per-neighbourhood threshold ``graph.sparse_parameters(n)`` derives; each participant
then deals with its k neighbours only, and the server's ``keys_for``, ``inbox_for`` and
``unmask_request_for`` give each one its part of rounds 0, 1 and 3.

Inputs can be proved in range (``validity``, on ed25519 through PyNaCl: ``curve``,
``range_proofs``): with ``RoundConfig(input_bounds=...)`` (``round_bounds`` derives them for a
round) a client passes its contribution and its noise share apart,
``mask_input(inbox, contribution, noise)``, and its ``MaskedInput`` carries the proof; the server
leaves a participant whose proof fails out of U3 (``invalid_inputs``) and checks the unmasked
sum against the survivors' commitments before returning it.

``simulate_round(vectors, threshold, drop_after={round: ids})`` runs a whole round in process.
"""

from bmad.federation.secagg.client import ClientPhase, ClientSession
from bmad.federation.secagg.config import RoundConfig, Signer
from bmad.federation.secagg.messages import (
    AdvertiseKeys,
    ConsistencySignature,
    EncryptedShares,
    KeysBroadcast,
    MaskedInput,
    Message,
    SharesInbox,
    SurvivorList,
    UnmaskRequest,
    UnmaskShares,
)
from bmad.federation.secagg.server import AggregateResult, ServerPhase, ServerRound
from bmad.federation.secagg.simulate import Simulation, simulate_round
from bmad.federation.secagg.vectors import decode_signed, max_abs_entry

__all__ = [
    "AdvertiseKeys",
    "AggregateResult",
    "ClientPhase",
    "ClientSession",
    "ConsistencySignature",
    "EncryptedShares",
    "KeysBroadcast",
    "MaskedInput",
    "Message",
    "RoundConfig",
    "ServerPhase",
    "ServerRound",
    "SharesInbox",
    "Signer",
    "Simulation",
    "SurvivorList",
    "UnmaskRequest",
    "UnmaskShares",
    "decode_signed",
    "max_abs_entry",
    "simulate_round",
]
