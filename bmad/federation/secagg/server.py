"""The server's side of one round: collect each round's messages, close it, broadcast.

``receive_*`` checks one client message and keeps it, or raises ``BmadError`` and keeps nothing
(wrong round, wrong phase, unknown or repeated sender, bad signature, wrong shape). ``close_*``
ends a round: below the threshold the round aborts (``abort_reason`` says why, everything
collected is dropped, ``BmadError`` "secure aggregation aborted: ...") and stays aborted.

The server never holds an individual input: a masked vector is added to the running masked sum
on receipt and not kept, and the masks are removed from that sum only.

In a sparse (SecAgg+) round every participant deals with its closed neighbourhood only
(``RoundConfig.holders``), so what it receives is personal: ``keys_for``, ``inbox_for`` (also
behind ``close_shares``) and ``unmask_request_for`` give each participant its part, while
``close_advertise`` and ``close_consistency`` return the complete-graph broadcasts. Everything
is a function of the config and the accepted messages, so replaying them rebuilds the state.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bmad.errors import BmadError
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
from bmad.federation.secagg.primitives import (
    SEED_BYTES,
    advertise_message,
    consistency_message,
    mask,
    pairwise_mask_key,
    public_bytes,
    self_mask_key,
    share_commitment,
    verify,
)
from bmad.federation.secagg.shamir import combine, share_from_bytes
from bmad.federation.secagg.validity import (
    InvalidInput,
    blinding_correction,
    first_unopened_coordinate,
    input_commitments,
    verify_input,
)
from bmad.federation.secagg.vectors import decode_signed, from_wire

COMMITMENT_BYTES = 32

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class ServerPhase(enum.Enum):
    ADVERTISE = "advertise_keys"
    SHARE = "share_keys"
    MASK = "masked_input"
    CONSISTENCY = "consistency_check"
    UNMASK = "unmasking"
    DONE = "done"
    ABORTED = "aborted"


@dataclass(frozen=True)
class AggregateResult:
    """The unmasked sum of the inputs of ``survivors`` (U3), mod 2^modulus_bits."""

    round_id: str
    survivors: tuple[int, ...]
    modulus_bits: int
    modular_sum: NDArray[np.unsignedinteger]

    def signed(self) -> NDArray[np.int64]:
        """The centred lift (see ``bmad.federation.secagg.vectors``)."""
        return decode_signed(self.modular_sum, self.modulus_bits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "round_id": self.round_id,
            "survivors": list(self.survivors),
            "modulus_bits": self.modulus_bits,
            "sum": [int(value) for value in self.signed()],
        }


class ServerRound:
    """The aggregator's state for the round ``config``."""

    def __init__(self, config: RoundConfig) -> None:
        self.config = config
        self._phase = ServerPhase.ADVERTISE
        self.abort_reason: str | None = None
        self._keys: dict[int, AdvertiseKeys] = {}  # U1
        self._shares: dict[int, EncryptedShares] = {}  # U2
        self._masked_sum: NDArray[np.unsignedinteger] | None = None
        self._masked_senders: set[int] = set()  # U3
        self._survivors_message = b""  # what each member of U4 signs
        self._signatures: dict[int, bytes] = {}  # U4
        self._unmask: dict[int, UnmaskShares] = {}  # U5
        self.misbehaving: set[int] = set()  # senders of shares their owner never committed to
        self.invalid_inputs: dict[int, str] = {}  # sender -> why its input proof failed
        self._input_commitments: dict[int, list[bytes]] = {}  # survivor -> C^x_j + C^e_j

    @property
    def phase(self) -> ServerPhase:
        return self._phase

    def _abort(self, reason: str) -> NoReturn:
        self._phase = ServerPhase.ABORTED
        self.abort_reason = reason
        self._shares = {}
        self._masked_sum = None
        self._unmask = {}
        raise BmadError(f"secure aggregation aborted: {reason}")

    def _check_phase(self, phase: ServerPhase, round_id: str) -> None:
        if self._phase is ServerPhase.ABORTED:
            raise BmadError(f"secure aggregation aborted earlier: {self.abort_reason}")
        if round_id != self.config.round_id:
            raise BmadError("message belongs to another round")
        if self._phase is not phase:
            raise BmadError(f"round is in {self._phase.value}, not {phase.value}")

    def _accept(
        self, phase: ServerPhase, round_id: str, sender: int, expected: Collection[int]
    ) -> None:
        self._check_phase(phase, round_id)
        if sender not in expected:
            raise BmadError(f"participant {sender} may not send {phase.value} now")

    def _require(self, count: int, what: str, needed: int = 0) -> None:
        needed = max(needed, self.config.threshold)
        if count < needed:
            self._abort(f"only {count} {what}, at least {needed} are required")

    def _holders(self, participant: int) -> frozenset[int]:
        return self.config.holders(participant)

    # Round 0: AdvertiseKeys
    def receive_advertise(self, message: AdvertiseKeys) -> None:
        self._accept(ServerPhase.ADVERTISE, message.round_id, message.sender, self.config.roster)
        if message.sender in self._keys:
            raise BmadError(f"participant {message.sender} already advertised keys")
        signed = advertise_message(
            self.config.session_tag,
            message.sender,
            message.encryption_public,
            message.masking_public,
        )
        if not verify(self.config.roster[message.sender], signed, message.signature):
            raise BmadError(f"invalid key signature of participant {message.sender}")
        self._keys[message.sender] = message

    def close_advertise(self) -> KeysBroadcast:
        """U1 = the advertisers; send the returned broadcast to each of them."""
        self._check_phase(ServerPhase.ADVERTISE, self.config.round_id)
        self._require(len(self._keys), "participants advertised keys")
        self._phase = ServerPhase.SHARE
        return KeysBroadcast(self.config.round_id, tuple(self._keys[p] for p in sorted(self._keys)))

    def keys_for(self, recipient: int) -> KeysBroadcast:
        """The keys ``recipient`` needs after round 0: those of its holders in U1."""
        if self._phase in (ServerPhase.ADVERTISE, ServerPhase.ABORTED):
            raise BmadError("the key list is not complete yet")
        holders = self._holders(recipient)
        return KeysBroadcast(
            self.config.round_id, tuple(self._keys[p] for p in sorted(holders & self._keys.keys()))
        )

    # Round 1: ShareKeys
    def receive_shares(self, message: EncryptedShares) -> None:
        self._accept(ServerPhase.SHARE, message.round_id, message.sender, self._keys)
        if message.sender in self._shares:
            raise BmadError(f"participant {message.sender} already sent its shares")
        holders = self._holders(message.sender) & self._keys.keys()
        if set(message.ciphertexts) != holders - {message.sender}:
            raise BmadError("encrypted shares must address every other advertiser exactly once")
        if set(message.commitments) != holders or any(
            len(value) != 2 * COMMITMENT_BYTES for value in message.commitments.values()
        ):
            raise BmadError("encrypted shares must carry a commitment for every advertiser")
        self._shares[message.sender] = message

    def close_shares(self) -> dict[int, SharesInbox]:
        """U2 = the senders of shares; send each of them its inbox."""
        self._check_phase(ServerPhase.SHARE, self.config.round_id)
        self._require(len(self._shares), "participants shared keys")
        self._phase = ServerPhase.MASK
        return {recipient: self.inbox_for(recipient) for recipient in sorted(self._shares)}

    def inbox_for(self, recipient: int) -> SharesInbox:
        """The shares addressed to ``recipient`` (in U2) by the other members of U2."""
        if recipient not in self._shares or self._phase is not ServerPhase.MASK:
            raise BmadError(f"participant {recipient} has no shares inbox now")
        senders = sorted((self._holders(recipient) & self._shares.keys()) - {recipient})
        return SharesInbox(
            self.config.round_id,
            recipient,
            {sender: self._shares[sender].ciphertexts[recipient] for sender in senders},
            {sender: self._shares[sender].commitments[recipient] for sender in senders},
        )

    # Round 2: MaskedInputCollection
    def receive_masked_input(self, message: MaskedInput, *, proof_checked: bool = False) -> None:
        """``proof_checked``: the input proof was verified when this message first arrived (a
        replay of the server's own log), so its commitments are read without checking again."""
        self._accept(ServerPhase.MASK, message.round_id, message.sender, self._shares)
        if message.sender in self._masked_senders:
            raise BmadError(f"participant {message.sender} already sent its masked input")
        masked = from_wire(message.masked, self.config.vector_length, self.config.modulus_bits)
        if self.config.input_bounds is not None and proof_checked:
            self._input_commitments[message.sender] = input_commitments(
                self.config.input_bounds, message.validity
            )
        elif self.config.input_bounds is not None:
            self._verify_input(message)
        if self._masked_sum is None:
            self._masked_sum = masked.copy()
        else:
            self._masked_sum += masked
        self._masked_senders.add(message.sender)

    def check_input(self, message: MaskedInput) -> list[bytes]:
        """The commitments of a masked input's valid proof; InvalidInput says what failed.
        Reads only the config, so it may run outside the caller's lock."""
        if self.config.input_bounds is None:
            raise BmadError("this round has no input bounds")
        try:
            return verify_input(
                self.config.session_tag,
                message.sender,
                self.config.input_bounds,
                message.validity,
            )
        except InvalidInput as exc:
            raise InvalidInput(
                f"participant {message.sender}'s input refused: {exc.message}"
            ) from None

    def _verify_input(self, message: MaskedInput) -> None:
        """Keep the commitments of a valid input proof; a failed one leaves its sender out of
        U3 for good, as a dropout (InvalidInput says why)."""
        sender = message.sender
        if sender in self.invalid_inputs:
            raise InvalidInput(f"participant {sender}'s input was already refused")
        try:
            self._input_commitments[sender] = self.check_input(message)
        except InvalidInput as exc:
            self.invalid_inputs[sender] = exc.message
            raise

    def close_masked_inputs(self) -> SurvivorList:
        """U3 = the senders of masked inputs; send the list to each of them."""
        self._check_phase(ServerPhase.MASK, self.config.round_id)
        self._require(len(self._masked_senders), "masked inputs", self.config.min_survivors)
        self._phase = ServerPhase.CONSISTENCY
        self._survivors_message = consistency_message(
            self.config.session_tag, tuple(self._masked_senders)
        )
        return SurvivorList(self.config.round_id, tuple(sorted(self._masked_senders)))

    # Round 3: ConsistencyCheck
    def receive_consistency(self, message: ConsistencySignature) -> None:
        self._accept(
            ServerPhase.CONSISTENCY, message.round_id, message.sender, self._masked_senders
        )
        if message.sender in self._signatures:
            raise BmadError(f"participant {message.sender} already signed the survivor list")
        signed = self._survivors_message
        if not verify(self.config.roster[message.sender], signed, message.signature):
            raise BmadError(f"invalid consistency signature of participant {message.sender}")
        self._signatures[message.sender] = message.signature

    def close_consistency(self) -> UnmaskRequest:
        """U4 = the signers; send each of them the signatures and what to reveal."""
        self._check_phase(ServerPhase.CONSISTENCY, self.config.round_id)
        self._require(len(self._signatures), "consistency signatures")
        self._phase = ServerPhase.UNMASK
        return UnmaskRequest(
            self.config.round_id,
            tuple(sorted(self._masked_senders)),
            tuple(sorted(set(self._shares) - self._masked_senders)),
            self._forwarded_signatures(self._signatures.keys()),
        )

    def unmask_request_for(self, recipient: int) -> UnmaskRequest:
        """What ``recipient`` (in U4) reveals: its holders' part of U3 and of U2 - U3, with the
        consistency signatures of its surviving holders (of all survivors, in the complete
        graph)."""
        if recipient not in self._signatures or self._phase is not ServerPhase.UNMASK:
            raise BmadError(f"participant {recipient} has no unmasking request now")
        holders = self._holders(recipient)
        return UnmaskRequest(
            self.config.round_id,
            tuple(sorted(self._masked_senders & holders)),
            tuple(sorted((self._shares.keys() & holders) - self._masked_senders)),
            self._forwarded_signatures(self._signatures.keys() & holders),
        )

    def _forwarded_signatures(self, signers: Iterable[int]) -> dict[int, bytes]:
        """The consistency signatures a participant checks: the threshold's worth (the
        lowest ids), which is all its check needs, so that it verifies no more than that."""
        chosen = sorted(signers)[: self.config.threshold]
        return {p: self._signatures[p] for p in chosen}

    # Round 4: Unmasking
    def receive_unmask(self, message: UnmaskShares) -> None:
        self._accept(ServerPhase.UNMASK, message.round_id, message.sender, self._signatures)
        if message.sender in self._unmask:
            raise BmadError(f"participant {message.sender} already sent its unmasking shares")
        holders = self._holders(message.sender)
        if set(message.self_mask_shares) != self._masked_senders & holders:
            raise BmadError("unmasking shares must cover exactly the survivors' self masks")
        if set(message.mask_key_shares) != (self._shares.keys() & holders) - self._masked_senders:
            raise BmadError("unmasking shares must cover exactly the dropped participants' keys")
        for share in (*message.self_mask_shares.values(), *message.mask_key_shares.values()):
            share_from_bytes(share)
        self._check_commitments(message)
        self._unmask[message.sender] = message

    def _check_commitments(self, message: UnmaskShares) -> None:
        """Each revealed share must be the one its owner committed to for this sender."""
        tag, sender = self.config.session_tag, message.sender
        for shares, half in ((message.self_mask_shares, 0), (message.mask_key_shares, 1)):
            for owner, share in shares.items():
                committed = self._shares[owner].commitments[sender]
                expected = committed[half * COMMITMENT_BYTES : (half + 1) * COMMITMENT_BYTES]
                if share_commitment(tag, owner, sender, share) != expected:
                    self.misbehaving.add(sender)
                    raise BmadError(
                        f"participant {sender} revealed a share of participant {owner} that its "
                        "owner never committed to: refused"
                    )

    def close_unmask(self) -> AggregateResult:
        """U5 = the senders of unmasking shares; reconstruct the secrets and unmask the sum."""
        self._check_phase(ServerPhase.UNMASK, self.config.round_id)
        self._require(len(self._unmask), "participants sent unmasking shares")
        if self._masked_sum is None:
            raise BmadError("no masked inputs were collected")
        total = self._masked_sum
        tag, bits, length = (
            self.config.session_tag,
            self.config.modulus_bits,
            self.config.vector_length,
        )
        seeds: dict[int, bytes] = {}
        dropped_pairs: list[tuple[int, int, bytes]] = []
        for survivor in sorted(self._masked_senders):
            seed = self._reconstruct(survivor, "self_mask_shares")
            seeds[survivor] = seed
            total -= mask(self_mask_key(tag, seed), length, bits)
        for dropped in sorted(set(self._shares) - self._masked_senders):
            masking_key = X25519PrivateKey.from_private_bytes(
                self._reconstruct(dropped, "mask_key_shares")
            )
            if public_bytes(masking_key) != self._keys[dropped].masking_public:
                self._abort(
                    f"reconstructed masking key of participant {dropped} "
                    "contradicts its advertised key"
                )
            for survivor in sorted(self._masked_senders & self._holders(dropped)):
                peer_public = self._keys[survivor].masking_public
                pair_key = pairwise_mask_key(tag, masking_key, peer_public)
                dropped_pairs.append((dropped, survivor, pair_key))
                pairwise = mask(pair_key, length, bits)
                # The survivor added PRG(s) for lower-numbered peers and subtracted it for higher.
                if dropped < survivor:
                    total -= pairwise
                else:
                    total += pairwise
        result = AggregateResult(
            self.config.round_id, tuple(sorted(self._masked_senders)), bits, total.copy()
        )
        if self.config.input_bounds is not None:
            self._check_sum(result, seeds, dropped_pairs)
        self._masked_sum = None
        self._shares = {}
        self._unmask = {}
        self._input_commitments = {}
        self._phase = ServerPhase.DONE
        return result

    def _check_sum(
        self,
        result: AggregateResult,
        seeds: dict[int, bytes],
        dropped_pairs: list[tuple[int, int, bytes]],
    ) -> None:
        """Abort unless the unmasked sum opens the survivors' summed commitments."""
        tag, length = self.config.session_tag, self.config.vector_length
        correction = blinding_correction(tag, seeds, dropped_pairs, length)
        commitments = [self._input_commitments[p] for p in sorted(self._masked_senders)]
        mismatch = first_unopened_coordinate(commitments, correction, result.signed())
        if mismatch is not None:
            self._abort(
                f"the unmasked sum differs from the committed inputs at coordinate {mismatch}: "
                "a masked input did not match its commitments; nothing is released"
            )

    def _reconstruct(self, owner: int, field: str) -> bytes:
        shares = {
            self.config.share_point(owner, sender): share_from_bytes(getattr(message, field)[owner])
            for sender, message in self._unmask.items()
            if owner in getattr(message, field)
        }
        if len(shares) < self.config.threshold:
            self._abort(
                f"only {len(shares)} holders revealed shares of participant {owner}, "
                f"threshold is {self.config.threshold}"
            )
        if self.config.sparse:
            # Every revealed share matched its owner's commitment on receipt; the lowest t
            # points keep the Lagrange weights shared between owners (see shamir).
            shares = dict(sorted(shares.items())[: self.config.threshold])
        try:
            secret = combine(shares, self.config.threshold)
        except BmadError:
            self._abort(f"unmasking shares for participant {owner} contradict each other")
        if secret >= 2 ** (8 * SEED_BYTES):
            self._abort(f"reconstructed secret of participant {owner} is out of range")
        return secret.to_bytes(SEED_BYTES, "big")
