"""t-of-n Shamir secret sharing over the prime field GF(2^521 - 1).

The Mersenne prime 2^521 - 1 is larger than every secret shared here (32-byte seeds and X25519
private keys), so a secret is one field element. A share is the point (x, f(x)) of a random
polynomial f of degree t - 1 with f(0) = secret; x is the holder's participant id (never 0).
Coefficients come from ``secrets.randbelow``. Reconstruction is Lagrange interpolation at 0;
with more than t shares, every extra share must lie on the polynomial through the first t,
otherwise the shares contradict each other and reconstruction refuses.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from functools import lru_cache

from bmad.errors import BmadError

PRIME = 2**521 - 1
ELEMENT_BYTES = 66  # ceil(521 / 8)
_UNREDUCED_BITS = 512


def split(secret: int, threshold: int, holders: Iterable[int]) -> dict[int, int]:
    """Shares of ``secret`` for each holder id; any ``threshold`` of them reconstruct it."""
    if not 0 <= secret < PRIME:
        raise BmadError("Shamir secret is not a field element")
    if threshold < 1:
        raise BmadError("Shamir threshold must be at least 1")
    coefficients = [secret, *(secrets.randbelow(PRIME) for _ in range(threshold - 1))]
    shares = {}
    for holder in holders:
        if not 0 < holder < PRIME:
            raise BmadError("Shamir share holder ids must be positive")
        shares[holder] = _evaluate(coefficients, holder)
    return shares


def _evaluate(coefficients: list[int], x: int) -> int:
    """f(x) by Horner's rule, reduced mod PRIME only once the value has grown ~512 bits: a
    reduction costs more than a step, and sparse rounds share at small points (1..k+1)."""
    steps = max(1, _UNREDUCED_BITS // x.bit_length())
    highest_first = coefficients[::-1]
    value = 0
    for start in range(0, len(highest_first), steps):
        for coefficient in highest_first[start : start + steps]:
            value = value * x + coefficient
        value %= PRIME
    return value


@lru_cache(maxsize=4096)
def _lagrange_weights(points: tuple[int, ...], target: int) -> tuple[int, ...]:
    """Weights w_i with f(target) = sum w_i f(x_i) for every polynomial of degree < len(points)."""
    if target == 0 and len(points) > 8 and points[-1] <= 4 * len(points):
        return _weights_at_zero_for_dense_points(points)
    weights = []
    for i, xi in enumerate(points):
        numerator, denominator = 1, 1
        for j, xj in enumerate(points):
            if i != j:
                numerator = numerator * (target - xj) % PRIME
                denominator = denominator * (xi - xj) % PRIME
        weights.append(numerator * pow(denominator, -1, PRIME) % PRIME)
    return tuple(weights)


def _weights_at_zero_for_dense_points(points: tuple[int, ...]) -> tuple[int, ...]:
    """``_lagrange_weights(points, 0)`` in O(t (m - t)) for points drawn from 1..m, m small.

    w_i = prod_{j != i} x_j / (x_j - x_i). Over all of 1..m the denominator is
    (-1)^(x_i - 1) (x_i - 1)! (m - x_i)!; the points missing from 1..m are divided out again, and
    every division is by a factorial, so one modular inversion serves all weights. Sparse rounds
    share at ring offsets 1..k+1, so t shares leave only m - t such points."""
    top = points[-1]
    factorials = [1] * (top + 1)
    for value in range(1, top + 1):
        factorials[value] = factorials[value - 1] * value % PRIME
    inverse_factorials = [1] * (top + 1)
    inverse_factorials[top] = pow(factorials[top], -1, PRIME)
    for value in range(top, 0, -1):
        inverse_factorials[value - 1] = inverse_factorials[value] * value % PRIME
    present = set(points)
    missing = [x for x in range(1, top + 1) if x not in present]
    product = 1
    for x in points:
        product = product * x % PRIME
    weights = []
    for x in points:
        # 1/x = (x-1)!/x!; dividing by the missing points' factors (gap - x) multiplies here.
        weight = product * factorials[x - 1] % PRIME * inverse_factorials[x] % PRIME
        weight = weight * inverse_factorials[x - 1] % PRIME * inverse_factorials[top - x] % PRIME
        for gap in missing:
            weight = weight * (gap - x) % PRIME
        weights.append(PRIME - weight if (x - 1) % 2 and weight else weight)
    return tuple(weights)


def combine(shares: Mapping[int, int], threshold: int) -> int:
    """The secret behind ``shares`` (at least ``threshold`` of them, all on one polynomial)."""
    if len(shares) < threshold:
        raise BmadError(f"Shamir reconstruction needs {threshold} shares, got {len(shares)}")
    for x, y in shares.items():
        if not (0 < x < PRIME and 0 <= y < PRIME):
            raise BmadError("Shamir share is not a field element")
    points = tuple(sorted(shares))
    basis = points[:threshold]
    for extra in points[threshold:]:
        weights = _lagrange_weights(basis, extra)
        expected = sum(w * shares[x] for w, x in zip(weights, basis, strict=True)) % PRIME
        if expected != shares[extra]:
            raise BmadError("Shamir shares are inconsistent")
    weights = _lagrange_weights(basis, 0)
    return sum(w * shares[x] for w, x in zip(weights, basis, strict=True)) % PRIME


def share_to_bytes(element: int) -> bytes:
    return element.to_bytes(ELEMENT_BYTES, "big")


def share_from_bytes(data: bytes) -> int:
    if len(data) != ELEMENT_BYTES:
        raise BmadError("Shamir share has the wrong length")
    element = int.from_bytes(data, "big")
    if element >= PRIME:
        raise BmadError("Shamir share is not a field element")
    return element
