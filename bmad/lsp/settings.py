"""Editor settings: the client's ``bmad`` section over the ``[lsp]`` defaults, validated.

The client sends camelCase keys (VS Code style)::

    {"enabled": true, "codeLens": true, "debounceMs": 300, "maxFileBytes": 1048576,
     "daemon": {"enabled": true, "socket": "", "analyse": false},
     "rules": {"enabled": [], "disabled": [], "severity": {}, "thresholds": {}}}

``daemon.analyse`` has buffers analysed by the daemon (for repositories it mines) instead of
in this process: far less memory per editor, but slower while the daemon runs at low priority.
Each invalid value is reported and replaced by its default; the others still apply. An empty
list stands for an empty object: Neovim sends an empty Lua table ``{}`` as ``[]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bmad.config import DEFAULTS

LSP_DEFAULTS: dict[str, Any] = DEFAULTS["lsp"]
RULE_THRESHOLDS = tuple(key for key in DEFAULTS["rules"] if key not in ("disabled", "severity"))


@dataclass(frozen=True, slots=True)
class RuleOverrides:
    """Rule settings from the editor, laid over the repository's ``[rules]``."""

    enabled: frozenset[str] = frozenset()  # empty: every rule
    disabled: frozenset[str] = frozenset()
    severity: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)

    def apply(self, rules: Mapping[str, Any]) -> dict[str, Any]:
        """The ``[rules]`` table with these overrides (still to be validated by analysis)."""
        from bmad.analysis.rule_catalogue import RULES

        merged = dict(rules)
        merged.update(self.thresholds)
        disabled = set(merged.get("disabled", [])) | self.disabled
        if self.enabled:
            disabled |= set(RULES) - self.enabled
        merged["disabled"] = sorted(disabled)
        merged["severity"] = {**dict(merged.get("severity", {})), **self.severity}
        return merged


@dataclass(frozen=True, slots=True)
class LspSettings:
    enabled: bool = bool(LSP_DEFAULTS["enabled"])
    code_lens: bool = bool(LSP_DEFAULTS["code_lens"])
    debounce_ms: int = int(LSP_DEFAULTS["debounce_ms"])
    max_file_bytes: int = int(LSP_DEFAULTS["max_file_bytes"])
    use_daemon: bool = bool(LSP_DEFAULTS["use_daemon"])
    daemon_socket: str = str(LSP_DEFAULTS["daemon_socket"])
    daemon_analysis: bool = False
    rules: RuleOverrides = field(default_factory=RuleOverrides)


def _object(value: Any) -> Mapping[str, Any] | None:
    """``value`` as an object: a mapping, or an empty list (an empty Lua table), else None."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list) and not value:
        return {}
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any, minimum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return None
    return value


def _string_list(value: Any) -> frozenset[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    return None


class _Reader:
    """Reads one key at a time; a bad value becomes a problem and the default stays."""

    def __init__(self, raw: Mapping[str, Any], prefix: str) -> None:
        self.raw = raw
        self.prefix = prefix
        self.problems: list[str] = []

    def take(self, key: str, convert: Any, expected: str, default: Any) -> Any:
        if key not in self.raw or self.raw[key] is None:
            return default
        value = convert(self.raw[key])
        if value is None:
            self.problems.append(f"{self.prefix}{key} must be {expected}, got {self.raw[key]!r}")
            return default
        return value

    def table(self, key: str) -> Mapping[str, Any]:
        value = self.raw.get(key)
        if value is None:
            return {}
        table = _object(value)
        if table is None:
            self.problems.append(f"{self.prefix}{key} must be an object, got {value!r}")
            return {}
        return table


def _rule_overrides(raw: Mapping[str, Any], problems: list[str]) -> RuleOverrides:
    from bmad.analysis.findings import SEVERITIES
    from bmad.analysis.rule_catalogue import RULES

    reader = _Reader(raw, "rules.")
    ids = "a list of rule ids"
    enabled = reader.take("enabled", _string_list, ids, frozenset())
    disabled = reader.take("disabled", _string_list, ids, frozenset())
    for name, chosen in (("enabled", enabled), ("disabled", disabled)):
        unknown = sorted(chosen - set(RULES))
        if unknown:
            problems.append(f"rules.{name}: unknown rule id(s) {', '.join(unknown)}")
    enabled = frozenset(enabled & set(RULES))
    disabled = frozenset(disabled & set(RULES))
    severity: dict[str, str] = {}
    for rule_id, level in reader.table("severity").items():
        if rule_id not in RULES or level not in SEVERITIES:
            problems.append(
                f"rules.severity.{rule_id} must name a known rule and one of "
                f"{', '.join(SEVERITIES)}, got {level!r}"
            )
        else:
            severity[rule_id] = level
    thresholds: dict[str, Any] = {}
    for key, value in reader.table("thresholds").items():
        default = DEFAULTS["rules"].get(key)
        if key not in RULE_THRESHOLDS:
            problems.append(f"rules.thresholds.{key} is not a rule threshold")
        elif isinstance(default, int) and _int(value, 1) is None:
            problems.append(f"rules.thresholds.{key} must be an integer >= 1, got {value!r}")
        elif isinstance(default, float) and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1
        ):
            problems.append(f"rules.thresholds.{key} must be a number in (0, 1], got {value!r}")
        else:
            thresholds[key] = value
    problems += reader.problems
    return RuleOverrides(enabled, disabled, severity, thresholds)


def parse_settings(
    raw: Any, base: Mapping[str, Any] | None = None
) -> tuple[LspSettings, list[str]]:
    """Settings from the client's object over ``base`` (the ``[lsp]`` section), and problems."""
    base_settings = {**LSP_DEFAULTS, **(base or {})}
    defaults = LspSettings(
        enabled=bool(base_settings["enabled"]),
        code_lens=bool(base_settings["code_lens"]),
        debounce_ms=int(base_settings["debounce_ms"]),
        max_file_bytes=int(base_settings["max_file_bytes"]),
        use_daemon=bool(base_settings["use_daemon"]),
        daemon_socket=str(base_settings["daemon_socket"]),
    )
    if raw is None:
        return defaults, []
    settings_object = _object(raw)
    if settings_object is None:
        return defaults, [f"the bmad settings must be an object, got {raw!r}"]
    reader = _Reader(settings_object, "")
    daemon = _Reader(reader.table("daemon"), "daemon.")
    problems: list[str] = []
    rules = _rule_overrides(reader.table("rules"), problems)
    settings = LspSettings(
        enabled=reader.take("enabled", _bool, "true or false", defaults.enabled),
        code_lens=reader.take("codeLens", _bool, "true or false", defaults.code_lens),
        debounce_ms=reader.take(
            "debounceMs", lambda v: _int(v, 0), "an integer >= 0", defaults.debounce_ms
        ),
        max_file_bytes=reader.take(
            "maxFileBytes", lambda v: _int(v, 1), "an integer >= 1", defaults.max_file_bytes
        ),
        use_daemon=daemon.take("enabled", _bool, "true or false", defaults.use_daemon),
        daemon_socket=daemon.take(
            "socket", lambda v: v if isinstance(v, str) else None, "a path", defaults.daemon_socket
        ),
        daemon_analysis=daemon.take("analyse", _bool, "true or false", defaults.daemon_analysis),
        rules=rules,
    )
    return settings, reader.problems + daemon.problems + problems
