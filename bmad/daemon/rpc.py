"""JSON-RPC 2.0 message handling, independent of the transport.

``handle_message`` turns one received line into the line to send back (or None for a
notification); every failure becomes a JSON-RPC error object, never an exception.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from bmad.errors import BmadError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# Implementation-defined server errors (-32000 to -32099).
APPLICATION_ERROR = -32000
MESSAGE_TOO_LARGE = -32001
SERVER_BUSY = -32002

Params = dict[str, Any]
Method = Callable[[Params], Any]

logger = logging.getLogger("bmad.daemon.rpc")


class RpcFailure(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def invalid_params(message: str) -> RpcFailure:
    return RpcFailure(INVALID_PARAMS, f"invalid params: {message}")


def require(params: Params, name: str, kind: type) -> Any:
    """The parameter ``name``, which must be present and of type ``kind``."""
    if name not in params:
        raise invalid_params(f"missing {name!r}")
    value = params[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise invalid_params(f"{name!r} must be of type {kind.__name__}")
    return value


def optional(params: Params, name: str, kind: type, default: Any = None) -> Any:
    return require(params, name, kind) if params.get(name) is not None else default


def error_object(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def encode(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode() + b"\n"


def _valid_id(value: Any) -> bool:
    return value is None or (isinstance(value, str | int) and not isinstance(value, bool))


def _handle_one(message: Any, methods: Mapping[str, Method]) -> dict[str, Any] | None:
    if not isinstance(message, dict):
        return error_object(None, INVALID_REQUEST, "invalid request: not an object")
    request_id = message.get("id")
    if not _valid_id(request_id):
        return error_object(None, INVALID_REQUEST, "invalid request: bad id")
    if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        return error_object(request_id, INVALID_REQUEST, "invalid request")
    is_notification = "id" not in message
    name: str = message["method"]
    params = message.get("params", {})
    try:
        if not isinstance(params, dict):
            raise invalid_params("params must be an object")
        method = methods.get(name)
        if method is None:
            raise RpcFailure(METHOD_NOT_FOUND, f"method not found: {name}")
        result = method(params)
    except RpcFailure as failure:
        reply = error_object(request_id, failure.code, failure.message, failure.data)
    except BmadError as exc:
        reply = error_object(request_id, APPLICATION_ERROR, exc.message)
    except Exception:
        logger.exception("method %s failed", name)
        reply = error_object(request_id, INTERNAL_ERROR, "internal error")
    else:
        reply = {"jsonrpc": "2.0", "id": request_id, "result": result}
    return None if is_notification else reply


def handle_message(raw: bytes, methods: Mapping[str, Method]) -> bytes | None:
    """The reply line for one request line (single or batch), or None when none is due."""
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return encode(error_object(None, PARSE_ERROR, "parse error"))
    if isinstance(message, list):
        if not message:
            return encode(error_object(None, INVALID_REQUEST, "invalid request: empty batch"))
        replies = [reply for item in message if (reply := _handle_one(item, methods))]
        return encode(replies) if replies else None
    reply = _handle_one(message, methods)
    return encode(reply) if reply is not None else None
