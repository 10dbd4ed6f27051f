"""Validity proofs for secure aggregation: each input proved in range, the sum tied to them.

In a round whose ``RoundConfig.input_bounds`` is set, a participant's masked input comes with
an input proof (``MaskedInput.validity``): per coordinate j, Pedersen commitments to its
bounded contribution x_j and to its noise share e_j with range proofs (``range_proofs``) for
x_j within the layout's bound and |e_j| <= the noise bound, and per FixedMass block a range
proof that the block's total is at most its mass. The server checks the proof when the masked
input arrives (before the survivor list is fixed): a participant whose proof fails is left out
of U3, exactly like a dropout, so its self-mask seed is never asked for and the round goes on
without it.

The commitments' blindings follow the masks: r_j = PRF(b_u, j) + sum_v +-PRF(s_uv, j) mod l,
with the seeds and pairwise keys of the masks and the same signs, split at random between the
x and e commitments. Pairwise terms cancel in the survivors' sum, so once the server has
reconstructed the self-mask seeds of the survivors and the masking keys of the dropouts it
knows R_j = sum of the survivors' r_j, and before releasing the sum S it checks
sum_u (C^x_uj + C^e_uj) - R_j G = S_j H. One PRF value per participant stays unknown to it
(the pairwise terms with other survivors), so a single commitment opens to nothing.

What this proves (README "Trust model"): the released sum is the sum of values each inside
its range, so a lying participant moves a coordinate by at most its contribution bound plus
the noise bound. A participant whose commitments do not match its masked input is caught by
the sum check, which cannot say who it was: the round then aborts before anything is
released. NormBall blocks are proved coordinate by coordinate (|x_j| <= cap * norm, an
L-infinity bound, weaker than the L2 ball honest participants keep to).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bmad.errors import BmadError
from bmad.federation.secagg.curve import (
    ORDER,
    POINT_BYTES,
    H,
    add,
    base_times,
    decode_point,
    subtract,
    times,
    total,
)
from bmad.federation.secagg.range_proofs import (
    Range,
    commit,
    prove_range,
    random_scalar,
    verify_range,
)
from bmad.privacy.bounding import ContributionSchema, FixedMass, NormBall

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# A noise share is proved within this many of its standard deviations; honest participants
# redraw the rare share beyond it (two-sided tail ~1.2e-15 per coordinate, added to delta).
NOISE_BOUND_DEVIATIONS = 8
_CONTEXT = b"bmad secagg validity v1"
_SELF_BLINDING = b"bmad secagg self blinding v1"
_PAIRWISE_BLINDING = b"bmad secagg pairwise blinding v1"
_WIDE_BYTES = 64  # per blinding: reduced mod l, its bias is below 2^-250


RangeProver = Callable[[bytes, bytes, int, int, Range], bytes]


class InvalidInput(BmadError):
    """A participant's input proof failed; the message says which part."""


@dataclass(frozen=True, slots=True)
class BlockTotal:
    """Coordinates ``start``..``stop``-1 must sum to a value within ``bounds``."""

    start: int
    stop: int
    bounds: Range


@dataclass(frozen=True)
class InputBounds:
    """What every participant's input must satisfy in a verified round."""

    contribution: tuple[Range, ...]  # per coordinate
    noise: int  # |e_j| <= noise for every coordinate
    block_totals: tuple[BlockTotal, ...] = ()

    def __post_init__(self) -> None:
        if self.noise < 0:
            raise BmadError("the noise bound cannot be negative")
        for block in self.block_totals:
            if not 0 <= block.start < block.stop <= len(self.contribution):
                raise BmadError("a block total must cover coordinates of the vector")

    @property
    def length(self) -> int:
        return len(self.contribution)

    @property
    def noise_range(self) -> Range:
        return Range(-self.noise, self.noise)

    @property
    def max_abs_entry(self) -> int:
        """The largest |x_j + e_j| an input may have."""
        return max(max(-r.low, r.high) for r in self.contribution) + self.noise

    @property
    def proof_bytes(self) -> int:
        noise = self.noise_range.proof_bytes
        coordinates = sum(2 * POINT_BYTES + r.proof_bytes + noise for r in self.contribution)
        return coordinates + sum(block.bounds.proof_bytes for block in self.block_totals)

    def check_round(self, participants: int, length: int, modulus_bits: int) -> None:
        """BmadError unless these bounds fit a round: one range per coordinate, and the sum
        of ``participants`` inputs decodable by the centred lift (so the lift is exact)."""
        if self.length != length:
            raise BmadError(f"input bounds cover {self.length} coordinates, the round {length}")
        if participants * self.max_abs_entry >= 2 ** (modulus_bits - 1):
            raise BmadError(
                f"inputs of up to {self.max_abs_entry} from {participants} participants "
                f"overflow {modulus_bits}-bit sums"
            )

    def digest(self) -> bytes:
        """What the session tag commits to."""
        digest = hashlib.sha256(_CONTEXT)
        digest.update(self.noise.to_bytes(8, "big"))
        for bounds in self.contribution:
            digest.update(bounds.encode())
        for block in self.block_totals:
            digest.update(block.start.to_bytes(4, "big") + block.stop.to_bytes(4, "big"))
            digest.update(block.bounds.encode())
        return digest.digest()


