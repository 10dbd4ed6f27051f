"""The messages of a round: frozen dataclasses with a JSON form (bytes as base64).

Every message names its round (``round_id``) and its kind (``"type"`` in JSON); ``from_json``
refuses a message of another kind, a malformed field, or an id that is not a positive integer.
Maps keyed by participant id have string keys in JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from bmad.errors import BmadError


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _participant(value: Any) -> int:
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**32:
        raise ValueError("participant ids must be positive 32-bit integers")
    return value


def _encode(kind: str, value: Any) -> Any:
    if kind == "bytes":
        return _b64(value)
    if kind == "ids":
        return sorted(value)
    if kind == "bytes_by_id":
        return {str(key): _b64(item) for key, item in sorted(value.items())}
    if kind == "keys":
        return [item.to_dict() for item in value]
    return value


def _decode(kind: str, value: Any) -> Any:
    if kind == "str":
        if not isinstance(value, str):
            raise TypeError("expected text")
        return value
    if kind == "id":
        return _participant(value)
    if kind == "bytes":
        return _unb64(value)
    if kind == "ids":
        if not isinstance(value, list):
            raise TypeError("expected a list of ids")
        ids = tuple(_participant(item) for item in value)
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate participant ids")
        return tuple(sorted(ids))
    if kind == "bytes_by_id":
        if not isinstance(value, dict):
            raise TypeError("expected a map of participant ids")
        return {_participant(key): _unb64(item) for key, item in value.items()}
    if kind == "keys":
        if not isinstance(value, list):
            raise TypeError("expected a list of advertised keys")
        return tuple(AdvertiseKeys.from_dict(item) for item in value)
    raise AssertionError(kind)


class Message:
    """JSON form shared by every message; subclasses declare each field's codec in ``CODECS``."""

    KIND: ClassVar[str]
    CODECS: ClassVar[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"type": self.KIND}
        for name, kind in self.CODECS.items():
            document[name] = _encode(kind, getattr(self, name))
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, document: Any) -> Self:
        if not isinstance(document, dict) or document.get("type") != cls.KIND:
            raise BmadError(f"not a {cls.KIND} message")
        try:
            values = {name: _decode(kind, document[name]) for name, kind in cls.CODECS.items()}
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
    CODECS: ClassVar[dict[str, str]] = {
        "round_id": "str",
        "sender": "id",
        "encryption_public": "bytes",
        "masking_public": "bytes",
        "signature": "bytes",
    }
    round_id: str
    sender: int
    encryption_public: bytes
    masking_public: bytes
    signature: bytes


@dataclass(frozen=True)
class KeysBroadcast(Message):
    """Round 0, server -> every client in U1: all advertised keys."""

    KIND: ClassVar[str] = "keys_broadcast"
    CODECS: ClassVar[dict[str, str]] = {"round_id": "str", "keys": "keys"}
    round_id: str
    keys: tuple[AdvertiseKeys, ...]


@dataclass(frozen=True)
class EncryptedShares(Message):
    """Round 1, client -> server: for each peer, the encrypted shares of b_u and s_u^SK."""

    KIND: ClassVar[str] = "encrypted_shares"
    CODECS: ClassVar[dict[str, str]] = {
        "round_id": "str",
        "sender": "id",
        "ciphertexts": "bytes_by_id",
    }
    round_id: str
    sender: int
    ciphertexts: Mapping[int, bytes]  # recipient -> ciphertext


@dataclass(frozen=True)
class SharesInbox(Message):
    """Round 1, server -> each client in U2: the ciphertexts addressed to it, by sender."""

    KIND: ClassVar[str] = "shares_inbox"
    CODECS: ClassVar[dict[str, str]] = {
        "round_id": "str",
        "recipient": "id",
        "ciphertexts": "bytes_by_id",
    }
    round_id: str
    recipient: int
    ciphertexts: Mapping[int, bytes]  # sender -> ciphertext


@dataclass(frozen=True)
class MaskedInput(Message):
    """Round 2, client -> server: y_u as little-endian unsigned integers mod 2^k."""

    KIND: ClassVar[str] = "masked_input"
    CODECS: ClassVar[dict[str, str]] = {"round_id": "str", "sender": "id", "masked": "bytes"}
    round_id: str
    sender: int
    masked: bytes


@dataclass(frozen=True)
class SurvivorList(Message):
    """Round 2, server -> each client in U3: U3, the senders of masked inputs."""

    KIND: ClassVar[str] = "survivor_list"
    CODECS: ClassVar[dict[str, str]] = {"round_id": "str", "survivors": "ids"}
    round_id: str
    survivors: tuple[int, ...]


@dataclass(frozen=True)
class ConsistencySignature(Message):
    """Round 3, client -> server: the client's signature of (session, U3)."""

    KIND: ClassVar[str] = "consistency_signature"
    CODECS: ClassVar[dict[str, str]] = {"round_id": "str", "sender": "id", "signature": "bytes"}
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
    CODECS: ClassVar[dict[str, str]] = {
        "round_id": "str",
        "survivors": "ids",
        "dropped": "ids",
        "signatures": "bytes_by_id",
    }
    round_id: str
    survivors: tuple[int, ...]
    dropped: tuple[int, ...]
    signatures: Mapping[int, bytes]  # signer -> signature of (session, U3)


@dataclass(frozen=True)
class UnmaskShares(Message):
    """Round 4, client -> server: shares of b_v for v in U3 and of s_v^SK for v in U2 minus U3."""

    KIND: ClassVar[str] = "unmask_shares"
    CODECS: ClassVar[dict[str, str]] = {
        "round_id": "str",
        "sender": "id",
        "self_mask_shares": "bytes_by_id",
        "mask_key_shares": "bytes_by_id",
    }
    round_id: str
    sender: int
    self_mask_shares: Mapping[int, bytes]  # survivor -> share of its b
    mask_key_shares: Mapping[int, bytes]  # dropped -> share of its s^SK
