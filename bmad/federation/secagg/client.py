"""One participant's side of one round: a state machine with one method per round.

In a sparse (SecAgg+) round the participant deals with its closed neighbourhood only
(``RoundConfig.holders``): it accepts keys, shares, masks and signatures from those peers alone,
needs the threshold among them, and still signs and checks the whole survivor list, which must
hold at least ``min_survivors`` participants.

Each method takes the server's broadcast for that round and returns the client's message. Any
failed check aborts the session for good (``BmadError`` "secure aggregation aborted: ...") and
forgets its secrets; a call out of order aborts too. Bad input to ``mask_input`` (not an integer
vector of the round's length) is refused without aborting.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bmad.errors import BmadError
from bmad.federation.secagg.config import RoundConfig, Signer
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
    decrypt_shares,
    encrypt_shares,
    mask,
    pairwise_mask_key,
    private_bytes,
    public_bytes,
    self_mask_key,
    share_associated_data,
    share_commitment,
    share_key,
    verify,
)
from bmad.federation.secagg.shamir import ELEMENT_BYTES, share_from_bytes, share_to_bytes, split
from bmad.federation.secagg.validity import input_blindings, prove_input
from bmad.federation.secagg.vectors import encode_input, to_wire

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class ClientPhase(enum.Enum):
    ADVERTISE = "advertise_keys"
    SHARE = "share_keys"
    MASK = "masked_input"
    CONSISTENCY = "consistency_check"
    UNMASK = "unmasking"
    DONE = "done"
    ABORTED = "aborted"


class ClientSession:
    """Participant ``participant`` of the round ``config``, signing with its identity key."""

    def __init__(self, config: RoundConfig, participant: int, signer: Signer) -> None:
        if participant not in config.roster:
            raise BmadError(f"participant {participant} is not in the round's roster")
        self.config = config
        self.participant = participant
        self._signer = signer
        self._phase = ClientPhase.ADVERTISE
        self.abort_reason: str | None = None
        self._encryption_key: X25519PrivateKey | None = X25519PrivateKey.generate()
        self._masking_key: X25519PrivateKey | None = X25519PrivateKey.generate()
        self._self_seed: bytes | None = secrets.token_bytes(SEED_BYTES)
        self._advertised: AdvertiseKeys | None = None
        self._peers: dict[int, AdvertiseKeys] = {}  # U1
        self._shares_held: dict[int, tuple[int, int]] = {}  # owner -> (share of b, share of s^SK)
        # peer -> the AES key of its shares both ways (one X25519 agreement per peer, not two)
        self._share_keys: dict[int, bytes] = {}
        self._senders: frozenset[int] = frozenset()  # U2
        self._survivors: tuple[int, ...] = ()  # U3
        self._holders = config.holders(participant)  # everyone, or the closed neighbourhood

    @property
    def phase(self) -> ClientPhase:
        return self._phase

    def _abort(self, reason: str) -> NoReturn:
        self._phase = ClientPhase.ABORTED
        self.abort_reason = reason
        self._forget_secrets()
        raise BmadError(f"secure aggregation aborted: {reason}")

    def _forget_secrets(self) -> None:
        self._encryption_key = None
        self._masking_key = None
        self._self_seed = None
        self._shares_held = {}
        self._share_keys = {}

    def _enter(self, phase: ClientPhase, round_id: str) -> None:
        if self._phase is ClientPhase.ABORTED:
            raise BmadError(f"secure aggregation aborted earlier: {self.abort_reason}")
        if self._phase is not phase:
            self._abort(f"server asked for {phase.value} during {self._phase.value}")
        if round_id != self.config.round_id:
            self._abort("message belongs to another round")

    def _keys(self) -> tuple[X25519PrivateKey, X25519PrivateKey, bytes]:
        if self._encryption_key is None or self._masking_key is None or self._self_seed is None:
            raise BmadError("secure aggregation session holds no keys")
        return self._encryption_key, self._masking_key, self._self_seed

    def advertise_keys(self) -> AdvertiseKeys:
        """Round 0: the encryption (c) and masking (s) public keys, signed."""
        self._enter(ClientPhase.ADVERTISE, self.config.round_id)
        encryption_key, masking_key, _ = self._keys()
        encryption_public = public_bytes(encryption_key)
        masking_public = public_bytes(masking_key)
        message = advertise_message(
            self.config.session_tag, self.participant, encryption_public, masking_public
        )
        self._advertised = AdvertiseKeys(
            self.config.round_id,
            self.participant,
            encryption_public,
            masking_public,
            self._signer.sign(message),
        )
        self._phase = ClientPhase.SHARE
        return self._advertised

    def share_keys(self, broadcast: KeysBroadcast) -> EncryptedShares:
        """Round 1: check U1's keys, then Shamir-share b_u and s_u^SK to every member of U1."""
        self._enter(ClientPhase.SHARE, broadcast.round_id)
        encryption_key, masking_key, self_seed = self._keys()
        self._check_keys(broadcast)
        holders = sorted(self._peers)
        threshold = self.config.threshold
        points = {self.config.share_point(self.participant, peer): peer for peer in holders}
        seed_points = split(int.from_bytes(self_seed, "big"), threshold, points)
        key_secret = int.from_bytes(private_bytes(masking_key), "big")
        key_points = split(key_secret, threshold, points)
        seed_shares = {peer: seed_points[point] for point, peer in points.items()}
        key_shares = {peer: key_points[point] for point, peer in points.items()}
        tag = self.config.session_tag
        ciphertexts = {}
        commitments = {}
        for peer in holders:
            commitments[peer] = share_commitment(
                tag, self.participant, peer, share_to_bytes(seed_shares[peer])
            ) + share_commitment(tag, self.participant, peer, share_to_bytes(key_shares[peer]))
            if peer == self.participant:
                self._shares_held[peer] = (seed_shares[peer], key_shares[peer])
                continue
            key = share_key(tag, encryption_key, self._peers[peer].encryption_public)
            self._share_keys[peer] = key
            plaintext = share_to_bytes(seed_shares[peer]) + share_to_bytes(key_shares[peer])
            ciphertexts[peer] = encrypt_shares(
                key, plaintext, share_associated_data(tag, self.participant, peer)
            )
        self._phase = ClientPhase.MASK
        return EncryptedShares(self.config.round_id, self.participant, ciphertexts, commitments)

    def _check_keys(self, broadcast: KeysBroadcast) -> None:
        peers: dict[int, AdvertiseKeys] = {}
        for keys in broadcast.keys:
            if keys.sender not in self._holders or keys.sender in peers:
                self._abort("key list names an unknown or repeated participant, or a non-neighbour")
            if keys.round_id != self.config.round_id:
                self._abort(f"keys of participant {keys.sender} belong to another round")
            message = advertise_message(
                self.config.session_tag, keys.sender, keys.encryption_public, keys.masking_public
            )
            if not verify(self.config.roster[keys.sender], message, keys.signature):
                self._abort(f"invalid key signature of participant {keys.sender}")
            peers[keys.sender] = keys
        if peers.get(self.participant) != self._advertised:
            self._abort("key list does not carry this participant's own keys")
        if len(peers) < self.config.threshold:
            self._abort(
                f"only {len(peers)} participants advertised keys, threshold is "
                f"{self.config.threshold}"
            )
        public_keys = [k.encryption_public for k in peers.values()]
        public_keys += [k.masking_public for k in peers.values()]
        if len(set(public_keys)) != len(public_keys):
            self._abort("advertised public keys are not all distinct")
        self._peers = peers

    def mask_input(
        self,
        inbox: SharesInbox,
        values: Sequence[int] | NDArray[np.integer],
        noise: Sequence[int] | None = None,
    ) -> MaskedInput:
        """Round 2: y_u = x_u + PRG(b_u) + sum_{v<u} PRG(s_uv) - sum_{v>u} PRG(s_uv) mod 2^k.

        In a round with input bounds ``values`` is the bounded contribution and ``noise`` the
        noise share, masked as their sum and proved apart (``secagg.validity``); else
        ``values`` is the input with its noise already added."""
        proved = self.config.input_bounds is not None
        if proved != (noise is not None):
            raise BmadError("a noise share is passed apart exactly when the round has bounds")
        contribution: list[int] = []
        if noise is not None:
            contribution = [int(x) for x in values]
            if len(noise) != len(contribution):
                raise BmadError("the noise share must be as long as the input")
            values = [x + int(e) for x, e in zip(contribution, noise, strict=True)]
        encoded = encode_input(values, self.config.modulus_bits)
        if encoded.shape != (self.config.vector_length,):
            raise BmadError(f"input vector must have {self.config.vector_length} entries")
        self._enter(ClientPhase.MASK, inbox.round_id)
        _, masking_key, self_seed = self._keys()
        if inbox.recipient != self.participant:
            self._abort("shares inbox is addressed to another participant")
        senders = set(inbox.ciphertexts)
        if not senders <= set(self._peers) - {self.participant}:
            self._abort("shares inbox holds shares from outside the key list")
        senders.add(self.participant)
        # The survivors are among these senders: with fewer than min_survivors the round can no
        # longer release, so it stops here, before this participant's input (and budget) is spent.
        # A sparse round's senders are the neighbours only, which need the threshold.
        needed = self.config.threshold
        if not self.config.sparse:
            needed = max(needed, self.config.min_survivors)
        if len(senders) < needed:
            self._abort(
                f"only {len(senders)} participants shared keys, at least {needed} are needed"
            )
        self._open_inbox(inbox)
        self._share_keys = {}  # used up: no more shares travel
        self._senders = frozenset(senders)

        tag, bits, length = (
            self.config.session_tag,
            self.config.modulus_bits,
            self.config.vector_length,
        )
        masked = encoded.copy()
        masked += mask(self_mask_key(tag, self_seed), length, bits)
        pairwise_keys = {}
        for peer in sorted(senders - {self.participant}):  # neighbours only in a sparse round
            key = pairwise_mask_key(tag, masking_key, self._peers[peer].masking_public)
            pairwise_keys[peer] = key
            if peer < self.participant:
                masked += mask(key, length, bits)
            else:
                masked -= mask(key, length, bits)
        proof = b""
        if noise is not None:
            blindings = input_blindings(tag, self.participant, self_seed, pairwise_keys, length)
            proof = self._input_proof(contribution, [int(e) for e in noise], blindings)
        self._phase = ClientPhase.CONSISTENCY
        return MaskedInput(self.config.round_id, self.participant, to_wire(masked), proof)

    def _input_proof(
        self, contribution: list[int], noise: list[int], blindings: list[int]
    ) -> bytes:
        """The validity proof of the masked input (a test's adversary overrides it to lie)."""
        assert self.config.input_bounds is not None
        return prove_input(
            self.config.session_tag,
            self.participant,
            self.config.input_bounds,
            contribution,
            noise,
            blindings,
        )

    def _open_inbox(self, inbox: SharesInbox) -> None:
        tag = self.config.session_tag
        for sender, ciphertext in inbox.ciphertexts.items():
            key = self._share_keys[sender]  # the key this participant encrypted to it with
            associated = share_associated_data(tag, sender, self.participant)
            try:
                plaintext = decrypt_shares(key, ciphertext, associated)
                size = ELEMENT_BYTES
                if len(plaintext) != 2 * size:
                    raise BmadError("wrong plaintext length")
                seed_share = share_from_bytes(plaintext[:size])
                key_share = share_from_bytes(plaintext[size:])
            except BmadError:
                self._abort(f"shares from participant {sender} failed authentication")
            expected = share_commitment(
                tag, sender, self.participant, plaintext[:size]
            ) + share_commitment(tag, sender, self.participant, plaintext[size:])
            if inbox.commitments.get(sender) != expected:
                self._abort(f"shares from participant {sender} do not match its commitments")
            self._shares_held[sender] = (seed_share, key_share)

    def sign_survivors(self, survivors: SurvivorList) -> ConsistencySignature:
        """Round 3: sign the survivor list U3 after checking it against U2."""
        self._enter(ClientPhase.CONSISTENCY, survivors.round_id)
        survivor_set = set(survivors.survivors)
        if not survivor_set <= self.config.roster.keys():
            self._abort("survivor list names participants outside the roster")
        if not survivor_set & self._holders <= self._senders:
            self._abort("survivor list names participants that never shared keys")
        if self.participant not in survivor_set:
            self._abort("survivor list leaves this participant out")
        needed = max(self.config.threshold, self.config.min_survivors)
        if len(survivor_set) < needed:
            self._abort(f"only {len(survivor_set)} survivors, at least {needed} are required")
        if len(survivor_set & self._holders) < self.config.threshold:
            self._abort(
                f"only {len(survivor_set & self._holders)} neighbours survived, threshold is "
                f"{self.config.threshold}"
            )
        self._survivors = tuple(sorted(survivor_set))
        message = consistency_message(self.config.session_tag, self._survivors)
        self._phase = ClientPhase.UNMASK
        return ConsistencySignature(
            self.config.round_id, self.participant, self._signer.sign(message)
        )

    def unmask(self, request: UnmaskRequest) -> UnmaskShares:
        """Round 4: after the consistency check, reveal b shares of U3 and s^SK shares of U2 - U3.

        Never both shares for one peer: a request naming a peer in both lists is refused. In a
        sparse round the request names the neighbourhood's part of U3 and U2 - U3 and the
        signatures of surviving neighbours; each is checked against the whole U3 signed here.
        """
        self._enter(ClientPhase.UNMASK, request.round_id)
        both = set(request.survivors) & set(request.dropped)
        if both:
            self._abort(f"server asked for both shares of participant {min(both)}; refused")
        local_survivors = tuple(sorted(set(self._survivors) & self._holders))
        if tuple(sorted(request.survivors)) != local_survivors:
            self._abort("server's survivor list differs from the one this participant signed")
        if set(request.dropped) != self._senders - set(self._survivors):
            self._abort("server's dropout list does not match the participants that shared keys")
        signers = set(request.signatures)
        if not signers <= set(local_survivors):
            self._abort("consistency signatures from participants outside the survivor list")
        if len(signers) < self.config.threshold:
            self._abort(
                f"only {len(signers)} consistency signatures, threshold is {self.config.threshold}"
            )
        message = consistency_message(self.config.session_tag, self._survivors)
        for signer, signature in sorted(request.signatures.items()):
            if not verify(self.config.roster[signer], message, signature):
                self._abort(f"invalid consistency signature of participant {signer}")
        held = self._shares_held
        seed_shares = {peer: share_to_bytes(held[peer][0]) for peer in local_survivors}
        key_shares = {peer: share_to_bytes(held[peer][1]) for peer in sorted(request.dropped)}
        self._phase = ClientPhase.DONE
        self._forget_secrets()
        return UnmaskShares(self.config.round_id, self.participant, seed_shares, key_shares)
