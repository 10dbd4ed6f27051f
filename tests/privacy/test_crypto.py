"""Identity keys, signatures, rotation and envelopes; tampering is rejected."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bmad.errors import BmadError
from bmad.privacy import audit, envelope, identity
from bmad.privacy.db import open_privacy_store

AD = b"round-42"


@pytest.fixture
def me() -> identity.Identity:
    return identity.load_or_create_identity(open_privacy_store())


def test_identity_file_is_owner_only_and_reloads(me: identity.Identity) -> None:
    path = identity.identity_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = identity.load_or_create_identity(open_privacy_store())
    assert again.fingerprint == me.fingerprint
    events = [e.detail for e in audit.entries(open_privacy_store())]
    assert events == [{"event": "created", "fingerprint": me.fingerprint}]
    assert me.public.to_dict()["fingerprint"] == me.fingerprint


def test_a_key_file_readable_by_others_is_refused(me: identity.Identity) -> None:
    os.chmod(identity.identity_path(), 0o644)
    with pytest.raises(BmadError, match="accessible by other users"):
        identity.load_identity()


def test_a_corrupt_or_missing_key_file_is_reported_without_its_content(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BmadError, match="no identity key"):
        identity.load_identity(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "signing_key": "c2VjcmV0"}')
    os.chmod(bad, 0o600)
    with pytest.raises(BmadError, match="corrupt") as caught:
        identity.load_identity(bad)
    assert "c2VjcmV0" not in str(caught.value)


def test_signatures_verify_and_reject_tampering(me: identity.Identity) -> None:
    public = me.public
    signature = me.sign(b"payload")
    identity.verify_signature(public.signing_public, b"payload", signature)
    with pytest.raises(BmadError):
        identity.verify_signature(public.signing_public, b"payload!", signature)
    forged = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(BmadError):
        identity.verify_signature(public.signing_public, b"payload", forged)
    other = identity._new_identity()
    with pytest.raises(BmadError):
        identity.verify_signature(other.public.signing_public, b"payload", signature)
    public.verify()
    swapped = identity.PublicIdentity(
        public.signing_public, other.public.encryption_public, public.binding_signature
    )
    with pytest.raises(BmadError):
        swapped.verify()  # an encryption key the identity never signed


def test_rotation_is_certified_by_old_and_new_keys(me: identity.Identity) -> None:
    store = open_privacy_store()
    rotated = identity.rotate_identity(store)
    assert rotated.fingerprint != me.fingerprint
    certificate = rotated.rotations[-1]
    certificate.verify()
    assert certificate.old_signing_public == me.public.signing_public
    reloaded = identity.load_identity()
    assert reloaded.fingerprint == rotated.fingerprint
    assert len(reloaded.rotations) == 1
    document = json.loads(identity.identity_path().read_text())
    old_private = me.signing_key.private_bytes(
        identity._RAW, identity._RAW_PRIVATE, identity._NO_ENCRYPTION
    )
    assert identity._b64(old_private) not in json.dumps(document)  # the old key is gone
    last = audit.entries(store)[-1]
    assert last.detail == {
        "event": "rotated",
        "old_fingerprint": me.fingerprint,
        "fingerprint": rotated.fingerprint,
    }
    bad = identity.RotationCertificate(
        certificate.old_signing_public,
        certificate.new,
        certificate.at,
        certificate.new_signature,  # signatures swapped
        certificate.old_signature,
    )
    with pytest.raises(BmadError):
        bad.verify()


def test_envelope_round_trip(me: identity.Identity) -> None:
    sealed = envelope.seal(me.public.encryption_public, b"secret vector", AD)
    assert b"secret vector" not in sealed
    assert envelope.open_envelope(me.encryption_key, sealed, AD) == b"secret vector"
    again = envelope.seal(me.public.encryption_public, b"secret vector", AD)
    assert again != sealed  # fresh ephemeral key and nonce each time


def test_envelope_rejects_wrong_ad_wrong_key_and_tampering(me: identity.Identity) -> None:
    sealed = envelope.seal(me.public.encryption_public, b"secret vector", AD)
    with pytest.raises(BmadError, match="authentication failed"):
        envelope.open_envelope(me.encryption_key, sealed, b"round-43")
    with pytest.raises(BmadError, match="authentication failed"):
        envelope.open_envelope(X25519PrivateKey.generate(), sealed, AD)
    for position in (1, 40, 50, len(sealed) - 1):  # ephemeral key, nonce, ciphertext, tag
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(BmadError):
            envelope.open_envelope(me.encryption_key, bytes(tampered), AD)
    with pytest.raises(BmadError, match="malformed"):
        envelope.open_envelope(me.encryption_key, sealed[:20], AD)
    with pytest.raises(BmadError, match="malformed"):
        envelope.open_envelope(me.encryption_key, b"\x02" + sealed[1:], AD)
    with pytest.raises(BmadError):
        envelope.seal(b"short", b"x", AD)


def test_rotated_keys_cannot_open_old_envelopes(me: identity.Identity) -> None:
    sealed = envelope.seal(me.public.encryption_public, b"old", AD)
    rotated = identity.rotate_identity(open_privacy_store())
    with pytest.raises(BmadError):
        envelope.open_envelope(rotated.encryption_key, sealed, AD)


def test_derived_pairwise_keys_agree() -> None:
    a, b = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    a_public = a.public_key().public_bytes(identity._RAW, identity._RAW_PUBLIC)
    b_public = b.public_key().public_bytes(identity._RAW, identity._RAW_PUBLIC)
    assert envelope.derive_key(a, b_public, b"pair") == envelope.derive_key(b, a_public, b"pair")
    assert envelope.derive_key(a, b_public, b"pair") != envelope.derive_key(a, b_public, b"other")


def test_recorded_signatures_are_audited_by_digest(me: identity.Identity) -> None:
    import hashlib

    store = open_privacy_store()
    signature = identity.sign_recorded(store, me, b"round 7 payload", "upload")
    identity.verify_signature(me.public.signing_public, b"round 7 payload", signature)
    last = audit.entries(store)[-1]
    assert last.kind == "key"
    assert last.detail == {
        "event": "signed",
        "purpose": "upload",
        "fingerprint": me.fingerprint,
        "message_sha256": hashlib.sha256(b"round 7 payload").hexdigest(),
    }
    assert audit.verify(store).ok
