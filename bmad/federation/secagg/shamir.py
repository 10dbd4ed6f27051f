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
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % PRIME
    return value


@lru_cache(maxsize=256)
def _lagrange_weights(points: tuple[int, ...], target: int) -> tuple[int, ...]:
    """Weights w_i with f(target) = sum w_i f(x_i) for every polynomial of degree < len(points)."""
    weights = []
    for i, xi in enumerate(points):
        numerator, denominator = 1, 1
        for j, xj in enumerate(points):
            if i != j:
                numerator = numerator * (target - xj) % PRIME
                denominator = denominator * (xi - xj) % PRIME
        weights.append(numerator * pow(denominator, -1, PRIME) % PRIME)
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