def noise_bound(share_sigma: float) -> int:
    """The bound a noise share of standard deviation ``share_sigma`` is proved within."""
    return math.ceil(NOISE_BOUND_DEVIATIONS * share_sigma)


@dataclass(frozen=True, slots=True)
class VectorCap:
    """Per unit, each of the first ``stop`` coordinates is at most ``cell`` and together they
    add up to at most ``total`` (a layout bounded across its blocks, not only block by block)."""

    stop: int
    total: int
    cell: int


def bounds_for_layout(
    layout: ContributionSchema, unit_cap: int, noise: int, vector_cap: VectorCap | None = None
) -> InputBounds:
    """The bounds of a round's layout when one participant holds up to ``unit_cap`` units."""
    contribution: list[Range] = []
    totals: list[BlockTotal] = []
    for block in layout.blocks:
        start, width = len(contribution), len(block.labels)
        bound = block.bound
        if isinstance(bound, NormBall):
            most = unit_cap * bound.norm
            contribution.extend([Range(-most, most)] * width)
            continue
        if isinstance(bound, FixedMass):
            contribution.extend([Range(0, unit_cap * bound.mass)] * width)
            totals.append(BlockTotal(start, start + width, Range(0, unit_cap * bound.mass)))
            continue
        contribution.extend([Range(0, unit_cap * bound.cap)] * width)
    if vector_cap is not None:
        most = unit_cap * vector_cap.cell
        for index in range(vector_cap.stop):
            low, high = contribution[index].low, contribution[index].high
            contribution[index] = Range(low, max(low, min(high, most)))
        totals.append(BlockTotal(0, vector_cap.stop, Range(0, unit_cap * vector_cap.total)))
    return InputBounds(tuple(contribution), noise, tuple(totals))


def _stream(key: bytes, label: bytes, tag: bytes, length: int) -> list[int]:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label + tag).derive(key)
    encryptor = Cipher(algorithms.AES(derived), modes.CTR(bytes(16))).encryptor()
    stream = encryptor.update(bytes(length * _WIDE_BYTES)) + encryptor.finalize()
    return [
        int.from_bytes(stream[i : i + _WIDE_BYTES], "little") % ORDER
        for i in range(0, len(stream), _WIDE_BYTES)
    ]


def self_blindings(tag: bytes, seed: bytes, length: int) -> list[int]:
    """PRF(b_u, j) for every coordinate j."""
    return _stream(seed, _SELF_BLINDING, tag, length)


def pairwise_blindings(tag: bytes, pairwise_mask_key: bytes, length: int) -> list[int]:
    """PRF(s_uv, j): from the pair's mask key, so both ends and the unmasking server agree."""
    return _stream(pairwise_mask_key, _PAIRWISE_BLINDING, tag, length)


def input_blindings(
    tag: bytes, participant: int, seed: bytes, pairwise_keys: Mapping[int, bytes], length: int
) -> list[int]:
    """r_j: the self term plus the pairwise terms, added for lower peers like the masks."""
    blindings = self_blindings(tag, seed, length)
    for peer, key in pairwise_keys.items():
        sign = 1 if peer < participant else -1
        for j, value in enumerate(pairwise_blindings(tag, key, length)):
            blindings[j] = (blindings[j] + sign * value) % ORDER
    return blindings


def _context(tag: bytes, participant: int, kind: bytes, index: int) -> bytes:
    return _CONTEXT + tag + participant.to_bytes(4, "big") + kind + index.to_bytes(4, "big")


def prove_input(
    tag: bytes,
    participant: int,
    bounds: InputBounds,
    contribution: Sequence[int],
    noise: Sequence[int],
    blindings: Sequence[int],
    prove: RangeProver = prove_range,
) -> bytes:
    """The input proof of ``participant`` for its contribution and noise share; BmadError when
    either lies outside ``bounds`` (an honest participant never sends such an input).
    ``prove`` makes each range proof (the tests' forger swaps in its own to cheat)."""
    if not len(contribution) == len(noise) == len(blindings) == bounds.length:
        raise BmadError(f"an input proof needs {bounds.length} values of each kind")
    parts: list[bytes] = []
    noise_range = bounds.noise_range
    contribution_blindings: list[int] = []
    commitments: list[bytes] = []
    for j, (value, share, blinding) in enumerate(zip(contribution, noise, blindings, strict=True)):
        noise_blinding = random_scalar()
        value_blinding = (blinding - noise_blinding) % ORDER
        value_commitment = commit(value, value_blinding)
        noise_commitment = commit(share, noise_blinding)
        parts += [
            value_commitment,
            noise_commitment,
            prove(
                _context(tag, participant, b"x", j),
                value_commitment,
                value,
                value_blinding,
                bounds.contribution[j],
            ),
            prove(
                _context(tag, participant, b"e", j),
                noise_commitment,
                share,
                noise_blinding,
                noise_range,
            ),
        ]
        contribution_blindings.append(value_blinding)
        commitments.append(value_commitment)
    for index, block in enumerate(bounds.block_totals):
        span = slice(block.start, block.stop)
        parts.append(
            prove(
                _context(tag, participant, b"t", index),
                total(commitments[span]),
                sum(contribution[span]),
                sum(contribution_blindings[span]) % ORDER,
                block.bounds,
            )
        )
    return b"".join(parts)


