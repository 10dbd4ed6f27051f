"""The dashboard's HTTP server: 127.0.0.1 only, one random token required on every request.

The token travels in the query string of every URL the pages link to; a request without it
(or with another) gets 403 and no content. It is compared in constant time and never logged:
the request log keeps only the method, the path and the status. The Host header must name
the loopback address, so that a web page that rebinds its own name to 127.0.0.1 cannot read
the dashboard even with the token. Every asset is a file inside this package.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from bmad.dashboard.code_pages import distributions_page, file_page, findings_page, map_page
from bmad.dashboard.layout import Links
from bmad.dashboard.model import DashboardData
from bmad.dashboard.privacy_pages import federation_page, privacy_page
from bmad.dashboard.structure_pages import architecture_page, trends_page

LOOPBACK = "127.0.0.1"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
ANALYSING = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    b'<meta http-equiv="refresh" content="2"><title>analysing \xc2\xb7 bmad</title></head>'
    b"<body><p>bmad is still analysing this repository; this page reloads by itself.</p>"
    b"</body></html>"
)
logger = logging.getLogger(__name__)

Query = Mapping[str, str]
Page = Callable[[DashboardData, Links, Query], "str | None"]  # None: not found

PAGES: dict[str, Page] = {
    "/": lambda data, links, query: map_page(
        data, links, query.get("colour", "risk"), query.get("folder", "")
    ),
    "/file": lambda data, links, query: file_page(data, links, query.get("path", "")),
    "/findings": lambda data, links, query: findings_page(
        data, links, query.get("rule", ""), query.get("path", "")
    ),
    "/distributions": lambda data, links, _query: distributions_page(data, links),
    "/trends": lambda data, links, _query: trends_page(data, links),
    "/architecture": lambda data, links, _query: architecture_page(data, links),
    "/privacy": lambda data, links, _query: privacy_page(data, links),
    "/federation": lambda data, links, _query: federation_page(data, links),
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def static_asset(name: str) -> bytes | None:
    """A file shipped in ``bmad/dashboard/static`` (names only, no folders)."""
    if "/" in name or name.startswith(".") or not any(name.endswith(s) for s in STATIC_TYPES):
        return None
    asset = resources.files("bmad.dashboard").joinpath("static", name)
    return asset.read_bytes() if asset.is_file() else None


class DashboardServer(ThreadingHTTPServer):
    # Not daemon threads: server_close() joins every connection's thread, so a stopped
    # dashboard leaves none behind (each ends within the handler's idle timeout).
    daemon_threads = False

    def __init__(self, data: DashboardData | None, token: str, port: int = 0) -> None:
        self.data = data  # None until gathered: pages answer 503 meanwhile
        self.token = token
        self.links = Links(token)
        super().__init__((LOOPBACK, port), DashboardHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{self.links.to('/')}"

    def allowed_hosts(self) -> frozenset[str]:
        return frozenset({f"{LOOPBACK}:{self.port}", f"localhost:{self.port}"})


class DashboardHandler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "bmad-dashboard"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 5  # seconds a kept-alive connection may stay idle before its thread ends

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        supplied = query.pop("token", "").encode()
        if not hmac.compare_digest(supplied, self.server.token.encode()):
            self._send(HTTPStatus.FORBIDDEN, b"403: this dashboard needs its token\n", "text/plain")
            return
        if self.headers.get("Host", "") not in self.server.allowed_hosts():
            self._send(HTTPStatus.FORBIDDEN, b"403: unexpected Host header\n", "text/plain")
            return
        if parts.path.startswith("/static/"):
            name = parts.path.removeprefix("/static/")
            asset = static_asset(name)
            if asset is None:
                self._send(HTTPStatus.NOT_FOUND, b"404: no such asset\n", "text/plain")
            else:
                self._send(HTTPStatus.OK, asset, STATIC_TYPES["." + name.rpartition(".")[2]])
            return
        data = self.server.data
        if data is None:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, ANALYSING, "text/html; charset=utf-8")
            return
        render = PAGES.get(parts.path)
        html = None if render is None else render(data, self.server.links, query)
        if html is None:
            self._send(HTTPStatus.NOT_FOUND, b"404: no such page\n", "text/plain")
            return
        self._send(HTTPStatus.OK, html.encode(), "text/html; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A request refused while its first line is parsed has no method or path yet.
        path = urlsplit(getattr(self, "path", "")).path or "-"
        logger.info("%s %s %s", self.command or "-", path, code)

    def log_message(self, format: str, *args: object) -> None:
        # Errors may quote the request line, which holds the token.
        logger.warning("%s", (format % args).replace(self.server.token, "[token]"))
