"""Client of the daemon's local API: newline-delimited JSON-RPC 2.0 over a unix socket.

Standard library only (plus bmad's tiny error and path modules), so git hooks and CLI fast
paths can ask the daemon without importing anything heavy.
"""

from __future__ import annotations

import json
import socket
from itertools import count
from pathlib import Path
from types import TracebackType
from typing import Any

from bmad.errors import BmadError

DEFAULT_TIMEOUT = 5.0
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class DaemonUnavailable(BmadError):
    """No daemon answers on the socket (not started, stopped, or crashed)."""


class RpcError(BmadError):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"daemon error {code}: {message}")
        self.code = code
        self.rpc_message = message
        self.data = data


def default_socket_path() -> Path:
    from bmad.daemon.paths import socket_path

    return socket_path()


class DaemonClient:
    """One connection to the daemon; reuse it for several calls."""

    def __init__(self, path: Path | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path or default_socket_path()
        self.timeout = timeout
        self._ids = count(1)
        self._socket: socket.socket | None = None
        self._buffer = b""

    def connect(self) -> DaemonClient:
        if self._socket is not None:
            return self
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except OSError as exc:
            sock.close()
            raise DaemonUnavailable(f"the bmad daemon is not running ({exc.strerror})") from exc
        self._socket = sock
        return self

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> DaemonClient:
        return self.connect()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send one request and return its result; raises :class:`RpcError` on an error reply."""
        self.connect()
        assert self._socket is not None
        request_id = next(self._ids)
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        try:
            self._socket.sendall(json.dumps(request).encode() + b"\n")
            line = self._read_line()
        except OSError as exc:
            self.close()
            raise DaemonUnavailable(f"lost the connection to the bmad daemon ({exc})") from exc
        reply = json.loads(line)
        if "error" in reply:
            error = reply["error"]
            raise RpcError(int(error["code"]), str(error["message"]), error.get("data"))
        return reply["result"]

    def _read_line(self) -> bytes:
        assert self._socket is not None
        while b"\n" not in self._buffer:
            chunk = self._socket.recv(65536)
            if not chunk:
                raise ConnectionResetError("the daemon closed the connection")
            self._buffer += chunk
            if len(self._buffer) > MAX_RESPONSE_BYTES:
                raise ConnectionError("oversized reply from the daemon")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line


def call(
    method: str,
    params: dict[str, Any] | None = None,
    path: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Any:
    """One request on a fresh connection."""
    with DaemonClient(path, timeout) as client:
        return client.call(method, params)


def is_running(path: Path | None = None) -> bool:
    try:
        call("status", path=path, timeout=1.0)
    except DaemonUnavailable:
        return False
    return True
