"""Shamir sharing, vector encoding, round configuration and the JSON form of every message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.federation import secagg
from bmad.federation.secagg import (
    AdvertiseKeys,
    ConsistencySignature,
    EncryptedShares,
    KeysBroadcast,
    MaskedInput,
    Message,
    SharesInbox,
    SurvivorList,
    UnmaskRequest,
    UnmaskShares,
    max_abs_entry,
    primitives,
    shamir,
    vectors,
)
from tests.federation.secagg.harness import make_config, make_identities

# --- Shamir -----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    secret=st.integers(0, shamir.PRIME - 1),
    n=st.integers(1, 12),
    data=st.data(),
)
def test_any_threshold_shares_reconstruct_the_secret(
    secret: int, n: int, data: st.DataObject
) -> None:
    threshold = data.draw(st.integers(1, n))
    holders = data.draw(st.lists(st.integers(1, 2**32 - 1), min_size=n, max_size=n, unique=True))
    shares = shamir.split(secret, threshold, holders)
    subset = data.draw(st.lists(st.sampled_from(holders), min_size=threshold, unique=True))
    assert shamir.combine({h: shares[h] for h in subset}, threshold) == secret


def test_fewer_than_threshold_shares_do_not_determine_the_secret() -> None:
    shares = shamir.split(42, 3, [1, 2, 3])
    with pytest.raises(BmadError, match="needs 3 shares, got 2"):
        shamir.combine({1: shares[1], 2: shares[2]}, 3)


def test_inconsistent_extra_share_is_detected() -> None:
    shares = shamir.split(1234, 2, [1, 2, 3, 4])
    shares[4] = (shares[4] + 1) % shamir.PRIME
    with pytest.raises(BmadError, match="inconsistent"):
        shamir.combine(shares, 2)


def test_shamir_rejects_bad_arguments() -> None:
    with pytest.raises(BmadError, match="not a field element"):
        shamir.split(shamir.PRIME, 2, [1, 2])
    with pytest.raises(BmadError, match="threshold"):
        shamir.split(1, 0, [1, 2])
    with pytest.raises(BmadError, match="positive"):
        shamir.split(1, 1, [0])
    with pytest.raises(BmadError, match="not a field element"):
        shamir.combine({1: shamir.PRIME}, 1)
    with pytest.raises(BmadError, match="wrong length"):
        shamir.share_from_bytes(b"\x01")
    with pytest.raises(BmadError, match="not a field element"):
        shamir.share_from_bytes(b"\xff" * shamir.ELEMENT_BYTES)
    assert shamir.share_from_bytes(shamir.share_to_bytes(shamir.PRIME - 1)) == shamir.PRIME - 1


# --- Vectors and masks ------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [32, 64])
def test_encode_reduces_negative_entries_and_round_trips_the_wire(bits: int) -> None:
    encoded = vectors.encode_input([-1, 0, 5, -(2 ** (bits - 1))], bits)
    assert encoded.tolist() == [2**bits - 1, 0, 5, 2 ** (bits - 1)]
    wire = vectors.to_wire(encoded)
    assert len(wire) == 4 * bits // 8
    assert vectors.from_wire(wire, 4, bits).tolist() == encoded.tolist()
    assert vectors.encode_input(np.array([-3, 4], dtype=np.int32), bits).tolist() == [
        2**bits - 3,
        4,
    ]


def test_encode_accepts_unsigned_and_big_python_integers_for_64_bits() -> None:
    assert vectors.encode_input([0, 2**63, 2**64 - 1], 64).tolist() == [0, 2**63, 2**64 - 1]
    assert vectors.encode_input(np.array([2**63], dtype=np.uint64), 64).tolist() == [2**63]
    assert vectors.encode_input([], 32).tolist() == []


@pytest.mark.parametrize(
    "bad",
    [[1.5], ["1"], [True, 1], [[1, 2]], [2**32], [-(2**31) - 1], np.array([1.0]), [2**70]],
)
def test_encode_rejects_non_integers_and_out_of_range(bad: object) -> None:
    with pytest.raises(BmadError, match="input"):
        vectors.encode_input(bad, 32)  # type: ignore[arg-type]


def test_encode_rejects_out_of_range_big_integers_for_64_bits() -> None:
    with pytest.raises(BmadError, match="must lie in"):
        vectors.encode_input([0, 2**64], 64)
    with pytest.raises(BmadError, match="must lie in"):
        vectors.encode_input(np.array([2**40], dtype=np.int64), 32)


def test_wire_length_is_checked() -> None:
    with pytest.raises(BmadError, match="3 entries of 4 bytes"):
        vectors.from_wire(b"\x00" * 11, 3, 32)


def test_max_abs_entry_bounds_the_decodable_sum() -> None:
    bound = max_abs_entry(100, 32)
    assert bound == 21_474_836
    assert 100 * bound < 2**31
    assert 100 * (bound + 1) >= 2**31
    with pytest.raises(BmadError, match="positive"):
        max_abs_entry(0, 32)


def test_masks_depend_on_key_and_have_the_requested_width() -> None:
    first = primitives.mask(bytes(32), 1000, 32)
    assert first.dtype == np.dtype("<u4")
    assert first.shape == (1000,)
    assert primitives.mask(bytes(32), 1000, 32).tolist() == first.tolist()
    assert primitives.mask(b"\x01" + bytes(31), 1000, 32).tolist() != first.tolist()
    wide = primitives.mask(bytes(32), 500, 64)
    assert wide.dtype == np.dtype("<u8")
    # Same keystream, read at another width.
    assert wide.tobytes() == first.tobytes()[:4000]


def test_self_mask_key_is_bound_to_the_session() -> None:
    seed = bytes(32)
    assert primitives.self_mask_key(b"a" * 32, seed) != primitives.self_mask_key(b"b" * 32, seed)


def test_a_signature_verifies_only_for_its_key_message_and_whole_bytes() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    signature = key.sign(b"survivors 1 2 3")
    assert primitives.verify(public, b"survivors 1 2 3", signature)
    assert not primitives.verify(public, b"survivors 1 2", signature)
    assert not primitives.verify(other, b"survivors 1 2 3", signature)
    assert not primitives.verify(
        public, b"survivors 1 2 3", bytes([signature[0] ^ 1]) + signature[1:]
    )
    # lengths libsodium would read past are refused before it reads them
    assert not primitives.verify(public[:31], b"survivors 1 2 3", signature)
    assert not primitives.verify(public, b"survivors 1 2 3", signature[:63])
    assert not primitives.verify(public, b"survivors 1 2 3", signature + b"\x00")
    # a small-order key (the identity point) with a signature that OpenSSL would let through
    assert not primitives.verify(b"\x01" + bytes(31), b"anything", b"\x01" + bytes(63))


# --- Configuration ----------------------------------------------------------------------------


def test_config_validation() -> None:
    identities = make_identities(5)
    with pytest.raises(BmadError, match=r"at least 2n/3 \+ 1 of the 5 participants \(5..5\)"):
        make_config(identities, threshold=3, length=3)
    with pytest.raises(BmadError, match=r"at least 2n/3 \+ 1"):
        make_config(identities, threshold=6, length=3)
    with pytest.raises(BmadError, match="min_survivors"):
        make_config(identities, threshold=5, length=3, min_survivors=6)
    with pytest.raises(BmadError, match="vector length"):
        make_config(identities, threshold=5, length=0)
    with pytest.raises(BmadError, match="modulus_bits"):
        make_config(identities, threshold=5, length=3, modulus_bits=16)
    with pytest.raises(BmadError, match="round id"):
        make_config(identities, threshold=5, length=3, round_id="")
    with pytest.raises(BmadError, match="at least 3 participants"):
        make_config(make_identities(2), threshold=2, length=3)
    good = make_config(identities, threshold=5, length=3)
    assert good.min_survivors == 5
    with pytest.raises(BmadError, match="valid Ed25519 public key"):
        type(good)("r", {**good.roster, 9: b"short"}, 4, 3)
    with pytest.raises(BmadError, match="participant ids"):
        type(good)("r", {**good.roster, 0: good.roster[1]}, 4, 3)


def test_session_tag_commits_to_every_parameter() -> None:
    identities = make_identities(7)
    base = make_config(identities, threshold=6, length=3)
    variants = [
        make_config(identities, threshold=7, length=3),
        make_config(identities, threshold=6, length=4),
        make_config(identities, threshold=6, length=3, round_id="round-b"),
        make_config(identities, threshold=6, length=3, modulus_bits=64),
        make_config(identities, threshold=6, length=3, min_survivors=7),
        make_config({**identities, 7: make_identities(1)[1]}, threshold=6, length=3),
    ]
    tags = {base.session_tag, *(variant.session_tag for variant in variants)}
    assert len(tags) == len(variants) + 1


# --- Messages ---------------------------------------------------------------------------------

_ADVERTISE = AdvertiseKeys("r", 1, b"c" * 32, b"s" * 32, b"g" * 64)
MESSAGES: list[Message] = [
    _ADVERTISE,
    KeysBroadcast("r", (_ADVERTISE, AdvertiseKeys("r", 2, b"d" * 32, b"t" * 32, b"h" * 64))),
    EncryptedShares("r", 1, {2: b"x" * 40, 3: b"y" * 40}),
    SharesInbox("r", 2, {1: b"x" * 40}),
    MaskedInput("r", 3, b"\x00\x01\x02\x03"),
    SurvivorList("r", (1, 2, 3)),
    ConsistencySignature("r", 2, b"s" * 64),
    UnmaskRequest("r", (1, 2, 3), (4,), {1: b"a" * 64, 2: b"b" * 64}),
    UnmaskShares("r", 1, {1: b"p" * 66}, {4: b"q" * 66}),
]


# The wire form of every kind, byte for byte: ids and id-keyed maps sorted numerically, bytes as
# padded standard base64 ("+" and "/"), non-ASCII escaped, no spaces, fields in declaration order.
WIRE: list[tuple[Message, str]] = [
    (
        AdvertiseKeys("r-\u00e9", 7, b"\xfb\xff", b"\x00", b"sig"),
        '{"type":"advertise_keys","round_id":"r-\\u00e9","sender":7,"encryption_public":"+/8=",'
        '"masking_public":"AA==","signature":"c2ln"}',
    ),
    (
        KeysBroadcast(
            "r", (AdvertiseKeys("r", 2, b"c", b"d", b"e"), AdvertiseKeys("r", 1, b"f", b"g", b"h"))
        ),
        '{"type":"keys_broadcast","round_id":"r","keys":[{"type":"advertise_keys","round_id":"r",'
        '"sender":2,"encryption_public":"Yw==","masking_public":"ZA==","signature":"ZQ=="},'
        '{"type":"advertise_keys","round_id":"r","sender":1,"encryption_public":"Zg==",'
        '"masking_public":"Zw==","signature":"aA=="}]}',
    ),
    (
        EncryptedShares("r", 1, {10: b"\xfb\xff\xbf", 2: b"x"}),
        '{"type":"encrypted_shares","round_id":"r","sender":1,"ciphertexts":{"2":"eA==","10":"+/+/"},'
        '"commitments":{}}',
    ),
    (
        SharesInbox("r", 2, {1: b""}),
        '{"type":"shares_inbox","round_id":"r","recipient":2,"ciphertexts":{"1":""},"commitments":{}}',
    ),
    (
        MaskedInput("r", 3, b"\x00\x01\x02\x03"),
        '{"type":"masked_input","round_id":"r","sender":3,"masked":"AAECAw==","validity":""}',
    ),
    (
        SurvivorList("r", (3, 1, 2)),
        '{"type":"survivor_list","round_id":"r","survivors":[1,2,3]}',
    ),
    (
        ConsistencySignature("r", 2**32 - 1, b"s"),
        '{"type":"consistency_signature","round_id":"r","sender":4294967295,"signature":"cw=="}',
    ),
    (
        UnmaskRequest("r", (2, 1), (4,), {2: b"b", 1: b"a"}),
        '{"type":"unmask_request","round_id":"r","survivors":[1,2],"dropped":[4],'
        '"signatures":{"1":"YQ==","2":"Yg=="}}',
    ),
    (
        UnmaskShares("r", 1, {}, {4: b"q"}),
        '{"type":"unmask_shares","round_id":"r","sender":1,"self_mask_shares":{},'
        '"mask_key_shares":{"4":"cQ=="}}',
    ),
]


def test_the_wire_pins_cover_every_kind_of_message() -> None:
    exported = (getattr(secagg, name) for name in secagg.__all__)
    kinds = {item for item in exported if isinstance(item, type) and issubclass(item, Message)}
    assert {type(message) for message, _ in WIRE} == kinds - {Message}


@pytest.mark.parametrize(("message", "wire"), WIRE, ids=[message.KIND for message, _ in WIRE])
def test_every_message_keeps_its_wire_form(message: Message, wire: str) -> None:
    assert message.to_json() == wire
    assert type(message).from_json(wire).to_json() == wire


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.KIND)
def test_every_message_round_trips_through_json(message: Message) -> None:
    text = message.to_json()
    assert json.loads(text)["type"] == message.KIND
    assert type(message).from_json(text) == message
    assert type(message).from_json(text.encode()) == message


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.KIND)
def test_malformed_messages_are_rejected(message: Message) -> None:
    kind = type(message)
    document = message.to_dict()
    with pytest.raises(BmadError, match="not JSON"):
        kind.from_json("{")
    with pytest.raises(BmadError, match=f"not a {kind.KIND} message"):
        kind.from_json(json.dumps({**document, "type": "other"}))
    with pytest.raises(BmadError, match=f"not a {kind.KIND} message"):
        kind.from_json("[1]")
    with pytest.raises(BmadError, match=f"malformed {kind.KIND}"):
        kind.from_json(json.dumps({"type": kind.KIND, "round_id": "r"}))
    with pytest.raises(BmadError, match=f"malformed {kind.KIND}"):
        kind.from_json(json.dumps({**document, "round_id": 5}))


def test_bad_field_values_are_rejected() -> None:
    advertise = _ADVERTISE.to_dict()
    for bad in ({"sender": 0}, {"sender": "x"}, {"sender": True}, {"signature": "%%%"}):
        with pytest.raises(BmadError, match="malformed advertise_keys"):
            AdvertiseKeys.from_dict({**advertise, **bad})
    survivors = SurvivorList("r", (1, 2)).to_dict()
    for bad_ids in ([1, 1], "1,2", [2**32]):
        with pytest.raises(BmadError, match="malformed survivor_list"):
            SurvivorList.from_dict({**survivors, "survivors": bad_ids})
    inbox = SharesInbox("r", 2, {1: b"x"}).to_dict()
    for bad_map in ([], {"-1": "eA=="}, {"1": 5}):
        with pytest.raises(BmadError, match="malformed shares_inbox"):
            SharesInbox.from_dict({**inbox, "ciphertexts": bad_map})
    broadcast = KeysBroadcast("r", (_ADVERTISE,)).to_dict()
    with pytest.raises(BmadError, match="malformed keys_broadcast"):
        KeysBroadcast.from_dict({**broadcast, "keys": {}})
    with pytest.raises(BmadError, match="not a advertise_keys"):
        KeysBroadcast.from_dict({**broadcast, "keys": [{"type": "x"}]})


def test_a_field_type_without_a_json_form_is_refused_as_a_programming_error() -> None:
    @dataclass(frozen=True)
    class Timed(Message):
        KIND: ClassVar[str] = "timed"
        round_id: str
        seconds: float

    with pytest.raises(TypeError, match="cannot be of type <class 'float'>"):
        Timed("r", 1.5).to_json()
    with pytest.raises(TypeError, match="cannot be of type <class 'float'>"):
        Timed.from_json('{"type": "timed", "round_id": "r", "seconds": 1.5}')
