"""Integer vectors mod 2^k: encoding inputs, the wire format, and decoding the sum.

Inputs are integer vectors (the caller has already added its distributed-DP noise share, so
entries may be negative). An entry x is reduced to x mod 2^k; entries must lie in
[-2^(k-1), 2^k) so that the reduction is the caller's intent and not a silent wrap-around.

The server obtains S = sum_u x_u mod 2^k. ``decode_signed`` applies the centred lift:
S if S < 2^(k-1), else S - 2^k. This equals the true integer sum exactly when every coordinate
of the true sum lies in [-2^(k-1), 2^(k-1)); a sufficient condition is
n * max_u |x_u,i| < 2^(k-1) for n summed inputs (``max_abs_entry`` gives the largest allowed
|x| for n), where |x| includes the noise share (bound its tail, e.g. clip at 20 sigma).
With k = 32 and 100 participants that is |x| <= 21,474,836.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bmad.errors import BmadError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vector = NDArray[np.unsignedinteger]


def max_abs_entry(participants: int, modulus_bits: int) -> int:
    """The largest |x| per entry that keeps the sum of ``participants`` inputs decodable."""
    if participants < 1:
        raise BmadError("participants must be positive")
    return int((2 ** (modulus_bits - 1) - 1) // participants)


def encode_input(values: Sequence[int] | NDArray[np.integer], modulus_bits: int) -> Vector:
    """``values`` reduced mod 2^modulus_bits, as an unsigned array of that width."""
    import numpy as np

    unsigned = np.dtype(f"<u{modulus_bits // 8}")
    low_limit, high_limit = -(2 ** (modulus_bits - 1)), 2**modulus_bits
    out_of_range = f"input entries must lie in [-2^{modulus_bits - 1}, 2^{modulus_bits})"
    if isinstance(values, np.ndarray):
        array = values
    else:
        # numpy would turn a list mixing small ints and ints >= 2^63 into floats: type it here.
        items = list(values)
        plain_ints = set(map(type, items)) <= {int}  # the usual case, checked at C speed
        if not plain_ints and not all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items
        ):
            raise BmadError("input vector must hold integers")
        try:
            array = np.array(items, dtype=np.int64)
        except OverflowError:
            if any(not low_limit <= int(v) < high_limit for v in items):
                raise BmadError(out_of_range) from None
            return np.array([int(v) % high_limit for v in items], dtype=unsigned)
    if array.ndim != 1:
        raise BmadError("input vector must be one-dimensional")
    if array.dtype.kind not in "iu":
        raise BmadError("input vector must hold integers")
    if array.size == 0:
        return np.zeros(0, dtype=unsigned)
    if int(array.min()) < low_limit or int(array.max()) >= high_limit:
        raise BmadError(out_of_range)
    if array.dtype.kind == "i":
        return array.astype(np.int64).astype(np.uint64).astype(unsigned)
    return array.astype(unsigned)


def to_wire(vector: Vector) -> bytes:
    return bytes(vector.astype(vector.dtype.newbyteorder("<")).tobytes())


def from_wire(data: bytes, length: int, modulus_bits: int) -> Vector:
    import numpy as np

    width = modulus_bits // 8
    if len(data) != length * width:
        raise BmadError(f"masked vector must be {length} entries of {width} bytes")
    return np.frombuffer(data, dtype=f"<u{width}")


def decode_signed(modular_sum: Vector, modulus_bits: int) -> NDArray[np.int64]:
    """The centred lift of a sum mod 2^modulus_bits to signed 64-bit integers."""
    import numpy as np

    signed = np.dtype(f"<i{modulus_bits // 8}")
    return modular_sum.view(signed).astype(np.int64)
