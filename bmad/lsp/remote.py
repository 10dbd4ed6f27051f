"""What the language server asks of the daemon, when one runs (standard library client)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bmad.analysis.context import file_level
from bmad.analysis.findings import Finding


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
