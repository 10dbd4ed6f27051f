"""The unix-socket transport of the local API: newline-delimited JSON-RPC 2.0.

The listening socket is non-blocking and owned by the daemon's main loop (``accept_ready``
is called when the selector reports it readable); each connection is served by its own
short-lived thread, bounded by ``max_connections``. A client that sends garbage, too much,
nothing at all, or disappears mid-request only ever costs its own connection.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bmad import dirs
from bmad.daemon.rpc import (
    MESSAGE_TOO_LARGE,
    SERVER_BUSY,
    Method,
    encode,
    error_object,
    handle_message,
)

logger = logging.getLogger("bmad.daemon.server")
RECEIVE_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class ServerLimits:
    max_message_bytes: int = 4 * 1024 * 1024
    connection_timeout: float = 30.0
    max_connections: int = 32


class RpcServer:
    def __init__(self, path: Path, methods: Mapping[str, Method], limits: ServerLimits) -> None:
        self.path = path
        self.methods = methods
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._socket: socket.socket | None = None

    def bind(self) -> None:
        """Listen on ``path`` (a stale file there must have been removed by the caller)."""
        dirs.ensure_private_dir(self.path.parent)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous_umask = os.umask(0o177)  # the socket is born 0600, no window at 0755
        try:
            listener.bind(str(self.path))
        except OSError:
            listener.close()
            raise
        finally:
            os.umask(previous_umask)
        os.chmod(self.path, 0o600)
        listener.listen(64)
        listener.setblocking(False)
        self._socket = listener

    def fileno(self) -> int:
        assert self._socket is not None
        return self._socket.fileno()

    def accept_ready(self) -> None:
        assert self._socket is not None
        while True:
            try:
                connection, _ = self._socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                logger.warning("accept failed: %s", exc)
                return
            connection.setblocking(True)
            if not self._slots.acquire(blocking=False):
                self._refuse(connection)
                continue
            threading.Thread(
                target=self._serve, args=(connection,), name="bmad-api", daemon=True
            ).start()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            self.path.unlink(missing_ok=True)

    def _refuse(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(1.0)
            connection.sendall(encode(error_object(None, SERVER_BUSY, "server busy")))
        except OSError:
            pass
        finally:
            connection.close()

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(self.limits.connection_timeout)
            self._converse(connection)
        except (OSError, TimeoutError):
            pass  # the client went away or went quiet: its connection is simply dropped
        finally:
            connection.close()
            self._slots.release()

    def _converse(self, connection: socket.socket) -> None:
        limit = self.limits.max_message_bytes
        buffer = bytearray()
        while True:
            chunk = connection.recv(RECEIVE_CHUNK)
            if not chunk:
                return
            buffer += chunk
            while (end := buffer.find(b"\n")) >= 0:
                line = bytes(buffer[:end])
                del buffer[: end + 1]
                if len(line) > limit:
                    self._too_large(connection, limit)
                    return
                if not line.strip():
                    continue
                reply = handle_message(line, self.methods)
                if reply is not None:
                    connection.sendall(reply)
            if len(buffer) > limit:
                self._too_large(connection, limit)
                return

    def _too_large(self, connection: socket.socket, limit: int) -> None:
        message = f"message larger than {limit} bytes; closing the connection"
        connection.sendall(encode(error_object(None, MESSAGE_TOO_LARGE, message)))
