"""[tool.bmad.hooks] settings, validated, plus the rule and scan settings the hook reuses.

The [rules] table stays raw here: whichever engine runs the comparison (the daemon, or this
process without one) validates it, so the hook's fast path never imports the rule modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from bmad.analysis.reference import ANOMALY_REFERENCES
from bmad.config import DEFAULTS, Config
from bmad.errors import BmadError
from bmad.hooks.request import CheckOptions

HOOK_DEFAULTS: dict[str, Any] = DEFAULTS["hooks"]


class HookSettings(NamedTuple):
    strict: bool = False
    use_daemon: bool = True
    daemon_timeout: float = 2.0
    daemon_socket: str = ""
    max_file_size: int = 1024 * 1024
    daemon_message_limit: int = 4 * 1024 * 1024  # the daemon's [daemon] max_message_bytes
    check: CheckOptions = CheckOptions()

    @property
    def socket_path(self) -> Path | None:
        return Path(self.daemon_socket).expanduser() if self.daemon_socket else None


def _flag(table: Mapping[str, Any], key: str) -> bool:
    value = table[key]
    if not isinstance(value, bool):
        raise BmadError(f"[hooks] {key} must be true or false, got {value!r}")
    return value


def _number(table: Mapping[str, Any], key: str, low: float, high: float) -> float:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low < value <= high:
        raise BmadError(f"[hooks] {key} must be a number in ({low}, {high}], got {value!r}")
    return float(value)


def _message_limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BmadError(f"[daemon] max_message_bytes must be a positive integer, got {value!r}")
    return value


def hook_settings(config: Config) -> HookSettings:
    table = {**HOOK_DEFAULTS, **config.section("hooks")}
    unknown = sorted(set(table) - set(HOOK_DEFAULTS))
    if unknown:
        raise BmadError(f"[hooks] unknown setting(s): {', '.join(unknown)}")
    socket = table["daemon_socket"]
    if not isinstance(socket, str):
        raise BmadError(f"[hooks] daemon_socket must be a path string, got {socket!r}")
    exclude = config.section("analysis").get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(item, str) for item in exclude):
        raise BmadError(f"[analysis] exclude must be a list of strings, got {exclude!r}")
    anomaly_reference = config.section("analysis").get("anomaly_reference", "auto")
    if anomaly_reference not in ANOMALY_REFERENCES:
        raise BmadError(
            f"[analysis] anomaly_reference must be one of {', '.join(ANOMALY_REFERENCES)}, "
            f"got {anomaly_reference!r}"
        )
    max_file_size = config.section("scan").get("max_file_size")
    if isinstance(max_file_size, bool) or not isinstance(max_file_size, int) or max_file_size < 1:
        raise BmadError(f"[scan] max_file_size must be a positive integer, got {max_file_size!r}")
    return HookSettings(
        strict=_flag(table, "strict"),
        use_daemon=_flag(table, "use_daemon"),
        daemon_timeout=_number(table, "daemon_timeout", 0.0, 60.0),
        daemon_socket=socket,
        max_file_size=max_file_size,
        daemon_message_limit=_message_limit(config.section("daemon").get("max_message_bytes")),
        check=CheckOptions(
            rules=config.section("rules"),
            exclude=tuple(exclude),
            rename_similarity=_number(table, "rename_similarity", 0.0, 1.0),
            anomaly_reference=anomaly_reference,
        ),
    )
