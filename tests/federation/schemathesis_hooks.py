"""Schemathesis hook: sign every fuzzed request the way bmad clients do.

Loaded by the schemathesis CLI (``SCHEMATHESIS_HOOKS=tests.federation.schemathesis_hooks``),
possibly from another environment, so it needs ``cryptography`` only. The key's seed comes
from ``BMAD_FUZZ_KEY`` (hex); the test registers that key as a federation admin first, so the
fuzzer reaches the validation and the handlers behind the signature check. A body or query the
transport encodes differently from this reconstruction just gets 401, which is no 5xx either.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import schemathesis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(os.environ["BMAD_FUZZ_KEY"]))
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    body = (
        b""
        if case.body is None or not isinstance(case.body, (dict, list))
        else (json.dumps(case.body).encode())
    )
    target = case.formatted_path
    if case.query:
        target += "?" + urlencode(case.query, doseq=True)
    stamp, nonce = f"{time.time():.3f}", secrets.token_urlsafe(24)
    text = "\n".join(
        (
            "bmad-request-v1",
            case.method.upper(),
            target,
            hashlib.sha256(body).hexdigest(),
            stamp,
            nonce,
        )
    ).encode()
    case.headers = {
        **(case.headers or {}),
        "x-bmad-key": base64.urlsafe_b64encode(PUBLIC).decode(),
        "x-bmad-timestamp": stamp,
        "x-bmad-nonce": nonce,
        "x-bmad-signature": base64.urlsafe_b64encode(KEY.sign(text)).decode(),
    }
