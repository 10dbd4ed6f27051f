"""What the server sees: masked vectors look uniform, and no individual input is ever held."""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np
import pytest

from bmad.federation.secagg import MaskedInput, vectors
from tests.federation.secagg.harness import driver

# Upper 1e-6 quantile of chi-square with 255 degrees of freedom (Wilson-Hilferty, z = 4.7534).
_DF = 255
_Z = 4.7534
CHI2_CRITICAL = _DF * (1 - 2 / (9 * _DF) + _Z * math.sqrt(2 / (9 * _DF))) ** 3


def chi_square_of_bytes(data: bytes) -> float:
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    expected = len(data) / 256
    return float(((counts - expected) ** 2 / expected).sum())


def masked_vectors(inputs: dict[int, list[int]], length: int) -> dict[int, MaskedInput]:
    run = driver(n=3, threshold=3, length=length)
    run.advertise(range(1, 4))
    run.share(range(1, 4))
    return {i: run.clients[i].mask_input(run.inboxes[i], inputs[i]) for i in range(1, 4)}


def test_a_masked_vector_is_uniform_on_bytes() -> None:
    length = 50_000
    inputs = {1: [0] * length, 2: [2**31 - 1] * length, 3: list(range(length))}
    for message in masked_vectors(inputs, length).values():
        assert chi_square_of_bytes(message.masked) < CHI2_CRITICAL
        # Each byte position within an entry on its own, too (the low byte carries x + mask).
        entries = np.frombuffer(message.masked, dtype=np.uint8).reshape(length, 4)
        for column in range(4):
            assert chi_square_of_bytes(entries[:, column].tobytes()) < CHI2_CRITICAL


def test_the_chi_square_check_has_power_against_structured_data() -> None:
    structured = vectors.to_wire(vectors.encode_input(list(range(50_000)), 32))
    assert chi_square_of_bytes(structured) > CHI2_CRITICAL


def _arrays_and_bytes(value: Any, seen: set[int]) -> list[bytes]:
    """Every numpy array (as bytes) and bytes value reachable from ``value``."""
    if id(value) in seen or isinstance(value, str | int | float | bool | enum.Enum | type(None)):
        return []
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return [value.tobytes()]
    if isinstance(value, bytes | bytearray):
        return [bytes(value)]
    found: list[bytes] = []
    if isinstance(value, dict):
        for item in value.values():
            found += _arrays_and_bytes(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            found += _arrays_and_bytes(item, seen)
    elif hasattr(value, "__dict__") or hasattr(value, "__dataclass_fields__"):
        for name in dir(value):
            if not name.startswith("__") and not callable(getattr(value, name)):
                found += _arrays_and_bytes(getattr(value, name), seen)
    return found


def test_server_state_never_holds_an_individual_input() -> None:
    n, length = 6, 64
    # Distinct, dense inputs, so an individual vector cannot coincide with any sum of masks.
    inputs = {i: [(i * 7919 + j * 104729) % 2**20 for j in range(length)] for i in range(1, n + 1)}
    encoded = {i: vectors.to_wire(vectors.encode_input(v, 32)) for i, v in inputs.items()}
    masked: dict[int, bytes] = {}
    run = driver(n=n, threshold=5, length=length)

    def assert_clean() -> None:
        held = _arrays_and_bytes(run.server, set())
        for i, data in encoded.items():
            assert not any(data in blob for blob in held), f"server holds {i}'s input"
        # Masked vectors are folded into the running sum (which equals the first one until the
        # second arrives), never kept one by one.
        if len(masked) > 1:
            for blob in masked.values():
                assert not any(blob in item for item in held)

    run.advertise(range(1, n + 1))
    assert_clean()
    run.share(range(1, n + 1))
    assert_clean()
    survivors = [1, 2, 3, 4, 5]  # 6 drops after sharing keys: its masking key gets reconstructed
    for i in survivors:
        message = run.clients[i].mask_input(run.inboxes[i], inputs[i])
        masked[i] = message.masked
        run.server.receive_masked_input(message)
        assert_clean()
    run.survivors = run.server.close_masked_inputs()
    run.consistency(survivors)
    assert_clean()
    result = run.unmask(survivors)
    assert_clean()
    assert result.signed().tolist() == np.sum([inputs[i] for i in survivors], axis=0).tolist()


def test_server_state_check_would_catch_a_held_input() -> None:
    run = driver(n=3, threshold=3, length=4)
    planted = vectors.encode_input([5, 6, 7, 8], 32)
    run.server.__dict__["_leak"] = {"x": planted}
    assert vectors.to_wire(planted) in _arrays_and_bytes(run.server, set())


@pytest.mark.parametrize("bits", [32, 64])
def test_decode_signed_is_the_centred_lift(bits: int) -> None:
    modulus = 2**bits
    values = [0, 1, 2 ** (bits - 1) - 1, 2 ** (bits - 1), modulus - 1]
    lifted = vectors.decode_signed(np.array(values, dtype=f"<u{bits // 8}"), bits)
    assert lifted.tolist() == [v if v < modulus // 2 else v - modulus for v in values]
