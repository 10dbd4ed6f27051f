"""Encrypted envelopes: X25519 key agreement, HKDF-SHA256, AES-256-GCM with associated data.

``seal`` makes a fresh ephemeral X25519 key per envelope, agrees a secret with the recipient's
public key, derives a 256-bit key with HKDF-SHA256 (info binds both public keys) and encrypts
with AES-256-GCM under a random 96-bit nonce. The associated data (e.g. the round or session
id) is authenticated, not sent: the recipient must supply the same value, so an envelope
replayed into another round fails to open. The header (version and ephemeral key) is also
authenticated.

Layout: version (1 byte) | ephemeral public key (32) | nonce (12) | ciphertext + tag (16).
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bmad.errors import BmadError

VERSION = 1
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER_BYTES = 1 + _KEY_BYTES + _NONCE_BYTES
_INFO = b"bmad envelope v1"


def _public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def derive_key(
    private_key: X25519PrivateKey, peer_public: bytes, info: bytes, length: int = 32
) -> bytes:
    """X25519 agreement with a peer's raw public key, expanded with HKDF-SHA256."""
    try:
        peer = X25519PublicKey.from_public_bytes(peer_public)
        shared = private_key.exchange(peer)
    except ValueError:
        raise BmadError("invalid X25519 public key") from None
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(shared)


def seal(recipient_public: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _public_bytes(ephemeral.public_key())
    key = derive_key(ephemeral, recipient_public, _INFO + ephemeral_public + recipient_public)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    header = bytes([VERSION]) + ephemeral_public + nonce
    return header + AESGCM(key).encrypt(nonce, plaintext, header + associated_data)


def open_envelope(recipient: X25519PrivateKey, envelope: bytes, associated_data: bytes) -> bytes:
    """The plaintext, or :class:`BmadError` if the envelope is not for this key and this AD."""
    if len(envelope) < _HEADER_BYTES + _TAG_BYTES or envelope[0] != VERSION:
        raise BmadError("cannot open envelope: malformed or unsupported version")
    header = envelope[:_HEADER_BYTES]
    ephemeral_public = envelope[1 : 1 + _KEY_BYTES]
    nonce = envelope[1 + _KEY_BYTES : _HEADER_BYTES]
    recipient_public = _public_bytes(recipient.public_key())
    key = derive_key(recipient, ephemeral_public, _INFO + ephemeral_public + recipient_public)
    try:
        return AESGCM(key).decrypt(nonce, envelope[_HEADER_BYTES:], header + associated_data)
    except InvalidTag:
        raise BmadError("cannot open envelope: authentication failed") from None
