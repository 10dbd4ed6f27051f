"""The parameters of one secure-aggregation round, shared by every client and the server."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bmad.errors import BmadError
from bmad.federation.secagg.graph import closed_neighbourhood, ring_order, sparse_parameters
from bmad.federation.secagg.validity import InputBounds

MODULUS_BITS = (32, 64)
MAX_PARTICIPANT_ID = 2**32 - 1
MAX_VECTOR_LENGTH = 10_000_000
MAX_ROUND_ID_BYTES = 200
_SIGNING_KEY_BYTES = 32


class Signer(Protocol):
    """Anything that signs with the participant's Ed25519 identity key.

    ``bmad.privacy.identity.Identity`` and ``Ed25519PrivateKey`` both qualify.
    """

    def sign(self, message: bytes, /) -> bytes: ...


@dataclass(frozen=True)
class RoundConfig:
    """One round: who takes part (id -> Ed25519 identity public key) and the thresholds.

    ``threshold`` (t) is the Shamir reconstruction threshold and the least number of responders
    every phase needs; it must be at least 2n/3 + 1 for a roster of n (Bonawitz et al. 2017's
    active-security setting: a malicious server with fewer than n/3 corrupt clients cannot
    collect both shares of an honest client, and no two disjoint groups reach it).
    ``min_survivors`` (>= t) is the least number of inputs the released sum may contain (the
    distributed-DP noise is sized for it).
    ``session_tag`` commits to every parameter including the round id; it is bound into every
    signature, encryption and mask, so nothing carries over from another round.

    ``neighbours`` 0 is the complete graph (Bonawitz et al.); k > 0 is a sparse SecAgg+ round
    (``bmad.federation.secagg.graph``): each participant masks with and shares to its k
    neighbours only, the threshold is per neighbourhood, and the degree, threshold and least
    survivors must be exactly those ``graph.sparse_parameters`` derives for the roster's size, so
    a client refuses a sparse round whose numbers the aggregator chose otherwise.

    ``input_bounds`` set makes every input carry a validity proof against those bounds
    (``bmad.federation.secagg.validity``); the bounds must keep the sum of n inputs decodable.
    """

    round_id: str
    roster: Mapping[int, bytes]
    threshold: int
    vector_length: int
    modulus_bits: int = 32
    min_survivors: int = 0
    neighbours: int = 0
    input_bounds: InputBounds | None = None
    session_tag: bytes = field(init=False, repr=False)
    _ring: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _places: dict[int, int] = field(init=False, repr=False, compare=False)
    _holders: dict[int, frozenset[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        encoded_round = self.round_id.encode("utf-8")
        if not 0 < len(encoded_round) <= MAX_ROUND_ID_BYTES:
            raise BmadError(f"round id must be 1 to {MAX_ROUND_ID_BYTES} bytes long")
        roster = dict(self.roster)
        if len(roster) < 3:
            raise BmadError("secure aggregation needs at least 3 participants")
        for participant, public_key in roster.items():
            if not (isinstance(participant, int) and 0 < participant <= MAX_PARTICIPANT_ID):
                raise BmadError(f"participant ids must be integers in 1..{MAX_PARTICIPANT_ID}")
            if not (isinstance(public_key, bytes) and len(public_key) == _SIGNING_KEY_BYTES):
                raise BmadError(f"participant {participant} has no valid Ed25519 public key")
        n = len(roster)
        if self.neighbours:
            minimum = self._check_sparse(n)
        else:
            least = (2 * n + 5) // 3
            if not least <= self.threshold <= n:
                raise BmadError(
                    f"threshold must be at least 2n/3 + 1 of the {n} participants "
                    f"({least}..{n}), got {self.threshold}"
                )
            minimum = self.min_survivors or self.threshold
            if not self.threshold <= minimum <= n:
                raise BmadError(f"min_survivors must lie in {self.threshold}..{n}")
        if self.modulus_bits not in MODULUS_BITS:
            raise BmadError("modulus_bits must be 32 or 64")
        if not 0 < self.vector_length <= MAX_VECTOR_LENGTH:
            raise BmadError(f"vector length must be 1..{MAX_VECTOR_LENGTH}")
        if self.input_bounds is not None:
            self.input_bounds.check_round(n, self.vector_length, self.modulus_bits)
        object.__setattr__(self, "roster", roster)
        object.__setattr__(self, "min_survivors", minimum)
        object.__setattr__(self, "session_tag", self._digest(encoded_round))
        ring = ring_order(self.session_tag, roster) if self.neighbours else sorted(roster)
        object.__setattr__(self, "_ring", tuple(ring))
        object.__setattr__(self, "_places", {p: place for place, p in enumerate(ring)})
        object.__setattr__(self, "_holders", {})

    def _check_sparse(self, n: int) -> int:
        """The least survivors of a sparse round, after checking its numbers against the
        parameters derived for ``n``; BmadError when they differ."""
        derived = sparse_parameters(n)
        if derived is None:
            raise BmadError(
                f"a round of {n} participants has no sparse graph: use the complete one"
            )
        if (self.neighbours, self.threshold) != (derived.neighbours, derived.threshold):
            raise BmadError(
                f"a sparse round of {n} needs {derived.neighbours} neighbours and threshold "
                f"{derived.threshold}, got {self.neighbours} and {self.threshold}"
            )
        minimum = self.min_survivors or derived.min_survivors
        if not derived.min_survivors <= minimum <= n:
            raise BmadError(f"min_survivors must lie in {derived.min_survivors}..{n}")
        return minimum

    def _digest(self, encoded_round: bytes) -> bytes:
        digest = hashlib.sha256(b"bmad secagg session v1")
        digest.update(len(encoded_round).to_bytes(2, "big") + encoded_round)
        for number in (self.threshold, self.min_survivors, self.vector_length, self.modulus_bits):
            digest.update(number.to_bytes(8, "big"))
        for participant in sorted(self.roster):
            digest.update(participant.to_bytes(4, "big") + self.roster[participant])
        if self.neighbours:  # complete-graph tags stay as they were before sparse rounds
            digest.update(b"sparse" + self.neighbours.to_bytes(8, "big"))
        if self.input_bounds is not None:
            digest.update(b"bounds" + self.input_bounds.digest())
        return digest.digest()

    @property
    def sparse(self) -> bool:
        return self.neighbours > 0

    def holders(self, participant: int) -> frozenset[int]:
        """Who holds shares of ``participant``'s secrets and masks with it, itself included:
        everyone in the complete graph, its closed neighbourhood in a sparse round."""
        cached = self._holders.get(participant)
        if cached is not None:
            return cached
        if participant not in self.roster:
            raise BmadError(f"participant {participant} is not in the round's roster")
        if self.neighbours:
            holders = closed_neighbourhood(self._ring, self._places[participant], self.neighbours)
        else:
            holders = frozenset(self.roster)
        self._holders[participant] = holders
        return holders

    def share_point(self, owner: int, holder: int) -> int:
        """The Shamir x-coordinate of ``holder``'s share of ``owner``'s secrets.

        The holder's id in the complete graph; in a sparse round its place in the owner's ring
        window (1..k+1), so that every owner's shares sit on the same points and reconstruction
        reuses one set of Lagrange weights instead of deriving them per owner."""
        if not self.neighbours:
            return holder
        places, n = self._places, len(self._ring)
        return (places[holder] - places[owner] + self.neighbours // 2) % n + 1

    @property
    def participants(self) -> tuple[int, ...]:
        return tuple(sorted(self.roster))

    @property
    def byte_width(self) -> int:
        return self.modulus_bits // 8
