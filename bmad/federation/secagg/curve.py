"""The prime-order group of the validity proofs: ed25519's subgroup through libsodium (PyNaCl).

Points travel as 32-byte encodings, scalars as Python integers mod ``ORDER`` (l). ``G`` is the
standard base point, ``H`` a second generator hashed from a fixed domain string
(``from_uniform``), so nobody knows log_G H: a Pedersen commitment v*H + r*G then binds v.
The value sits on H and the blinding on G because libsodium multiplies the base point G about
five times faster than any other point, and every proof here multiplies blindings far more
often than values. libsodium refuses to produce or take the identity, so ``IDENTITY`` is
handled here, and ``decode_point`` rejects every received encoding outside the prime-order
subgroup (small-order and mixed-order points included).
"""

from __future__ import annotations

import hashlib

from nacl.bindings import (
    crypto_core_ed25519_add,
    crypto_core_ed25519_from_uniform,
    crypto_core_ed25519_is_valid_point,
    crypto_core_ed25519_sub,
    crypto_scalarmult_ed25519_base_noclamp,
    crypto_scalarmult_ed25519_noclamp,
)

from bmad.errors import BmadError

ORDER = 2**252 + 27742317777372353535851937790883648493
POINT_BYTES = 32
SCALAR_BYTES = 32
IDENTITY = b"\x01" + bytes(31)


def _scalar_bytes(scalar: int) -> bytes:
    return (scalar % ORDER).to_bytes(SCALAR_BYTES, "little")


def base_times(scalar: int) -> bytes:
    """scalar * G."""
    if scalar % ORDER == 0:
        return IDENTITY
    return bytes(crypto_scalarmult_ed25519_base_noclamp(_scalar_bytes(scalar)))


def times(scalar: int, point: bytes) -> bytes:
    """scalar * point."""
    if scalar % ORDER == 0 or point == IDENTITY:
        return IDENTITY
    return bytes(crypto_scalarmult_ed25519_noclamp(_scalar_bytes(scalar), point))


def add(left: bytes, right: bytes) -> bytes:
    if left == IDENTITY:
        return right
    if right == IDENTITY:
        return left
    return bytes(crypto_core_ed25519_add(left, right))


def subtract(left: bytes, right: bytes) -> bytes:
    if right == IDENTITY:
        return left
    if left == right:
        return IDENTITY
    return bytes(crypto_core_ed25519_sub(left, right))


def total(points: list[bytes]) -> bytes:
    result = IDENTITY
    for point in points:
        result = add(result, point)
    return result


def decode_point(encoding: bytes) -> bytes:
    """A received point, checked to lie in the prime-order subgroup; BmadError otherwise."""
    if len(encoding) != POINT_BYTES or not crypto_core_ed25519_is_valid_point(encoding):
        raise BmadError("a commitment or proof holds a point outside the prime-order group")
    return encoding


def hash_to_scalar(*parts: bytes) -> int:
    """SHA-512 of the length-prefixed ``parts``, reduced mod l (a Fiat-Shamir challenge)."""
    digest = hashlib.sha512()
    for part in parts:
        digest.update(len(part).to_bytes(4, "big") + part)
    return int.from_bytes(digest.digest(), "little") % ORDER


G = base_times(1)
H = bytes(
    crypto_core_ed25519_from_uniform(hashlib.sha512(b"bmad secagg pedersen H v1").digest()[:32])
)
