"""What the language server asks of the daemon, when one runs (standard library client)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.analysis.context import file_level
from bmad.analysis.findings import Finding

if TYPE_CHECKING:
    from bmad.analysis.buffer import BufferReport

DAEMON_ANALYSIS_TIMEOUT = 30.0


def findings_from_daemon(file_path: Path, socket: Path | None) -> list[Finding] | None:
    """File-level findings through the daemon; None when no daemon answers or it does not
    know the file (not in a registered repository)."""
    from bmad.daemon.client import DaemonClient, DaemonUnavailable, RpcError

    try:
        with DaemonClient(socket, timeout=2.0) as client:
            report: dict[str, Any] = client.call("file_report", {"path": str(file_path)})
    except (DaemonUnavailable, RpcError):
        return None
    return file_level([Finding.from_dict(item) for item in report.get("findings") or ()])


def report_from_daemon(
    file_path: Path,
    language: str,
    text: str,
    rules: dict[str, Any],
    socket: Path | None,
) -> tuple[BufferReport | None, bool]:
    """The daemon's analysis of the buffer, and whether the file is in a repository the
    daemon knows; (None, True) when no daemon answers or it could not analyse the buffer.
    The first buffer of a repository waits for its context (a model fit): a long timeout."""
    from bmad.analysis.buffer import BufferReport
    from bmad.daemon.client import DaemonClient, DaemonUnavailable, RpcError

    params = {"path": str(file_path), "text": text, "language": language, "rules": rules}
    try:
        with DaemonClient(socket, timeout=DAEMON_ANALYSIS_TIMEOUT) as client:
            answer: dict[str, Any] = client.call("analyze_buffer", params)
    except (DaemonUnavailable, RpcError):
        return None, True
    if answer.get("repository") is None:
        return None, False
    try:
        return BufferReport.from_dict(answer), True
    except (KeyError, TypeError, ValueError):  # a daemon of another version
        return None, True
