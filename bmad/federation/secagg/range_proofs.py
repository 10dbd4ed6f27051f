"""Zero-knowledge proofs that a Pedersen commitment C = v*H + r*G holds a v in [low, high].

Bit decomposition: v - low = sum_k w_k b_k with b_k in {0, 1}, weights 1, 2, 4, ..., 2^(B-2)
and a last weight D - (2^(B-1) - 1) for the width D = high - low (B = bit length of D), so the
subset sums are exactly [0, D] and the bound holds without rounding up to a power of two. Each
bit has its own commitment C_k = b_k w_k H + r_k G with a Cramer-Damgard-Schoenmakers OR-proof
that C_k or C_k - w_k H is a multiple of G; the verifier checks sum_k C_k = C - low*H. A width
of 0 is a Schnorr proof that C - low*H is a multiple of G. Challenges are Fiat-Shamir hashes of
the caller's ``context`` (which binds round, participant and coordinate, so a proof cannot be
replayed elsewhere), the bounds, the commitment and the bit's own points.

A proof of width D takes B = bit length of D bit proofs of ``BIT_PROOF_BYTES`` each.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from bmad.errors import BmadError
from bmad.federation.secagg.curve import (
    IDENTITY,
    ORDER,
    POINT_BYTES,
    SCALAR_BYTES,
    H,
    add,
    base_times,
    decode_point,
    hash_to_scalar,
    subtract,
    times,
    total,
)

BIT_PROOF_BYTES = POINT_BYTES + 4 * SCALAR_BYTES
SCHNORR_PROOF_BYTES = 2 * SCALAR_BYTES
_BIT = b"bmad secagg range bit v1"
_SCHNORR = b"bmad secagg range schnorr v1"


@dataclass(frozen=True, slots=True)
class Range:
    """The inclusive interval [low, high] a committed value must lie in."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise BmadError(f"a range needs low <= high, got [{self.low}, {self.high}]")

    @property
    def width(self) -> int:
        return self.high - self.low

    @property
    def weights(self) -> tuple[int, ...]:
        bits = self.width.bit_length()
        if bits == 0:
            return ()
        return (*(1 << k for k in range(bits - 1)), self.width - ((1 << (bits - 1)) - 1))

    @property
    def proof_bytes(self) -> int:
        return len(self.weights) * BIT_PROOF_BYTES if self.width else SCHNORR_PROOF_BYTES

    def encode(self) -> bytes:
        return self.low.to_bytes(16, "big", signed=True) + self.high.to_bytes(
            16, "big", signed=True
        )


@lru_cache(maxsize=256)
def weighted_h(weight: int) -> bytes:
    """weight * H, cached: a round's ranges use few distinct weights."""
    return times(weight, H)


def random_scalar() -> int:
    return secrets.randbelow(ORDER)


def commit(value: int, blinding: int) -> bytes:
    """The Pedersen commitment value*H + blinding*G."""
    return add(times(value, H), base_times(blinding))


def _scalar(data: bytes) -> int:
    number = int.from_bytes(data, "little")
    if number >= ORDER:
        raise BmadError("a proof holds a scalar that is not reduced")
    return number


def _to_bytes(scalar: int) -> bytes:
    return (scalar % ORDER).to_bytes(SCALAR_BYTES, "little")


def _decompose(offset: int, weights: tuple[int, ...]) -> list[int]:
    """Bits b_k with sum w_k b_k = offset (offset in [0, sum of weights])."""
    low_bits = len(weights) - 1
    top = 0 if offset < (1 << low_bits) else 1
    rest = offset - top * weights[-1]
    return [(rest >> k) & 1 for k in range(low_bits)] + [top]


