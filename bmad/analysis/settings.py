"""Rule thresholds ([tool.bmad.rules]) and model settings ([tool.bmad.analysis]), validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bmad.analysis.findings import SEVERITIES
from bmad.analysis.reference import ANOMALY_REFERENCES
from bmad.analysis.rule_catalogue import RULES
from bmad.config import DEFAULTS
from bmad.errors import BmadError

RULE_DEFAULTS: dict[str, Any] = DEFAULTS["rules"]
ANALYSIS_DEFAULTS: dict[str, Any] = DEFAULTS["analysis"]


@dataclass(frozen=True, slots=True)
class RuleSettings:
    complex_method_ccn: int = 9
    cognitive_complexity_above: int = 15
    deep_nesting: int = 4
    long_parameter_list: int = 5
    large_method_nloc: int = 70
    complex_conditional_operators: int = 3
    hotspot_top_share: float = 0.1
    hotspot_min_revisions: int = 5
    coupling_degree: int = 50
    large_commit_files: int = 30
    large_commits: int = 3
    fix_chain_fixes: int = 3
    fix_chain_days: int = 30
    reverts: int = 2
    fragmented_min_authors: int = 4
    fragmentation_above: float = 0.75
    minor_contributors: int = 3
    abandoned_dependency_months: int = 6
    disabled: frozenset[str] = frozenset()
    severity: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelSettings:
    contamination: str | float = "auto"
    random_state: int = 0
    n_estimators: int = 200
    min_family_functions: int = 200
    min_functions: int = 30
    min_anomaly_score: float = 0.6
    anomaly_reference: str = "auto"  # one of ANOMALY_REFERENCES


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    rules: RuleSettings = field(default_factory=RuleSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    exclude: tuple[str, ...] = ()


def _int(table: Mapping[str, Any], section: str, key: str, minimum: int) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BmadError(f"[{section}] {key} must be an integer >= {minimum}, got {value!r}")
    return value


def _share(table: Mapping[str, Any], section: str, key: str) -> float:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise BmadError(f"[{section}] {key} must be a number in (0, 1], got {value!r}")
    return float(value)


def _strings(table: Mapping[str, Any], section: str, key: str) -> tuple[str, ...]:
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BmadError(f"[{section}] {key} must be a list of strings, got {value!r}")
    return tuple(value)


def rule_settings(raw: Mapping[str, Any]) -> RuleSettings:
    table = {**RULE_DEFAULTS, **raw}
    unknown = sorted(set(table) - set(RULE_DEFAULTS))
    if unknown:
        raise BmadError(f"[rules] unknown setting(s): {', '.join(unknown)}")
    disabled = _strings(table, "rules", "disabled")
    severity = table["severity"]
    if not isinstance(severity, Mapping):
        raise BmadError("[rules] severity must be a table of rule id = level")
    for rule_id, level in [*((item, None) for item in disabled), *severity.items()]:
        if rule_id not in RULES:
            raise BmadError(f"[rules] unknown rule id {rule_id!r}; known: {', '.join(RULES)}")
        if level is not None and level not in SEVERITIES:
            raise BmadError(f"[rules] severity of {rule_id} must be one of {SEVERITIES}")
    ints = {
        key: _int(table, "rules", key, 1)
        for key in RULE_DEFAULTS
        if isinstance(RULE_DEFAULTS[key], int) and not isinstance(RULE_DEFAULTS[key], bool)
    }
    return RuleSettings(
        **ints,
        hotspot_top_share=_share(table, "rules", "hotspot_top_share"),
        fragmentation_above=_share(table, "rules", "fragmentation_above"),
        disabled=frozenset(disabled),
        severity=dict(severity),
    )


def model_settings(raw: Mapping[str, Any]) -> tuple[ModelSettings, tuple[str, ...]]:
    table = {**ANALYSIS_DEFAULTS, **raw}
    unknown = sorted(set(table) - set(ANALYSIS_DEFAULTS))
    if unknown:
        raise BmadError(f"[analysis] unknown setting(s): {', '.join(unknown)}")
    contamination = table["contamination"]
    if contamination != "auto":
        if (
            isinstance(contamination, bool)
            or not isinstance(contamination, int | float)
            or not 0 < contamination <= 0.5
        ):
            raise BmadError(
                f'[analysis] contamination must be "auto" or a number in (0, 0.5], '
                f"got {contamination!r}"
            )
        contamination = float(contamination)
    anomaly_reference = table["anomaly_reference"]
    if anomaly_reference not in ANOMALY_REFERENCES:
        raise BmadError(
            f"[analysis] anomaly_reference must be one of {', '.join(ANOMALY_REFERENCES)}, "
            f"got {anomaly_reference!r}"
        )
    model = ModelSettings(
        contamination=contamination,
        random_state=_int(table, "analysis", "random_state", 0),
        n_estimators=_int(table, "analysis", "n_estimators", 1),
        min_family_functions=_int(table, "analysis", "min_family_functions", 2),
        min_functions=_int(table, "analysis", "min_functions", 2),
        min_anomaly_score=_share(table, "analysis", "min_anomaly_score"),
        anomaly_reference=anomaly_reference,
    )
    return model, _strings(table, "analysis", "exclude")


def analysis_settings(rules: Mapping[str, Any], analysis: Mapping[str, Any]) -> AnalysisSettings:
    model, exclude = model_settings(analysis)
    return AnalysisSettings(rules=rule_settings(rules), model=model, exclude=exclude)
