"""The hook's side of the daemon's ``check_staged``: send the staged change, take the report.

Imported by ``bmad hook pre-commit`` on every commit: the standard library, the daemon's
socket client and the request's plain dataclasses only.
"""

from __future__ import annotations

import json
from typing import Any

from bmad.daemon.client import DaemonClient, DaemonUnavailable, RpcError
from bmad.hooks.request import CheckRequest
from bmad.hooks.settings import HookSettings

DAEMON_METHOD = "check_staged"
REPORT_KEYS = frozenset({"regressions", "checked", "skipped", "engine", "baseline"})


def ask_daemon(request: CheckRequest, settings: HookSettings) -> dict[str, Any] | None:
    """The daemon's report, or None when it cannot give one (not running, gone mid-way, too
    old to know the method, or the request exceeds its message limit): then this process
    checks, and says so by its engine name."""
    params = request.to_params()
    try:
        json.dumps(params["rules"])
    except (TypeError, ValueError):  # a [rules] value JSON cannot carry: rejected in-process
        return None
    # base64 dominates the message; files and paths ride well within the margin
    size = sum(len(blob["data"]) + len(blob["path"]) + 128 for blob in params["blobs"])
    if size + 64 * 1024 > settings.daemon_message_limit:
        return None
    try:
        with DaemonClient(settings.socket_path, settings.daemon_timeout) as client:
            document = client.call(DAEMON_METHOD, params)
    except (DaemonUnavailable, RpcError, ValueError, KeyError):  # ValueError: not JSON
        return None
    if not isinstance(document, dict) or not document.keys() >= REPORT_KEYS:
        return None
    return document
