"""Run the aggregator: uvicorn serving the FastAPI app on a socket bound here.

Binding the socket ourselves lets ``--port 0`` pick a free port and report it: the first line
on stdout is ``listening on URL`` once the service accepts requests.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path

from bmad.errors import BmadError


def plaintext_warning(host: str, tls: bool) -> str | None:
    """A warning for plain HTTP served beyond this machine: enrolment tokens would cross the
    network in clear (requests are signed, but a token is a bearer secret)."""
    if tls:
        return None
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return None
    return (
        f"bmad: warning: serving plain HTTP on {host}: enrolment tokens cross the network in "
        "clear; serve with --ssl-certfile and --ssl-keyfile"
    )


def serve(
    db_path: Path,
    host: str,
    port: int,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    max_skew: float = 300.0,
) -> None:
    try:
        import uvicorn
    except ImportError:
        raise BmadError("the aggregator needs its extra: pip install 'bmad[aggregator]'") from None
    from bmad.federation.app import create_app
    from bmad.federation.sessions import ServerGroupSession

    if (certfile is None) != (keyfile is None):
        raise BmadError("--ssl-certfile and --ssl-keyfile go together")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(db_path, ServerGroupSession, max_skew)
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        raise BmadError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_port = listener.getsockname()[1]
    warning = plaintext_warning(host, certfile is not None)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        ssl_certfile=None if certfile is None else str(certfile),
        ssl_keyfile=None if keyfile is None else str(keyfile),
        timeout_graceful_shutdown=5,
        timeout_keep_alive=30,  # participants poll every few seconds on one connection
    )
    server = uvicorn.Server(config)
    scheme = "https" if certfile is not None else "http"
    shown_host = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{shown_host}:{bound_port}"

    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        print(f"listening on {url}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run(sockets=[listener])
    finally:
        listener.close()
    if not server.started:
        sys.exit(2)
