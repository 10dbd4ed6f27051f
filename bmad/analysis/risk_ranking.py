"""One priority from the anomaly score, the smells and the defect-risk model.

Without a risk model the ranking is :mod:`bmad.analysis.ranking`'s: severities + 2 x anomaly
percentile + 2 x hotspot percentile. When a model serves (:mod:`bmad.analysis.risk_serving`),
the hotspot term, the ranking's guess at where fixes land (revisions x complexity), gives way
to what the model learned from this repository's fixes (or the federation's):

    priority = sum of the severity weights of the item's findings
             + ANOMALY_WEIGHT x the anomaly percentile (as before)
             + RISK_WEIGHT x the percentile of its file's risk x lines (size-aware)

The model already reads revisions and complexity, and, when its validation windows favour
them, the ranking's own marks (priority, smell weights, anomaly flags), so the term holds the
hotspot's information weighed by outcomes. Its weight, 4, lets a file at the top of the risk
ranking outweigh one error-level finding (3): measured risk leads, yet two warnings still lift a
calm file. Size-aware because a file's chance of a fix grows with the code it holds and so does
the work a fix there costs: a 2,000-line file at 30% comes before a 50-line file at 40%.

Files in the top :data:`TOP_SHARE` by risk x size also get a ``defect-risk`` finding (a note
that carries the explanation), so that a risky file without smells is in the ranking too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bmad.analysis.detect import DetectionReport
from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.ranking import (
    ANOMALY_WEIGHT,
    HOTSPOT_WEIGHT,
    SEVERITY_WEIGHTS,
    Entity,
    order_key,
    ranked_order,
)
from bmad.analysis.risk_store import TOP_SHARE, FileRisk, RiskReport
from bmad.analysis.risk_store import size_aware_ranks as ranks_by_size
from bmad.analysis.rules import severity
from bmad.analysis.settings import AnalysisSettings

RISK_WEIGHT = 4.0
DEFECT_RISK_RULE = "defect-risk"
TODAY = (
    f"severities + {ANOMALY_WEIGHT:g} x anomaly percentile "
    f"+ {HOTSPOT_WEIGHT:g} x hotspot percentile"
)
WITH_RISK = (
    f"severities + {ANOMALY_WEIGHT:g} x anomaly percentile "
    f"+ {RISK_WEIGHT:g} x percentile of the file's risk x lines"
)


def size_aware_ranks(risks: RiskReport, settings: AnalysisSettings) -> dict[str, float]:
    """Each file's percentile (0..1) by risk x lines, excluded files left out."""
    return ranks_by_size(
        {path: risk.expected_fixes for path, risk in risks.files.items()}, settings.exclude
    )


def defect_risk_finding(risk: FileRisk, settings: AnalysisSettings) -> Finding:
    return Finding(
        rule_id=DEFECT_RISK_RULE,
        severity=severity(DEFECT_RISK_RULE, settings.rules),
        path=risk.path,
        start_line=1,
        end_line=1,
        message=f"{risk.path}: {risk.explanation()}",
        evidence={
            "risk": round(risk.risk, 4),
            "top_share": round(risk.top_share, 4),
            "lines": risk.lines,
            "risk_x_size": round(risk.expected_fixes, 4),
            "drivers": list(risk.drivers),
        },
    )


def combined_report(
    report: DetectionReport, risks: RiskReport, settings: AnalysisSettings
) -> DetectionReport:
    """``report`` ranked by the one priority (see the module's docstring), its items and its
    per-file and per-function priorities; unchanged, but for why ``defect-risk`` was not
    evaluated, when no model serves."""
    if not risks.files:
        missing = {**report.rules_without_data, DEFECT_RISK_RULE: risks.reason}
        return replace(report, rules_without_data=missing)
    ranks = size_aware_ranks(risks, settings)
    flagged = {
        path
        for path, rank in ranks.items()
        if rank > 1 - TOP_SHARE and DEFECT_RISK_RULE not in settings.rules.disabled
    }

    def shift(path: str) -> float:
        """The hotspot term out, the size-aware risk term in."""
        return RISK_WEIGHT * ranks.get(path, 0.0) - HOTSPOT_WEIGHT * report.hotspot_rank.get(
            path, 0.0
        )

    note_weight = SEVERITY_WEIGHTS[severity(DEFECT_RISK_RULE, settings.rules)]
    file_priority = {path: value + shift(path) for path, value in report.file_priority.items()}
    for path in flagged:
        file_priority[path] = file_priority.get(path, RISK_WEIGHT * ranks[path]) + note_weight
    function_priority = {
        key: value + shift(key[0]) for key, value in report.function_priority.items()
    }
    entries: list[tuple[Entity, float, RankedItem]] = []
    for found in report.items:
        item = found
        value = item.priority + shift(item.path)
        if item.kind == "file" and item.path in flagged:
            finding = defect_risk_finding(risks.files[item.path], settings)
            value += SEVERITY_WEIGHTS[finding.severity]
            item = replace(item, findings=(*item.findings, finding))
        entries.append(
            (Entity(item.kind, item.path, item.start_line, item.end_line, item.name), value, item)
        )
    with_file_item = {item.path for item in report.items if item.kind == "file"}
    for path in sorted(flagged - with_file_item):
        finding = defect_risk_finding(risks.files[path], settings)
        value = SEVERITY_WEIGHTS[finding.severity] + RISK_WEIGHT * ranks[path]
        entries.append(
            (
                Entity("file", path, 1, 1, None),
                value,
                RankedItem(0, "file", path, 1, 1, None, value, None, None, (finding,)),
            )
        )
    ordered = ranked_order(
        entries,
        key=lambda entry: order_key(entry[0], entry[1]),
        rule_ids=lambda entry: [finding.rule_id for finding in entry[2].findings],
    )
    items = []
    for rank, (_entity, value, item) in enumerate(ordered, start=1):
        risk = risks.files.get(item.path)
        items.append(
            replace(
                item,
                rank=rank,
                priority=value,
                risk=None if risk is None else risk.risk,
                risk_explanation=None if risk is None else risk.explanation(),
            )
        )
    return replace(
        report,
        items=tuple(items),
        file_priority=file_priority,
        function_priority=function_priority,
    )


def by_stored_priority(
    findings: Sequence[Finding], priorities: Mapping[str | None, float]
) -> list[Finding]:
    """One file's findings (of a buffer: its current text) in the order of the stored
    ranking: each by the one priority stored for its function (or, ``None``, for the file);
    a function not ranked yet (new since the last analysis) by the severity weights of its
    findings, the part of the priority a buffer alone can tell. Ties keep their order."""
    severities: dict[str | None, float] = {}
    for finding in findings:
        severities[finding.function] = (
            severities.get(finding.function, 0.0) + SEVERITY_WEIGHTS[finding.severity]
        )

    def value(finding: Finding) -> float:
        return priorities.get(finding.function, severities[finding.function])

    return sorted(findings, key=lambda finding: -value(finding))
