"""The aggregator's outer HTTP layer: oversized bodies refused, every answer to a signed request
signed with the aggregator's key (``bmad.federation.signing``), a failure inside the
application included: it is answered here with a signed 500 that names nothing of the failure,
since Starlette's own 500 is sent from outside this layer, unsigned, and members refuse unsigned
answers as an impostor's.

A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` runs each request in a task group
with memory streams, and two of them were about a quarter of the aggregator's CPU per request
in bench_scale's rounds.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bmad.federation.signing import (
    NONCE_HEADER,
    RESPONSE_SIGNATURE_HEADER,
    encode_key,
    response_text,
)


class AnswerSigning:
    """Refuse bodies announced larger than ``max_body_bytes`` (413); sign each answer whose
    request carries a nonce over (nonce, status, body) with ``sign``."""

    def __init__(self, app: ASGIApp, sign: Callable[[bytes], bytes], max_body_bytes: int) -> None:
        self.app = app
        self.sign = sign
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        inner = self.app
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            inner = JSONResponse({"detail": "request body too large"}, status_code=413)
        nonce = headers.get(NONCE_HEADER)
        if nonce is None:
            await inner(scope, receive, send)
            return
        signed_send = self._signing(nonce, send)
        try:
            await inner(scope, receive, signed_send)
        except Exception:
            if not signed_send.started:
                failure = JSONResponse({"detail": "the aggregator failed to answer"}, 500)
                await failure(scope, receive, signed_send)
            raise  # for the server's error log

    def _signing(self, nonce: str, send: Send) -> _SignedSend:
        return _SignedSend(self.sign, nonce, send)


class _SignedSend:
    """``send`` with the answer held back until its whole body is known, then signed."""

    def __init__(self, sign: Callable[[bytes], bytes], nonce: str, send: Send) -> None:
        self.sign = sign
        self.nonce = nonce
        self.send = send
        self.started = False  # whether the application began an answer
        self._start: Message = {}
        self._chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self._start.update(message)
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self._chunks)
        headers = MutableHeaders(raw=list(self._start["headers"]))
        headers["content-length"] = str(len(body))
        signature = self.sign(response_text(self.nonce, int(self._start["status"]), body))
        headers[RESPONSE_SIGNATURE_HEADER] = encode_key(signature)
        await self.send({**self._start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": body})
