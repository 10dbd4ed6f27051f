"""Signed HTTP requests and answers: Ed25519 both ways.

A request's signed text is ``bmad-request-v2 \\n AGGREGATOR KEY \\n METHOD \\n PATH?QUERY \\n
sha256(body) \\n TIMESTAMP \\n NONCE``; the signature and the signer's public key travel in
headers. The server accepts a request only if it names the server's own key (so a request
captured at one aggregator cannot be replayed to another that knows the same member), the
signature verifies, the timestamp is within the allowed clock skew, and the nonce was never seen
within that window.

Every answer to a signed request is signed by the aggregator's key over ``bmad-response-v1 \\n
NONCE \\n STATUS \\n sha256(body)``, so a member knows the answer is the aggregator's own and
answers this very request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bmad.errors import BmadError
from bmad.federation.secagg.config import Signer

KEY_HEADER = "x-bmad-key"
TIMESTAMP_HEADER = "x-bmad-timestamp"
NONCE_HEADER = "x-bmad-nonce"
SIGNATURE_HEADER = "x-bmad-signature"
RESPONSE_SIGNATURE_HEADER = "x-bmad-aggregator-signature"
SIGNED_HEADERS = (KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
MAX_NONCE_CHARS = 64
_PUBLIC_KEY_BYTES = 32
_SIGNATURE_BYTES = 64


class RequestRejected(BmadError):
    """A request whose signature, timestamp or nonce is not acceptable."""


def encode_key(public_key: bytes) -> str:
    return base64.urlsafe_b64encode(public_key).decode("ascii")


def decode_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise RequestRejected("malformed public key") from None
    if len(key) != _PUBLIC_KEY_BYTES:
        raise RequestRejected("malformed public key")
    return key


def signed_text(
    aggregator_key: bytes, method: str, target: str, body: bytes, timestamp: str, nonce: str
) -> bytes:
    body_digest = hashlib.sha256(body).hexdigest()
    return "\n".join(
        (
            "bmad-request-v2",
            encode_key(aggregator_key),
            method.upper(),
            target,
            body_digest,
            timestamp,
            nonce,
        )
    ).encode("utf-8")


def response_text(nonce: str, status: int, body: bytes) -> bytes:
    return "\n".join(
        ("bmad-response-v1", nonce, str(status), hashlib.sha256(body).hexdigest())
    ).encode("utf-8")


def sign_request(
    signer: Signer,
    public_key: bytes,
    aggregator_key: bytes,
    method: str,
    target: str,
    body: bytes,
) -> dict[str, str]:
    """The headers that authenticate one request to ``target`` (path plus query string) at the
    aggregator whose key is ``aggregator_key``."""
    timestamp = f"{time.time():.3f}"
    nonce = secrets.token_urlsafe(24)
    signature = signer.sign(signed_text(aggregator_key, method, target, body, timestamp, nonce))
    return {
        KEY_HEADER: encode_key(public_key),
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: base64.urlsafe_b64encode(signature).decode("ascii"),
    }


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    public_key: bytes
    nonce: str
    timestamp: float


def verify_request(
    headers: Mapping[str, str],
    aggregator_key: bytes,
    method: str,
    target: str,
    body: bytes,
    max_skew: float,
    now: float | None = None,
) -> VerifiedRequest:
    """Check signature and freshness; the caller still checks that the nonce is new."""
    missing = [name for name in SIGNED_HEADERS if not headers.get(name)]
    if missing:
        raise RequestRejected("unsigned request: missing " + ", ".join(missing))
    public_key = decode_key(headers[KEY_HEADER])
    timestamp_text, nonce = headers[TIMESTAMP_HEADER], headers[NONCE_HEADER]
    if len(nonce) > MAX_NONCE_CHARS or not nonce.isascii():
        raise RequestRejected("malformed nonce")
    try:
        timestamp = float(timestamp_text)
        signature = base64.urlsafe_b64decode(headers[SIGNATURE_HEADER].encode("ascii"))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise RequestRejected("malformed timestamp or signature") from None
    if len(signature) != _SIGNATURE_BYTES:
        raise RequestRejected("malformed signature")
    current = time.time() if now is None else now
    if not abs(current - timestamp) <= max_skew:
        raise RequestRejected("stale request: timestamp outside the allowed clock skew")
    from bmad.federation.secagg.primitives import verify  # libsodium: 3x OpenSSL's speed

    signed = signed_text(aggregator_key, method, target, body, timestamp_text, nonce)
    if not verify(public_key, signed, signature):
        raise RequestRejected("bad signature (or signed for another aggregator's key)")
    return VerifiedRequest(public_key, nonce, timestamp)
