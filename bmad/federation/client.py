"""The participant's HTTP client for the aggregator: every request signed, errors as BmadError.

Plain HTTP is refused for any aggregator beyond this machine (enrolment tokens and the round's
traffic would cross the network in clear). Every request names the aggregator's key (pinned at
join, or read from ``/v1/health`` on first contact) and every answer must carry the
aggregator's signature of it (``bmad.federation.signing``).

httpx is imported lazily (it is part of the ``aggregator`` extra). The transport can be swapped
(a unix socket, or an in-process ASGI app) by passing one to :class:`AggregatorClient`.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from bmad.errors import BmadError
from bmad.federation.signing import (
    NONCE_HEADER,
    RESPONSE_SIGNATURE_HEADER,
    decode_key,
    response_text,
    sign_request,
)

if TYPE_CHECKING:
    import httpx

    from bmad.privacy.identity import Identity


# Seconds between asking again while the aggregator answers 503 (its database was busy).
BUSY_PAUSES = (0.5, 1.0, 2.0, 4.0)


class AggregatorError(BmadError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ImpostorAnswer(BmadError):
    """An answer not signed by the aggregator's pinned key: someone else answered."""


def describe_refusal(detail: Any) -> str:
    """The aggregator's reason, as text. A validation error (422) lists each refused field
    with what was wrong, never the value sent: that value may be an enrolment token."""
    if not isinstance(detail, list):
        return str(detail)
    problems = []
    for item in detail:
        if not isinstance(item, dict):
            continue
        where = [str(part) for part in item.get("loc", ()) if part not in ("body", "path", "query")]
        problems.append(f"{'.'.join(where) or 'request'}: {item.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request"


def require_tls_beyond_loopback(url: str) -> None:
    """Refuse plain HTTP to any host but this machine's loopback."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if parts.scheme != "http" or not loopback:
        raise BmadError(
            f"refusing plain HTTP to the aggregator at {url}: beyond this machine an aggregator "
            "must be reached over TLS (https://; serve it with --ssl-certfile and --ssl-keyfile, "
            "and give members its CA with [federation] tls_verify)"
        )


def _check_answer(aggregator_key: bytes, nonce: str, response: httpx.Response) -> None:
    import base64
    import binascii

    from bmad.federation.secagg.primitives import verify

    try:
        signature = base64.urlsafe_b64decode(response.headers[RESPONSE_SIGNATURE_HEADER])
    except (KeyError, binascii.Error, ValueError):
        signature = b""  # unsigned or garbled: verifies as nothing
    if not verify(
        aggregator_key, response_text(nonce, response.status_code, response.content), signature
    ):
        raise ImpostorAnswer(
            "the aggregator's answer is not signed by its key: refused (a proxy or another "
            "server answered in its place)"
        )


class AggregatorClient:
    def __init__(
        self,
        base_url: str,
        identity: Identity,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        verify: bool | str = True,
        aggregator_key: bytes | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError:
            raise BmadError(
                "talking to an aggregator needs httpx: pip install 'bmad[aggregator]'"
            ) from None
        require_tls_beyond_loopback(base_url)
        self.base_url = base_url.rstrip("/")
        self._aggregator_key = aggregator_key
        self.identity = identity
        self.public_key = identity.public.signing_public
        if isinstance(verify, str):  # a CA bundle, e.g. a self-signed aggregator's certificate
            import ssl

            tls: bool | ssl.SSLContext = ssl.create_default_context(cafile=verify)
        else:
            tls = verify
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, verify=tls
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AggregatorClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        import httpx

        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        target = path
        if query:
            target += "?" + str(httpx.QueryParams(query))
        aggregator_key = self.aggregator_key
        for pause in (*BUSY_PAUSES, None):
            nonce, response = self._exchange(method, target, content, body is not None)
            _check_answer(aggregator_key, nonce, response)
            if response.status_code != 503 or pause is None:
                break
            time.sleep(pause)  # its database was busy and nothing was written: ask again
        if response.status_code >= 400:
            try:
                detail = describe_refusal(response.json().get("detail", response.text))
            except ValueError:
                detail = response.text
            raise AggregatorError(
                f"aggregator refused {method} {path}: {response.status_code} {detail}",
                response.status_code,
            )
        return response.json()

    def _exchange(
        self, method: str, target: str, content: bytes, is_json: bool
    ) -> tuple[str, httpx.Response]:
        """One signed request and its answer (not checked yet), with its nonce."""
        import httpx

        def send() -> tuple[str, httpx.Response]:
            headers = sign_request(
                self.identity, self.public_key, self.aggregator_key, method, target, content
            )
            if is_json:
                headers["content-type"] = "application/json"
            response = self._http.request(method, target, content=content, headers=headers)
            return headers[NONCE_HEADER], response

        try:
            try:
                return send()
            except (httpx.RemoteProtocolError, httpx.ReadError):
                # a kept-alive connection the server closed just then: once more, freshly signed
                # (a repeated phase message is refused by the server, never counted twice)
                return send()
        except httpx.ConnectError:
            raise BmadError(
                f"cannot reach the aggregator at {self.base_url}: nothing answers there. "
                "Start one with `bmad aggregator serve`, or name another with --aggregator URL"
            ) from None
        except httpx.HTTPError as exc:
            raise BmadError(
                f"cannot reach the aggregator at {self.base_url}: {exc.__class__.__name__}"
            ) from None

    @property
    def aggregator_key(self) -> bytes:
        """The aggregator's key: the pinned one, else the one it states on first contact."""
        if self._aggregator_key is None:
            import httpx

            try:
                stated = self._http.get("/v1/health").json()["aggregator_key"]
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                raise BmadError(
                    f"cannot reach the aggregator at {self.base_url}: {exc.__class__.__name__}. "
                    "Start one with `bmad aggregator serve`, or name another with --aggregator URL"
                ) from None
            self._aggregator_key = decode_key(str(stated))
        return self._aggregator_key

    # -- federations -----------------------------------------------------------------------

    def create_federation(
        self,
        federation: str,
        organisation: str,
        participants: list[str],
        privacy_level: str,
        governance: dict[str, Any],
        *,
        rules_signature: str,
        certificate: dict[str, Any],
        admission: str,
    ) -> dict[str, Any]:
        body = {
            "federation": federation,
            "organisation": organisation,
            "participants": participants,
            "privacy_level": privacy_level,
            "governance": governance,
            "rules_signature": rules_signature,
            "certificate": certificate,
            "admission": admission,
        }
        result: dict[str, Any] = self.request("POST", "/v1/federations", body)
        return result

    def join(
        self, federation: str, organisation: str, token: str, certificate: dict[str, Any]
    ) -> dict[str, Any]:
        body = {"organisation": organisation, "token": token, "certificate": certificate}
        result: dict[str, Any] = self.request("POST", f"/v1/federations/{federation}/join", body)
        return result

    def admit(self, federation: str, organisation: str, signature: str) -> dict[str, Any]:
        body = {"organisation": organisation, "signature": signature}
        result: dict[str, Any] = self.request(
            "POST", f"/v1/federations/{federation}/admissions", body
        )
        return result

    def issue_token(self, federation: str, organisation: str, role: str) -> dict[str, Any]:
        body = {"organisation": organisation, "role": role}
        result: dict[str, Any] = self.request("POST", f"/v1/federations/{federation}/tokens", body)
        return result

    def status(self, federation: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", f"/v1/federations/{federation}")
        return result

    def insights(self, federation: str, learning_type: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, str] = {} if learning_type is None else {"learning_type": learning_type}
        result: list[dict[str, Any]] = self.request(
            "GET", f"/v1/federations/{federation}/insights", query=query
        )
        return result

    # -- rounds ----------------------------------------------------------------------------

    def open_round(self, federation: str, learning_type: str, **options: Any) -> dict[str, Any]:
        """Open a round with its manifest, signed by this machine (members check it)."""
        from bmad.federation.consortium.manifest import signed_manifest

        manifest = signed_manifest(
            self.identity, self.public_key, federation, learning_type, options
        )
        body = {"learning_type": learning_type, **options, "manifest": manifest}
        result: dict[str, Any] = self.request("POST", f"/v1/federations/{federation}/rounds", body)
        return result

    def rounds(self, federation: str, state: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, str] = {} if state is None else {"state": state}
        result: list[dict[str, Any]] = self.request(
            "GET", f"/v1/federations/{federation}/rounds", query=query
        )
        return result

    def round(self, round_id: str, since: int | None = None, wait: float = 0.0) -> dict[str, Any]:
        """The round; with ``since`` (a ``changes`` value), wait up to ``wait`` s for news."""
        query = {} if since is None else {"since": str(since), "wait": f"{wait:g}"}
        result: dict[str, Any] = self.request("GET", f"/v1/rounds/{round_id}", query=query)
        return result

    def enrol(self, round_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"/v1/rounds/{round_id}/enrol")
        return result

    def close_enrolment(self, round_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"/v1/rounds/{round_id}/close-enrolment")
        return result

    def submit(self, round_id: str, phase: str, message: str) -> None:
        self.request("POST", f"/v1/rounds/{round_id}/messages/{phase}", {"message": message})
