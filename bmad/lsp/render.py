"""Words and markdown for hover and code lens (pure: reports in, strings out)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bmad.analysis.buffer import FunctionReport
from bmad.analysis.explain import ordinal
from bmad.analysis.risk_store import StoredRisk
from bmad.analysis.rule_catalogue import RULES

METRIC_LABELS: dict[str, str] = {
    "nloc": "lines of code",
    "ccn": "cyclomatic complexity",
    "cognitive": "cognitive complexity",
    "max_nesting": "nesting depth",
    "params": "parameters",
    "returns": "exit points",
    "tokens": "tokens",
}


@dataclass(frozen=True, slots=True)
class GlobalStanding:
    """Where a metric's value stands across the federation (from cached global insights)."""

    value: float
    language: str
    above_share: float  # share of the language's functions in lower bins, 0..1
    organisations: int
    confidence: float
    plus_minus: float | None = None  # half-width of the share's 95% interval, 0..1

    @property
    def interval_text(self) -> str:
        if self.plus_minus is None:
            return ""
        return f" (+-{max(1, round(100 * self.plus_minus))})"

    def sentence(self, metric: str) -> str:
        return (
            f"{metric} {self.value:g} · above {self.above_share:.0%}{self.interval_text} of "
            f"{self.language} functions across {self.organisations} organisations"
        )


RISK_SOURCES = {
    "local": "this repository's model",
    "global": "the federation's model",
    "blend": "this repository's and the federation's models blended",
}

MIN_FUNCTIONS_TO_RANK = 20  # below, a percentile moves by 5 points or more per function


def ranked(report: FunctionReport) -> bool:
    """Whether the repository has enough functions for the function's percentiles to mean
    something (with 2, every maximum would be the 75th percentile)."""
    return bool(report.percentiles) and report.ranked_among >= MIN_FUNCTIONS_TO_RANK


def standing(percentile: float) -> str:
    """'top 3%' for the 97th percentile; ordinary values are not ranked from the top."""
    if percentile < 50:
        return "below the median"
    return f"top {max(1, math.ceil(100 - percentile))}%"


def lens_title(report: FunctionReport, global_cognitive: GlobalStanding | None = None) -> str:
    parts = [f"cognitive {report.metrics.cognitive}"]
    if ranked(report) and "cognitive" in report.percentiles:
        parts.append(f"{standing(report.percentiles['cognitive'])} in repo")
    if global_cognitive is not None:
        parts.append(
            f"{standing(100 * global_cognitive.above_share)}{global_cognitive.interval_text} "
            f"across {global_cognitive.organisations} orgs"
        )
    if report.findings:
        count = len(report.findings)
        parts.append(f"{count} finding{'s' if count > 1 else ''}")
    return " · ".join(parts)


def hover_markdown(
    report: FunctionReport,
    global_standings: Mapping[str, GlobalStanding] | None = None,
    file_risk: StoredRisk | None = None,
) -> str:
    metrics = report.metrics
    global_standings = global_standings or {}
    lines = [
        f"**bmad** · `{metrics.qualified_name}` (lines {metrics.start_line}-{metrics.end_line})",
        "",
    ]
    header = "| metric | value |"
    rule = "|---|---:|"
    in_repo = ranked(report)
    if in_repo:
        header += " in repo |"
        rule += "---:|"
    lines += [header, rule]
    for name, label in METRIC_LABELS.items():
        row = f"| {label} | {getattr(metrics, name)} |"
        if in_repo:
            row += f" {ordinal(min(int(report.percentiles[name]), 99))} pct |"
        lines.append(row)
    if report.percentiles and not in_repo:
        lines += [
            "",
            f"_Not ranked in the repository: too few functions to rank "
            f"({report.ranked_among} of the {MIN_FUNCTIONS_TO_RANK} it takes)._",
        ]
    if global_standings:
        lines += ["", "**Across the federation**"]
        lines += [f"- {found.sentence(name)}" for name, found in global_standings.items()]
    if report.anomaly is not None:
        state = "flagged as anomalous" if report.anomaly.flagged else "not anomalous"
        lines += [
            "",
            f"**Anomaly score** {report.anomaly.score:.2f} ({state} against "
            f"{report.anomaly.scope})",
        ]
        if report.explanation:
            lines.append(f"Stands out through {report.explanation}.")
    if file_risk is not None:
        lines += [
            "",
            f"**Defect risk of this file**: {file_risk.explanation()} "
            f"({RISK_SOURCES.get(file_risk.source, file_risk.source)}, "
            f"as of commit {file_risk.head[:12]})",
        ]
    if report.findings:
        lines += ["", "**Findings**"]
        for finding in report.findings:
            name = RULES[finding.rule_id].name if finding.rule_id in RULES else finding.rule_id
            lines.append(f"- {name} (`{finding.rule_id}`, {finding.severity}): {finding.message}")
    return "\n".join(lines)


def rule_explanation(rule_id: str) -> str:
    rule = RULES[rule_id]
    return f"{rule.name} ({rule.id}): {rule.short} {rule.full} What to do: {rule.help}"
