"""The messages of a round: frozen dataclasses with one JSON codec driven by their field types.

Every message names its round (``round_id``) and its kind (``"type"`` in JSON, first). Each
field's declared type says its JSON form: ``str`` as is, ``int`` a participant id (a positive
32-bit integer), ``bytes`` base64, ``tuple[int, ...]`` a set of participant ids (a sorted list
without repeats), ``tuple[M, ...]`` a list of nested messages, ``Mapping[int, V]`` a map keyed by
participant id with string keys in ascending id order. ``from_json`` refuses a message of another
kind, a malformed field, or an id that is not a positive 32-bit integer.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self, get_args, get_origin, get_type_hints

from bmad.errors import BmadError


@dataclass(frozen=True, slots=True)
class _Codec:
    """How values of one declared type go into JSON and come back checked."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _unchanged(value: Any) -> Any:
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _participant(value: Any) -> int:
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**32:
        raise ValueError("participant ids must be positive 32-bit integers")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected a map")
    return value


def _participant_set(value: Any) -> tuple[int, ...]:
    ids = tuple(_participant(item) for item in _list(value))
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate participant ids")
    return tuple(sorted(ids))


def _sequence(item: _Codec) -> _Codec:
    return _Codec(
        lambda values: [item.encode(value) for value in values],
        lambda value: tuple(item.decode(element) for element in _list(value)),
    )


def _by_participant(item: _Codec) -> _Codec:
    return _Codec(
        lambda entries: {str(key): item.encode(value) for key, value in sorted(entries.items())},
        lambda value: {_participant(key): item.decode(entry) for key, entry in _map(value).items()},
    )


def _codec(annotation: Any) -> _Codec:
    """The codec of a field declared as ``annotation``; a ``TypeError`` for a type with no form."""
    origin, arguments = get_origin(annotation), get_args(annotation)
    if annotation is str:
        return _Codec(_unchanged, _text)
    if annotation is int:
        return _Codec(_unchanged, _participant)
    if annotation is bytes:
        return _Codec(_b64, _unb64)
    if isinstance(annotation, type) and issubclass(annotation, Message):
        return _Codec(annotation.to_dict, annotation.from_dict)
    if origin is tuple and arguments == (int, ...):
        return _Codec(sorted, _participant_set)
    if origin is tuple and len(arguments) == 2 and arguments[1] is ...:
        return _sequence(_codec(arguments[0]))
    if origin is Mapping and arguments[0] is int:
        return _by_participant(_codec(arguments[1]))
    raise TypeError(f"a message field cannot be of type {annotation!r}")


_FieldCodecs = tuple[tuple[str, _Codec], ...]
_field_codecs_by_kind: dict[type[Message], _FieldCodecs] = {}


def _field_codecs(kind: type[Message]) -> _FieldCodecs:
    """Each field's name and codec, in declaration order (the order of the JSON keys)."""
    if kind not in _field_codecs_by_kind:
        annotations = get_type_hints(kind)
        _field_codecs_by_kind[kind] = tuple(
            (field.name, _codec(annotations[field.name])) for field in fields(kind)
        )
    return _field_codecs_by_kind[kind]


@dataclass(frozen=True)
class Message:
    """The JSON form shared by every message, derived from the subclass's fields."""

    KIND: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"type": self.KIND}
        for name, codec in _field_codecs(type(self)):
            document[name] = codec.encode(getattr(self, name))
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, document: Any) -> Self:
        if not isinstance(document, dict) or document.get("type") != cls.KIND:
            raise BmadError(f"not a {cls.KIND} message")
        codecs = _field_codecs(cls)
        try:
            values = {name: codec.decode(document[name]) for name, codec in codecs}
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise BmadError(f"malformed {cls.KIND} message") from None
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise BmadError(f"malformed {cls.KIND} message: not JSON") from None
        return cls.from_dict(document)


@dataclass(frozen=True)
class AdvertiseKeys(Message):
    """Round 0, client -> server: the two X25519 public keys, signed with the identity key."""

    KIND: ClassVar[str] = "advertise_keys"
    round_id: str
    sender: int
    encryption_public: bytes
    masking_public: bytes
    signature: bytes


@dataclass(frozen=True)
class KeysBroadcast(Message):
    """Round 0, server -> every client in U1: all advertised keys."""

    KIND: ClassVar[str] = "keys_broadcast"
    round_id: str
    keys: tuple[AdvertiseKeys, ...]


@dataclass(frozen=True)
class EncryptedShares(Message):
    """Round 1, client -> server: for each peer, the encrypted shares of b_u and s_u^SK."""

    KIND: ClassVar[str] = "encrypted_shares"
    round_id: str
    sender: int
    ciphertexts: Mapping[int, bytes]  # recipient -> ciphertext
    # recipient -> commitment to its share of b_u, then to its share of s_u^SK (32 bytes each)
    commitments: Mapping[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class SharesInbox(Message):
    """Round 1, server -> each client in U2: the ciphertexts addressed to it, by sender."""

    KIND: ClassVar[str] = "shares_inbox"
    round_id: str
    recipient: int
    ciphertexts: Mapping[int, bytes]  # sender -> ciphertext
    commitments: Mapping[int, bytes] = field(default_factory=dict)  # sender -> its commitments


@dataclass(frozen=True)
class MaskedInput(Message):
    """Round 2, client -> server: y_u as little-endian unsigned integers mod 2^k."""

    KIND: ClassVar[str] = "masked_input"
    round_id: str
    sender: int
    masked: bytes
    validity: bytes = b""  # the input proof when the round sets input bounds (validity.py)


@dataclass(frozen=True)
class SurvivorList(Message):
    """Round 2, server -> each client in U3: U3, the senders of masked inputs."""

    KIND: ClassVar[str] = "survivor_list"
    round_id: str
    survivors: tuple[int, ...]


@dataclass(frozen=True)
class ConsistencySignature(Message):
    """Round 3, client -> server: the client's signature of (session, U3)."""

    KIND: ClassVar[str] = "consistency_signature"
    round_id: str
    sender: int
    signature: bytes


@dataclass(frozen=True)
class UnmaskRequest(Message):
    """Round 3, server -> each client in U4: the signatures of U4 and which shares to reveal.

    ``survivors`` (U3) get their self-mask seed share revealed, ``dropped`` (U2 minus U3) their
    masking-key share; a client refuses unless these are exactly its own U3 and U2 minus U3.
    """

    KIND: ClassVar[str] = "unmask_request"
    round_id: str
    survivors: tuple[int, ...]
    dropped: tuple[int, ...]
    signatures: Mapping[int, bytes]  # signer -> signature of (session, U3)


@dataclass(frozen=True)
class UnmaskShares(Message):
    """Round 4, client -> server: shares of b_v for v in U3 and of s_v^SK for v in U2 minus U3."""

    KIND: ClassVar[str] = "unmask_shares"
    round_id: str
    sender: int
    self_mask_shares: Mapping[int, bytes]  # survivor -> share of its b
    mask_key_shares: Mapping[int, bytes]  # dropped -> share of its s^SK
