"""The cryptography of a round, from the ``cryptography`` package and libsodium (PyNaCl).

- Signatures: Ed25519, made with the identity key and checked by libsodium (``verify``), over
  domain-separated messages that start with the round's session tag.
- Share encryption: X25519(c_u, c_v) expanded with HKDF-SHA256
  (``bmad.privacy.envelope.derive_key``; the info binds the session tag and both public keys
  in sorted order, so both ends derive the same key), then AES-256-GCM with a random 96-bit
  nonce and associated data session tag || sender || recipient.
- Masks: a 256-bit key from HKDF-SHA256 of the seed (the self-mask seed b_u, or the X25519
  secret of the two masking keys) with the session tag in the info, expanded by the AES-256-CTR
  keystream; the keystream bytes are read as little-endian unsigned integers of the modulus width.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bmad.errors import BmadError
from bmad.privacy.envelope import derive_key

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

KEY_BYTES = 32
SEED_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
_SIGNING_KEY_BYTES = 32
_SIGNATURE_BYTES = 64
_ADVERTISE = b"bmad secagg advertise v1"
_CONSISTENCY = b"bmad secagg consistency v1"
_SHARE_KEY = b"bmad secagg share key v1"
_PAIRWISE_MASK = b"bmad secagg pairwise mask v1"
_SELF_MASK = b"bmad secagg self mask v1"


def _id(participant: int) -> bytes:
    return participant.to_bytes(4, "big")


def public_bytes(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def advertise_message(
    tag: bytes, sender: int, encryption_public: bytes, masking_public: bytes
) -> bytes:
    return _ADVERTISE + tag + _id(sender) + encryption_public + masking_public


def consistency_message(tag: bytes, survivors: tuple[int, ...]) -> bytes:
    return _CONSISTENCY + tag + b"".join(_id(p) for p in sorted(survivors))


def verify(signing_public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the Ed25519 signature of ``message`` by ``signing_public``.

    libsodium's check (PyNaCl), stricter than OpenSSL's (it also refuses small-order keys):
    55 us a signature here against 150 us through ``cryptography``, and a member of a sparse
    round of 1,000 checks about 330 (its neighbours' keys and consistency signatures)."""
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    # libsodium reads exactly 32 key bytes and 64 signature bytes: other lengths never verify
    if len(signing_public) != _SIGNING_KEY_BYTES or len(signature) != _SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, signing_public)
    except BadSignatureError:
        return False
    return True


def _pair_info(label: bytes, tag: bytes, own_public: bytes, peer_public: bytes) -> bytes:
    low, high = sorted((own_public, peer_public))
    return label + tag + low + high


def share_key(tag: bytes, own: X25519PrivateKey, peer_public: bytes) -> bytes:
    return derive_key(own, peer_public, _pair_info(_SHARE_KEY, tag, public_bytes(own), peer_public))


def share_associated_data(tag: bytes, sender: int, recipient: int) -> bytes:
    return tag + _id(sender) + _id(recipient)


def encrypt_shares(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def decrypt_shares(key: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    if len(ciphertext) < NONCE_BYTES + _TAG_BYTES:
        raise BmadError("encrypted shares are truncated")
    nonce, body = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, body, associated_data)
    except InvalidTag:
        raise BmadError("encrypted shares failed authentication") from None


def share_commitment(tag: bytes, owner: int, holder: int, share: bytes) -> bytes:
    """The owner's commitment to the share it gave ``holder`` (one Shamir share, its bytes).

    Sent with the encrypted shares and relayed to the holder, so that the holder can check the
    share it decrypted and the server can check the share the holder reveals at unmasking: a
    wrong share is caught and attributed instead of silently corrupting the sum. A share is a
    uniformly random field element, so its hash reveals nothing of the secret."""
    import hashlib

    return hashlib.sha256(b"bmad secagg share v1" + tag + _id(owner) + _id(holder) + share).digest()


def pairwise_mask_key(tag: bytes, own: X25519PrivateKey, peer_public: bytes) -> bytes:
    return derive_key(
        own, peer_public, _pair_info(_PAIRWISE_MASK, tag, public_bytes(own), peer_public)
    )


def self_mask_key(tag: bytes, seed: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_SELF_MASK + tag
    ).derive(seed)


def mask(key: bytes, length: int, modulus_bits: int) -> NDArray[np.unsignedinteger]:
    """``length`` pseudo-random integers mod 2^modulus_bits: the AES-256-CTR keystream of ``key``.

    Each key is used for one keystream only (it is derived per round and per pair or seed), so
    the all-zero initial counter block is safe.
    """
    import numpy as np

    width = modulus_bits // 8
    encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    stream = encryptor.update(bytes(length * width)) + encryptor.finalize()
    return np.frombuffer(stream, dtype=f"<u{width}")
