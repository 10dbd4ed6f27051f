"""The adversary's prover: proofs for values outside their bounds, built as well as a cheater
can (every part honest but the one that cannot be), to show that verification refuses them."""

from __future__ import annotations

from collections.abc import Sequence

from bmad.federation.secagg.curve import (
    ORDER,
    H,
    add,
    base_times,
    hash_to_scalar,
    subtract,
    times,
)
from bmad.federation.secagg.range_proofs import (
    Range,
    _decompose,
    prove_bit,
    prove_range,
    random_scalar,
)
from bmad.federation.secagg.validity import InputBounds, prove_input


def forged_bit(context: bytes, statement: bytes, index: int, multiple: int, blinding: int) -> bytes:
    """A weight-1 bit commitment holding ``multiple`` (not 0 or 1) with the OR-proof a cheater
    can make: the branch "1" simulated, the branch "0" answered as if it were true."""
    point = add(times(multiple, H), base_times(blinding))
    challenge_1, response_1, nonce = random_scalar(), random_scalar(), random_scalar()
    announcements = (
        base_times(nonce),
        subtract(base_times(response_1), times(challenge_1, subtract(point, H))),
    )
    challenge = hash_to_scalar(
        b"bmad secagg range bit v1",
        context,
        statement,
        index.to_bytes(2, "big"),
        point,
        *announcements,
    )
    challenge_0 = (challenge - challenge_1) % ORDER
    response_0 = (nonce + challenge_0 * blinding) % ORDER
    scalars = (challenge_0, challenge_1, response_0, response_1)
    return point + b"".join(s.to_bytes(32, "little") for s in scalars)


def forged_range_proof(
    context: bytes, commitment: bytes, value: int, blinding: int, bounds: Range
) -> bytes:
    """A proof for an out-of-range ``value`` whose bits sum to it: every bit honest but the
    first (weight 1), which carries the excess."""
    nearest = min(max(value, bounds.low), bounds.high)
    weights = bounds.weights
    bits = _decompose(nearest - bounds.low, weights)
    blindings = [random_scalar() for _ in weights[1:]]
    statement = bounds.encode() + commitment
    first = forged_bit(
        context, statement, 0, bits[0] + value - nearest, (blinding - sum(blindings)) % ORDER
    )
    rest = [
        prove_bit(context, statement, k, weights[k], bits[k], blindings[k - 1])
        for k in range(1, len(weights))
    ]
    return first + b"".join(rest)


def any_range_proof(
    context: bytes, commitment: bytes, value: int, blinding: int, bounds: Range
) -> bytes:
    if bounds.low <= value <= bounds.high:
        return prove_range(context, commitment, value, blinding, bounds)
    return forged_range_proof(context, commitment, value, blinding, bounds)


def forged_input_proof(
    tag: bytes,
    participant: int,
    bounds: InputBounds,
    contribution: Sequence[int],
    noise: Sequence[int],
    blindings: Sequence[int],
) -> bytes:
    """``validity.prove_input`` for any values: commitments to the real values (so the sum
    check holds), forged range proofs where they are out of range."""
    return prove_input(
        tag, participant, bounds, contribution, noise, blindings, prove=any_range_proof
    )