def prove_bit(
    context: bytes, statement: bytes, index: int, weight: int, bit: int, blinding: int
) -> bytes:
    """The commitment bit*weight*H + blinding*G and its OR-proof (``bit`` claimed in {0, 1})."""
    weighted = weighted_h(weight)
    point = add(weighted if bit else IDENTITY, base_times(blinding))
    statements = (point, subtract(point, weighted))
    simulated = 1 - bit
    simulated_challenge, simulated_response = random_scalar(), random_scalar()
    nonce = random_scalar()
    announcements = [b"", b""]
    announcements[bit] = base_times(nonce)
    announcements[simulated] = subtract(
        base_times(simulated_response), times(simulated_challenge, statements[simulated])
    )
    challenge = _bit_challenge(context, statement, index, point, announcements)
    challenges, responses = [0, 0], [0, 0]
    challenges[simulated], responses[simulated] = simulated_challenge, simulated_response
    challenges[bit] = (challenge - simulated_challenge) % ORDER
    responses[bit] = (nonce + challenges[bit] * blinding) % ORDER
    return point + b"".join(_to_bytes(s) for s in (*challenges, *responses))


def _bit_challenge(
    context: bytes, statement: bytes, index: int, point: bytes, announcements: list[bytes]
) -> int:
    return hash_to_scalar(_BIT, context, statement, index.to_bytes(2, "big"), point, *announcements)


def _verify_bit(
    context: bytes, statement: bytes, index: int, weight: int, proof: bytes
) -> bytes | None:
    """The bit's commitment when its OR-proof holds, else None."""
    point = decode_point(proof[:POINT_BYTES])
    scalars = [
        _scalar(proof[POINT_BYTES + i * SCALAR_BYTES : POINT_BYTES + (i + 1) * SCALAR_BYTES])
        for i in range(4)
    ]
    challenges, responses = scalars[:2], scalars[2:]
    statements = (point, subtract(point, weighted_h(weight)))
    announcements = [
        subtract(base_times(responses[i]), times(challenges[i], statements[i])) for i in (0, 1)
    ]
    expected = _bit_challenge(context, statement, index, point, announcements)
    return point if (challenges[0] + challenges[1]) % ORDER == expected else None


def prove_range(
    context: bytes, commitment: bytes, value: int, blinding: int, bounds: Range
) -> bytes:
    """A proof that ``commitment`` = value*H + blinding*G holds a value within ``bounds``."""
    if not bounds.low <= value <= bounds.high:
        raise BmadError(f"value {value} lies outside [{bounds.low}, {bounds.high}]: no proof")
    statement = bounds.encode() + commitment
    weights = bounds.weights
    if not weights:
        return _prove_schnorr(
            context, statement, subtract(commitment, weighted_h(bounds.low)), blinding
        )
    bits = _decompose(value - bounds.low, weights)
    blindings = [random_scalar() for _ in weights[:-1]]
    blindings.append((blinding - sum(blindings)) % ORDER)
    return b"".join(
        prove_bit(context, statement, k, weights[k], bits[k], blindings[k])
        for k in range(len(weights))
    )


def verify_range(context: bytes, commitment: bytes, bounds: Range, proof: bytes) -> bool:
    """Whether ``proof`` shows that ``commitment`` holds a value within ``bounds``.

    A malformed proof (wrong length, a point outside the group, an unreduced scalar) is False.
    """
    if len(proof) != bounds.proof_bytes:
        return False
    statement = bounds.encode() + commitment
    target = subtract(commitment, weighted_h(bounds.low))
    try:
        if not bounds.width:
            return _verify_schnorr(context, statement, target, proof)
        weights = bounds.weights
        points = []
        for k, weight in enumerate(weights):
            point = _verify_bit(
                context,
                statement,
                k,
                weight,
                proof[k * BIT_PROOF_BYTES : (k + 1) * BIT_PROOF_BYTES],
            )
            if point is None:
                return False
            points.append(point)
    except BmadError:
        return False
    return total(points) == target


def _prove_schnorr(context: bytes, statement: bytes, point: bytes, exponent: int) -> bytes:
    nonce = random_scalar()
    challenge = hash_to_scalar(_SCHNORR, context, statement, point, base_times(nonce))
    return _to_bytes(challenge) + _to_bytes(nonce + challenge * exponent)


def _verify_schnorr(context: bytes, statement: bytes, point: bytes, proof: bytes) -> bool:
    challenge = _scalar(proof[:SCALAR_BYTES])
    response = _scalar(proof[SCALAR_BYTES:])
    announcement = subtract(base_times(response), times(challenge, point))
    return hash_to_scalar(_SCHNORR, context, statement, point, announcement) == challenge
