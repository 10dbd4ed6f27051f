"""Participant identity: an Ed25519 signing key and an X25519 encryption key.

Keys come from the ``cryptography`` package; nothing here implements a primitive. They live in
one owner-only (0600) file in an owner-only folder of the user data directory and are refused
if that file is readable by anyone else. The X25519 public key is signed by the Ed25519 key, so
a peer that trusts the signing key also trusts the encryption key.

Rotation replaces both keys; a rotation certificate signed by the old and by the new signing
key links them, the retired public keys stay listed, the retired private keys are deleted (so
old envelopes cannot be opened any more: forward secrecy). Creation and rotation are written
to the audit log with the key fingerprints, never the keys.

(The OS keyring is not used: the ``keyring`` package is not a dependency of bmad.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bmad import dirs
from bmad.errors import BmadError
from bmad.privacy import audit
from bmad.privacy.db import timestamp, utc_now
from bmad.store.connection import Store

FILE_FORMAT = 1
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw
_RAW_PRIVATE = serialization.PrivateFormat.Raw
_NO_ENCRYPTION = serialization.NoEncryption()


def identity_path() -> Path:
    return dirs.data_dir() / "keys" / "identity.json"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def fingerprint(signing_public: bytes) -> str:
    return hashlib.sha256(b"bmad identity v1" + signing_public).hexdigest()[:32]


def _binding_message(signing_public: bytes, encryption_public: bytes) -> bytes:
    return b"bmad encryption key v1" + signing_public + encryption_public


@dataclass(frozen=True, slots=True)
class PublicIdentity:
    """What a participant publishes: its keys and the signature binding them."""

    signing_public: bytes
    encryption_public: bytes
    binding_signature: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing_public)

    def verify(self) -> None:
        verify_signature(
            self.signing_public,
            _binding_message(self.signing_public, self.encryption_public),
            self.binding_signature,
        )

    def to_dict(self) -> dict[str, str]:
        return {
            "signing_public": _b64(self.signing_public),
            "encryption_public": _b64(self.encryption_public),
            "binding_signature": _b64(self.binding_signature),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PublicIdentity:
        try:
            public = cls(
                _unb64(data["signing_public"]),
                _unb64(data["encryption_public"]),
                _unb64(data["binding_signature"]),
            )
        except (KeyError, TypeError, ValueError):
            raise BmadError("malformed public identity") from None
        public.verify()
        return public


@dataclass(frozen=True, slots=True)
class RotationCertificate:
    old_signing_public: bytes
    new: PublicIdentity
    at: str
    old_signature: bytes
    new_signature: bytes

    def message(self) -> bytes:
        return (
            b"bmad key rotation v1"
            + self.old_signing_public
            + self.new.signing_public
            + self.new.encryption_public
            + self.at.encode("ascii")
        )

    def verify(self) -> None:
        self.new.verify()
        verify_signature(self.old_signing_public, self.message(), self.old_signature)
        verify_signature(self.new.signing_public, self.message(), self.new_signature)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_signing_public": _b64(self.old_signing_public),
            "new": self.new.to_dict(),
            "at": self.at,
            "old_signature": _b64(self.old_signature),
            "new_signature": _b64(self.new_signature),
        }


@dataclass(frozen=True)
class Identity:
    signing_key: Ed25519PrivateKey
    encryption_key: X25519PrivateKey
    created_at: str
    rotations: tuple[RotationCertificate, ...] = field(default=())

    @property
    def public(self) -> PublicIdentity:
        signing_public = self.signing_key.public_key().public_bytes(_RAW, _RAW_PUBLIC)
        encryption_public = self.encryption_key.public_key().public_bytes(_RAW, _RAW_PUBLIC)
        signature = self.signing_key.sign(_binding_message(signing_public, encryption_public))
        return PublicIdentity(signing_public, encryption_public, signature)

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def sign(self, message: bytes) -> bytes:
        return self.signing_key.sign(message)


def sign_recorded(store: Store, identity: Identity, message: bytes, purpose: str) -> bytes:
    """Sign and write the key use to the audit log (the message's digest, never the message)."""
    signature = identity.sign(message)
    audit.record(
        store,
        "key",
        {
            "event": "signed",
            "purpose": purpose,
            "fingerprint": identity.fingerprint,
            "message_sha256": hashlib.sha256(message).hexdigest(),
        },
    )
    return signature


def verify_signature(signing_public: bytes, message: bytes, signature: bytes) -> None:
    """Raise :class:`BmadError` unless ``signature`` is the key's signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(signing_public).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise BmadError("signature verification failed") from None


def _new_identity() -> Identity:
    return Identity(Ed25519PrivateKey.generate(), X25519PrivateKey.generate(), timestamp(utc_now()))


def _serialise(identity: Identity) -> bytes:
    document = {
        "format": FILE_FORMAT,
        "created_at": identity.created_at,
        "signing_key": _b64(identity.signing_key.private_bytes(_RAW, _RAW_PRIVATE, _NO_ENCRYPTION)),
        "encryption_key": _b64(
            identity.encryption_key.private_bytes(_RAW, _RAW_PRIVATE, _NO_ENCRYPTION)
        ),
        "rotations": [certificate.to_dict() for certificate in identity.rotations],
    }
    return json.dumps(document, indent=2).encode("ascii")


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically: a 0600 temporary file in the same 0700 folder, then rename."""
    dirs.ensure_private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _certificate_from_dict(data: dict[str, Any]) -> RotationCertificate:
    certificate = RotationCertificate(
        _unb64(data["old_signing_public"]),
        PublicIdentity.from_dict(data["new"]),
        str(data["at"]),
        _unb64(data["old_signature"]),
        _unb64(data["new_signature"]),
    )
    certificate.verify()
    return certificate


def load_identity(path: Path | None = None) -> Identity:
    path = path or identity_path()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise BmadError(f"no identity key at {path} (run `bmad privacy keys init`)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BmadError(f"identity key file {path} is accessible by other users; chmod 600 it")
    try:
        document = json.loads(path.read_bytes())
        if document["format"] != FILE_FORMAT:
            raise BmadError(f"identity key file {path} has an unknown format")
        return Identity(
            Ed25519PrivateKey.from_private_bytes(_unb64(document["signing_key"])),
            X25519PrivateKey.from_private_bytes(_unb64(document["encryption_key"])),
            str(document["created_at"]),
            tuple(_certificate_from_dict(item) for item in document["rotations"]),
        )
    except (OSError, KeyError, TypeError, ValueError):
        raise BmadError(f"identity key file {path} is unreadable or corrupt") from None


def load_or_create_identity(store: Store, path: Path | None = None) -> Identity:
    path = path or identity_path()
    if path.exists():
        return load_identity(path)
    identity = _new_identity()
    _write_private(path, _serialise(identity))
    audit.record(store, "key", {"event": "created", "fingerprint": identity.fingerprint})
    return identity


def rotate_identity(store: Store, path: Path | None = None) -> Identity:
    """Replace both keys; the old signing key certifies the new ones before it is deleted."""
    path = path or identity_path()
    old = load_identity(path)
    fresh = _new_identity()
    at = fresh.created_at
    unsigned = RotationCertificate(
        old.public.signing_public, fresh.public, at, old_signature=b"", new_signature=b""
    )
    certificate = RotationCertificate(
        unsigned.old_signing_public,
        unsigned.new,
        at,
        old.sign(unsigned.message()),
        fresh.sign(unsigned.message()),
    )
    rotated = Identity(fresh.signing_key, fresh.encryption_key, at, (*old.rotations, certificate))
    _write_private(path, _serialise(rotated))
    audit.record(
        store,
        "key",
        {
            "event": "rotated",
            "old_fingerprint": old.fingerprint,
            "fingerprint": rotated.fingerprint,
        },
    )
    return rotated
