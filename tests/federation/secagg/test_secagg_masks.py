"""Masks cancel in the full sum and only there; the vector encoding's bounds, exactly.

Bonawitz et al.'s pairwise masks: participant u adds PRG(s_uv) for each peer v < u and
subtracts it for each v > u, where s_uv is the key both ends derive from their X25519 keys. The
masks of a set of participants sum to zero exactly when the set holds both ends of every pair
it touches, which for one round's participants means the whole set.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bmad.errors import BmadError
from bmad.federation.secagg import primitives, vectors

TAG = b"session-tag-0001"
BITS = 32
LENGTH = 64


def pairwise_masks(participants: int, tag: bytes = TAG) -> dict[int, np.ndarray]:
    keys = {u: X25519PrivateKey.generate() for u in range(1, participants + 1)}
    publics = {u: primitives.public_bytes(key) for u, key in keys.items()}
    masks = {}
    for u, key in keys.items():
        total = np.zeros(LENGTH, dtype=np.uint32)
        for v in sorted(set(keys) - {u}):
            stream = primitives.mask(
                primitives.pairwise_mask_key(tag, key, publics[v]), LENGTH, BITS
            )
            if v < u:
                total += stream
            else:
                total -= stream
        masks[u] = total
    return masks


def subset_sum(masks: dict[int, np.ndarray], members: tuple[int, ...]) -> np.ndarray:
    total = np.zeros(LENGTH, dtype=np.uint32)
    for member in members:
        total += masks[member]
    return total


def test_pairwise_masks_cancel_in_the_full_sum_only() -> None:
    masks = pairwise_masks(5)
    assert not subset_sum(masks, tuple(masks)).any()
    for size in range(1, len(masks)):
        for members in itertools.combinations(sorted(masks), size):
            # Every entry is off: a leftover mask is a uniform 32-bit value, zero with 2^-32.
            assert subset_sum(masks, members).all(), members


def test_both_ends_of_a_pair_derive_the_same_mask_key_and_nobody_else_does() -> None:
    a, b, c = (X25519PrivateKey.generate() for _ in range(3))
    pa, pb, pc = (primitives.public_bytes(key) for key in (a, b, c))
    shared = primitives.pairwise_mask_key(TAG, a, pb)
    assert shared == primitives.pairwise_mask_key(TAG, b, pa)
    assert len(shared) == primitives.KEY_BYTES
    assert shared != primitives.pairwise_mask_key(TAG, a, pc)
    assert shared != primitives.pairwise_mask_key(b"session-tag-0002", a, pb)
    # The share-encryption key of the same pair is another key.
    assert primitives.share_key(TAG, a, pb) == primitives.share_key(TAG, b, pa) != shared
    assert primitives.share_key(TAG, a, pb) != primitives.share_key(b"session-tag-0002", a, pb)


def test_a_mask_is_the_keystream_read_as_little_endian_words() -> None:
    key = bytes(range(32))
    words = primitives.mask(key, 3, 32)
    assert words.dtype == np.dtype("<u4") and words.shape == (3,)
    wide = primitives.mask(key, 3, 64)
    assert wide.dtype == np.dtype("<u8")
    # The same keystream: two 32-bit words side by side are one 64-bit little-endian word.
    assert int(wide[0]) == int(words[0]) + (int(words[1]) << 32)
    assert primitives.mask(key, 3, 32).tolist() == words.tolist()
    assert primitives.mask(bytes(32), 3, 32).tolist() != words.tolist()


def test_self_mask_keys_depend_on_seed_and_session() -> None:
    seed = bytes(32)
    key = primitives.self_mask_key(TAG, seed)
    assert len(key) == primitives.KEY_BYTES
    assert key == primitives.self_mask_key(TAG, seed)
    assert key != primitives.self_mask_key(b"session-tag-0002", seed)
    assert key != primitives.self_mask_key(TAG, bytes(31) + b"\x01")


def test_encrypted_shares_open_only_with_their_key_and_associated_data() -> None:
    key = bytes(32)
    data = primitives.share_associated_data(TAG, 1, 2)
    assert data == TAG + (1).to_bytes(4, "big") + (2).to_bytes(4, "big")
    sealed = primitives.encrypt_shares(key, b"shares", data)
    assert len(sealed) == primitives.NONCE_BYTES + len(b"shares") + 16
    assert primitives.decrypt_shares(key, sealed, data) == b"shares"
    for wrong_key, wrong_data in ((bytes(31) + b"\x01", data), (key, data[:-1] + b"\x03")):
        with pytest.raises(BmadError, match=r"^encrypted shares failed authentication$"):
            primitives.decrypt_shares(wrong_key, sealed, wrong_data)
    # Nonce and tag alone are 28 bytes: one fewer is truncated, exactly 28 fails authentication.
    with pytest.raises(BmadError, match=r"^encrypted shares are truncated$"):
        primitives.decrypt_shares(key, sealed[:27], data)
    with pytest.raises(BmadError, match=r"^encrypted shares failed authentication$"):
        primitives.decrypt_shares(key, sealed[:12] + sealed[-16:], data)


def test_signed_messages_name_the_session_and_sorted_survivors() -> None:
    assert primitives.consistency_message(TAG, (3, 1, 2)) == primitives.consistency_message(
        TAG, (1, 2, 3)
    )
    assert primitives.consistency_message(TAG, (1, 2)).endswith(
        (1).to_bytes(4, "big") + (2).to_bytes(4, "big")
    )
    advertised = primitives.advertise_message(TAG, 7, b"c" * 32, b"s" * 32)
    assert advertised.endswith(TAG + (7).to_bytes(4, "big") + b"c" * 32 + b"s" * 32)
    assert advertised != primitives.consistency_message(TAG, (7,))


@pytest.mark.parametrize(("participants", "bits"), [(1, 32), (3, 32), (100, 32), (7, 64)])
def test_max_abs_entry_is_the_largest_decodable_entry(participants: int, bits: int) -> None:
    bound = vectors.max_abs_entry(participants, bits)
    assert bound == (2 ** (bits - 1) - 1) // participants
    # participants entries of +bound, and of -bound, still decode to their true sum...
    for sign in (1, -1):
        total = np.zeros(1, dtype=f"<u{bits // 8}")
        for _ in range(participants):
            total += vectors.encode_input([sign * bound], bits)
        assert vectors.decode_signed(total, bits).tolist() == [sign * bound * participants]
    # ...and one more unit per entry would not fit in the positive half.
    assert participants * (bound + 1) > 2 ** (bits - 1) - 1


def test_the_centred_lift_splits_the_ring_at_half() -> None:
    half = 2**31
    ring = np.array([0, half - 1, half, 2**32 - 1], dtype="<u4")
    assert vectors.decode_signed(ring, 32).tolist() == [0, half - 1, -half, -1]


def test_input_range_is_half_open_at_both_ends() -> None:
    low, high = -(2**31), 2**32
    assert vectors.encode_input([low, high - 1], 32).tolist() == [2**31, 2**32 - 1]
    for outside in (low - 1, high):
        with pytest.raises(BmadError, match=r"^input entries must lie in \[-2\^31, 2\^32\)$"):
            vectors.encode_input([outside], 32)
    with pytest.raises(BmadError, match=r"^input entries must lie in \[-2\^63, 2\^64\)$"):
        vectors.encode_input([-(2**63) - 1, 0], 64)
    with pytest.raises(BmadError, match=r"^participants must be positive$"):
        vectors.max_abs_entry(0, 32)


def test_wire_form_is_little_endian_and_length_checked() -> None:
    encoded = vectors.encode_input([1, 2**16], 32)
    assert vectors.to_wire(encoded) == b"\x01\x00\x00\x00\x00\x00\x01\x00"
    assert vectors.from_wire(vectors.to_wire(encoded), 2, 32).tolist() == [1, 2**16]
    with pytest.raises(BmadError, match=r"^masked vector must be 2 entries of 4 bytes$"):
        vectors.from_wire(b"\x00" * 7, 2, 32)
    with pytest.raises(BmadError, match=r"^input vector must be one-dimensional$"):
        vectors.encode_input(np.zeros((2, 2), dtype=np.int64), 32)
    with pytest.raises(BmadError, match=r"^input vector must hold integers$"):
        vectors.encode_input(np.zeros(2, dtype=np.float64), 32)
    with pytest.raises(BmadError, match=r"^input vector must hold integers$"):
        vectors.encode_input([1, True], 32)


def test_encoded_vectors_have_the_modulus_width_whatever_came_in() -> None:
    assert vectors.encode_input([], 32).dtype == np.dtype("<u4")
    assert vectors.encode_input(np.array([5], dtype=np.uint16), 32).dtype == np.dtype("<u4")
    assert vectors.encode_input(np.array([-5], dtype=np.int8), 64).tolist() == [2**64 - 5]
    # Python ints beyond int64 take the slow path; its range is half-open like the fast one.
    assert vectors.encode_input([-(2**63), 2**64 - 1], 64).tolist() == [2**63, 2**64 - 1]
