"""The dashboard's HTTP edge, over a real socket on 127.0.0.1: the token, the Host check,
assets from the package, security headers, and logs without the token."""

from __future__ import annotations

import http.client
import logging
import socket
import urllib.error
import urllib.request

import pytest
from dashboard.conftest import Live

PAGES = ("/", "/findings", "/distributions", "/trends", "/architecture", "/privacy", "/federation")


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_it_listens_on_the_loopback_address_only(live: Live) -> None:
    assert live.server.server_address[0] == "127.0.0.1"


@pytest.mark.parametrize("route", [*PAGES, "/file", "/static/dashboard.css"])
def test_every_route_refuses_a_request_without_the_token_or_with_another(
    live: Live, route: str
) -> None:
    for url in (
        f"{live.base}{route}",
        f"{live.base}{route}?token=",
        f"{live.base}{route}?token={live.server.token[:-1]}x",
        f"{live.base}{route}?path=app/core/tangled.py",
    ):
        status, _headers, body = fetch(url)
        assert status == 403, url
        assert b"tangled" not in body and b"<svg" not in body and b"body {" not in body


def test_pages_answer_with_the_token_and_forbid_scripts_and_framing(live: Live) -> None:
    for route in PAGES:
        status, headers, body = fetch(live.url(route))
        assert status == 200, route
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src" not in policy  # no script may run at all
        assert headers["Referrer-Policy"] == "no-referrer"
        assert b"<script" not in body


def test_no_page_links_to_another_host(live: Live) -> None:
    for route in PAGES:
        _status, _headers, body = fetch(live.url(route))
        text = body.decode()
        for marker in ('src="http', 'href="http', "url(http", 'href="//', 'src="//'):
            assert marker not in text, (route, marker)


def test_a_foreign_host_header_is_refused_even_with_the_token(live: Live) -> None:
    """A page whose own name was rebound to 127.0.0.1 sends its name as the Host."""
    status, _headers, body = fetch(live.url("/"), {"Host": f"attacker.example:{live.server.port}"})
    assert status == 403
    assert b"<svg" not in body
    assert fetch(live.url("/"), {"Host": f"localhost:{live.server.port}"})[0] == 200


def test_assets_come_from_the_package_and_nothing_else_is_served(live: Live) -> None:
    status, headers, body = fetch(live.url("/static/dashboard.css"))
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert b".heat6" in body
    assert fetch(live.url("/static/favicon.svg"))[0] == 200
    for name in ("../server.py", "..%2Fserver.py", "server.py", ".hidden.css", "missing.css"):
        assert fetch(live.url(f"/static/{name}"))[0] == 404, name
    assert fetch(live.url("/no-such-page"))[0] == 404
    assert fetch(live.url("/file", path="no/such/file.py"))[0] == 404


def test_the_token_never_reaches_the_log(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    token = live.server.token
    with caplog.at_level(logging.DEBUG, logger="bmad.dashboard.server"):
        assert fetch(live.url("/findings", rule="deep-nesting"))[0] == 200
        assert fetch(f"{live.base}/?token=wrong")[0] == 403
        # A malformed request line: the server's error message quotes it, token and all.
        with socket.create_connection(("127.0.0.1", live.server.port), timeout=5) as raw:
            raw.sendall(f"GET /?token={token} extra HTTP/1.1\r\n\r\n".encode())
            assert b"400" in raw.recv(1024)
        connection = http.client.HTTPConnection("127.0.0.1", live.server.port, timeout=5)
        connection.request("POST", f"/?token={token}")
        assert connection.getresponse().status == 501
        connection.close()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /findings 200" in logged
    assert "[token]" in logged  # the malformed line was logged, redacted
    assert token not in logged