def verify_input(tag: bytes, participant: int, bounds: InputBounds, proof: bytes) -> list[bytes]:
    """The commitments C^x_j + C^e_j of a valid input proof; InvalidInput says what failed."""
    if len(proof) != bounds.proof_bytes:
        raise InvalidInput(f"the input proof must be {bounds.proof_bytes} bytes")
    noise_range = bounds.noise_range
    offset = 0

    def take(size: int) -> bytes:
        nonlocal offset
        offset += size
        return proof[offset - size : offset]

    combined: list[bytes] = []
    contribution_commitments: list[bytes] = []
    for j, bounds_j in enumerate(bounds.contribution):
        value_commitment = _received_point(take(POINT_BYTES))
        noise_commitment = _received_point(take(POINT_BYTES))
        value_proof = take(bounds_j.proof_bytes)
        if not verify_range(
            _context(tag, participant, b"x", j), value_commitment, bounds_j, value_proof
        ):
            raise InvalidInput(
                f"coordinate {j}: contribution outside [{bounds_j.low}, {bounds_j.high}] "
                "or a broken proof"
            )
        noise_proof = take(noise_range.proof_bytes)
        if not verify_range(
            _context(tag, participant, b"e", j), noise_commitment, noise_range, noise_proof
        ):
            raise InvalidInput(
                f"coordinate {j}: noise share beyond +-{bounds.noise} or a broken proof"
            )
        contribution_commitments.append(value_commitment)
        combined.append(add(value_commitment, noise_commitment))
    for index, block in enumerate(bounds.block_totals):
        if not verify_range(
            _context(tag, participant, b"t", index),
            total(contribution_commitments[block.start : block.stop]),
            block.bounds,
            take(block.bounds.proof_bytes),
        ):
            raise InvalidInput(
                f"coordinates {block.start}..{block.stop - 1} total outside "
                f"[{block.bounds.low}, {block.bounds.high}] or a broken proof"
            )
    return combined


def input_commitments(bounds: InputBounds, proof: bytes) -> list[bytes]:
    """The commitments C^x_j + C^e_j of a proof ``verify_input`` already accepted (read back,
    e.g. from the aggregator's own round log, without checking the range proofs again)."""
    if len(proof) != bounds.proof_bytes:
        raise InvalidInput(f"the input proof must be {bounds.proof_bytes} bytes")
    combined, offset = [], 0
    noise_bytes = bounds.noise_range.proof_bytes
    for bounds_j in bounds.contribution:
        value = proof[offset : offset + POINT_BYTES]
        noise = proof[offset + POINT_BYTES : offset + 2 * POINT_BYTES]
        combined.append(add(value, noise))
        offset += 2 * POINT_BYTES + bounds_j.proof_bytes + noise_bytes
    return combined


def _received_point(encoding: bytes) -> bytes:
    try:
        return decode_point(encoding)
    except BmadError as exc:
        raise InvalidInput(exc.message) from None


def blinding_correction(
    tag: bytes,
    survivor_seeds: Mapping[int, bytes],
    dropped_pairs: Sequence[tuple[int, int, bytes]],
    length: int,
) -> list[int]:
    """R_j, the survivors' summed blindings: their self terms plus, for each (dropped,
    survivor, pairwise mask key), the term the survivor added (dropped < survivor) or
    subtracted for the dropout; the terms between survivors cancel."""
    correction = [0] * length
    for seed in survivor_seeds.values():
        for j, value in enumerate(self_blindings(tag, seed, length)):
            correction[j] += value
    for dropped, survivor, key in dropped_pairs:
        sign = 1 if dropped < survivor else -1
        for j, value in enumerate(pairwise_blindings(tag, key, length)):
            correction[j] += sign * value
    return [value % ORDER for value in correction]


def first_unopened_coordinate(
    commitments: Sequence[Sequence[bytes]],
    correction: Sequence[int],
    released: NDArray[np.int64],
) -> int | None:
    """The first coordinate j where sum_u C_uj - R_j G differs from S_j H, or None."""
    for j, expected in enumerate(released):
        opened = subtract(
            total([per_input[j] for per_input in commitments]), base_times(correction[j])
        )
        if opened != times(int(expected), H):
            return j
    return None
