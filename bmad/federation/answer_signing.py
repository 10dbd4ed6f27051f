"""The aggregator's outer HTTP layer: oversized bodies refused, every answer to a signed request
signed with the aggregator's key (``bmad.federation.signing``).

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
        await inner(scope, receive, self._signing(nonce, send))

    def _signing(self, nonce: str, send: Send) -> Send:
        """``send`` with the answer held back until its whole body is known, then signed."""
        start: Message = {}
        chunks: list[bytes] = []

        async def signed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(raw=list(start["headers"]))
            headers["content-length"] = str(len(body))
            signature = self.sign(response_text(nonce, int(start["status"]), body))
            headers[RESPONSE_SIGNATURE_HEADER] = encode_key(signature)
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})

        return signed_send
