"""The aggregator's outer layer: answers to signed requests are signed whole, oversized bodies
are refused (and that refusal is signed too), and so is the answer to a request whose handling
failed."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bmad.federation.answer_signing import AnswerSigning
from bmad.federation.signing import NONCE_HEADER, RESPONSE_SIGNATURE_HEADER, response_text
from bmad.privacy.identity import verify_signature

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


async def echo(request: Request) -> Response:
    return JSONResponse({"got": (await request.body()).decode()}, status_code=202)


async def chunks(_: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"first,", b"second,", b"third"):
            yield part

    return StreamingResponse(parts(), media_type="text/plain")


def ask(method: str, path: str, body: bytes = b"", nonce: str | None = None) -> httpx.Response:
    """One request to the signing layer around a small app, in process."""
    inner = Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/chunks", chunks)])
    transport = httpx.ASGITransport(AnswerSigning(inner, KEY.sign, max_body_bytes=10))

    async def request() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://aggregator") as client:
            headers = {} if nonce is None else {NONCE_HEADER: nonce}
            return await client.request(method, path, content=body, headers=headers)

    return asyncio.run(request())


def signature_holds(answer_nonce: str, status: int, body: bytes, header: str) -> bool:
    try:
        verify_signature(
            PUBLIC, response_text(answer_nonce, status, body), base64.urlsafe_b64decode(header)
        )
    except Exception:
        return False
    return True


def test_an_answer_to_a_signed_request_is_signed_over_nonce_status_and_body() -> None:
    answer = ask("POST", "/echo", b"hello", "n-1")
    assert answer.status_code == 202
    assert answer.json() == {"got": "hello"}
    assert answer.headers["content-length"] == str(len(answer.content))
    signature = answer.headers[RESPONSE_SIGNATURE_HEADER]
    assert signature_holds("n-1", 202, answer.content, signature)
    assert not signature_holds("n-2", 202, answer.content, signature)


def test_a_body_sent_in_chunks_is_signed_whole() -> None:
    answer = ask("GET", "/chunks", nonce="n-3")
    assert answer.content == b"first,second,third"
    assert signature_holds("n-3", 200, answer.content, answer.headers[RESPONSE_SIGNATURE_HEADER])


def test_an_unsigned_request_gets_an_unsigned_answer() -> None:
    answer = ask("POST", "/echo", b"hi")
    assert answer.json() == {"got": "hi"}
    assert RESPONSE_SIGNATURE_HEADER not in answer.headers


def test_a_body_announced_beyond_the_limit_is_refused_with_a_signed_answer() -> None:
    answer = ask("POST", "/echo", b"x" * 11, "n-4")
    assert answer.status_code == 413
    assert answer.json() == {"detail": "request body too large"}
    assert signature_holds("n-4", 413, answer.content, answer.headers[RESPONSE_SIGNATURE_HEADER])
    assert ask("POST", "/echo", b"x" * 10).status_code == 202


async def fail(_: Request) -> Response:
    raise RuntimeError("a detail of the failure that must not leave the aggregator")


def test_a_failure_inside_the_application_is_answered_with_a_signed_500_naming_nothing() -> None:
    # As the aggregator layers it: Starlette's error layer outside, the signing layer inside.
    app = Starlette(
        routes=[Route("/fail", fail)],
        middleware=[Middleware(AnswerSigning, sign=KEY.sign, max_body_bytes=10)],
    )
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)

    async def request() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://aggregator") as client:
            return await client.get("/fail", headers={NONCE_HEADER: "n-5"})

    answer = asyncio.run(request())
    assert answer.status_code == 500
    assert answer.json() == {"detail": "the aggregator failed to answer"}
    assert signature_holds("n-5", 500, answer.content, answer.headers[RESPONSE_SIGNATURE_HEADER])
