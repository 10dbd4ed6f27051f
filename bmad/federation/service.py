"""Run the aggregator: uvicorn serving the FastAPI app on a socket bound here.

Binding the socket ourselves lets ``--port 0`` pick a free port and report it: the first line
on stdout is ``listening on URL`` once the service accepts requests. With ``workers`` > 1,
uvicorn's supervisor starts that many processes that accept on the one socket; they share the
database (round state included), so any of them serves any request.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.errors import BmadError

if TYPE_CHECKING:
    from fastapi import FastAPI
    from uvicorn import Config

# How the supervisor tells its worker processes what to serve (they import worker_app).
DATABASE_VARIABLE = "BMAD_AGGREGATOR_DATABASE"
MAX_SKEW_VARIABLE = "BMAD_AGGREGATOR_MAX_SKEW"
WORKER_START_SECONDS = 60.0


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


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: any free port) for uvicorn to listen on."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
        # without it each answer (headers, then body) waited ~40 ms for a delayed ACK.
        listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        raise BmadError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return listener


def worker_app() -> FastAPI:
    """The app of one worker process started by uvicorn's supervisor."""
    from bmad.federation.app import create_app
    from bmad.federation.sessions import ServerGroupSession

    return create_app(
        os.environ[DATABASE_VARIABLE], ServerGroupSession, float(os.environ[MAX_SKEW_VARIABLE])
    )


def serve(
    database: Path | str,
    host: str,
    port: int,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    max_skew: float = 300.0,
    workers: int = 1,
) -> None:
    """Serve on ``database`` (an SQLite path, ``sqlite:///PATH`` or ``postgresql://...``) until
    interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise BmadError("the aggregator needs its extra: pip install 'bmad[aggregator]'") from None
    from bmad.federation.app import create_app
    from bmad.federation.server_store import open_aggregator_store, signing_key
    from bmad.federation.sessions import ServerGroupSession

    if (certfile is None) != (keyfile is None):
        raise BmadError("--ssl-certfile and --ssl-keyfile go together")
    if isinstance(database, Path):
        database = f"sqlite:///{database}"
    # Migrations and the aggregator's key are made once, before any worker starts.
    store = open_aggregator_store(database)
    try:
        signing_key(store)
    finally:
        store.close()
    app = create_app(database, ServerGroupSession, max_skew) if workers == 1 else None
    listener = bound_socket(host, port)
    bound_port = listener.getsockname()[1]
    warning = plaintext_warning(host, certfile is not None)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    if app is None:
        os.environ[DATABASE_VARIABLE] = database
        os.environ[MAX_SKEW_VARIABLE] = repr(max_skew)
    config = uvicorn.Config(
        app or f"{__name__}:worker_app",
        factory=app is None,
        workers=workers,
        log_level="warning",
        access_log=False,
        ssl_certfile=None if certfile is None else str(certfile),
        ssl_keyfile=None if keyfile is None else str(keyfile),
        timeout_graceful_shutdown=5,
        timeout_keep_alive=30,  # participants poll every few seconds on one connection
    )
    scheme = "https" if certfile is not None else "http"
    shown_host = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{shown_host}:{bound_port}"
    try:
        if workers == 1:
            _serve_in_this_process(config, listener, url)
        else:
            _supervise_workers(config, listener, url)
    finally:
        listener.close()


def _serve_in_this_process(config: Config, listener: socket.socket, url: str) -> None:
    from uvicorn import Server

    server = Server(config)
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        print(f"listening on {url}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=[listener])
    if not server.started:
        sys.exit(2)


def _supervise_workers(config: Config, listener: socket.socket, url: str) -> None:
    """Start the worker processes, say where they listen once all serve, and keep them up."""
    from uvicorn.supervisors.multiprocess import Multiprocess, Process

    supervisor = Multiprocess(config, sockets=[listener])
    supervisor.processes = [Process(config, [listener]) for _ in range(config.workers)]
    for process in supervisor.processes:
        process.start()
    ready = all(
        process.wait_until_ready(WORKER_START_SECONDS, supervisor.should_exit)
        for process in supervisor.processes
    )
    if ready:
        print(f"listening on {url}", flush=True)
        while not supervisor.should_exit.wait(0.5):
            supervisor.handle_signals()
            supervisor.keep_subprocess_alive()
    supervisor.terminate_all()
    supervisor.join_all()
    if not ready:
        sys.exit(2)
