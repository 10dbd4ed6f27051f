"""The repository's pattern summary for ``bmad insights patterns``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bmad.analysis.detect import DetectionReport
from bmad.analysis.features import CODE_FEATURES
from bmad.analysis.inputs import AnalysisInput
from bmad.analysis.reference import LocalReference
from bmad.analysis.rule_catalogue import RULES

QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99)


def pattern_summary(
    analysis_input: AnalysisInput, report: DetectionReport, top: int = 10
) -> dict[str, Any]:
    records = analysis_input.functions
    reference = LocalReference(
        {
            feature: [float(getattr(record.metrics, feature)) for record in records]
            for feature in CODE_FEATURES
        }
    )
    distributions = {
        feature: {
            "p50" if q == 0.5 else f"p{round(q * 100)}": round(reference.quantile(feature, q), 2)
            for q in QUANTILES
        }
        | {"max": max((getattr(r.metrics, feature) for r in records), default=0)}
        for feature in CODE_FEATURES
    }
    functions_with: Counter[str] = Counter()
    files_with: Counter[str] = Counter()
    for item in report.items:
        for rule_id in {finding.rule_id for finding in item.findings}:
            (functions_with if item.kind == "function" else files_with)[rule_id] += 1
    prevalence: dict[str, dict[str, Any]] = {}
    for rule_id, rule in RULES.items():
        if rule_id in report.rules_without_data:
            reason = report.rules_without_data[rule_id]
            prevalence[rule_id] = {"status": "no data", "reason": reason}
            continue
        scope = "functions" if rule.needs == "code" else "files"
        count = functions_with[rule_id] if scope == "functions" else files_with[rule_id]
        total = report.functions if scope == "functions" else report.files
        prevalence[rule_id] = {
            "count": count,
            "of": total,
            "scope": scope,
            "share": round(count / total, 4) if total else 0.0,
        }
    return {
        "functions": report.functions,
        "files": report.files,
        "distributions": distributions,
        "smell_prevalence": prevalence,
        "anomaly_share": round(report.flagged / report.functions, 4) if report.functions else 0.0,
        "models": report.models,
        "top_findings": [item.to_dict() for item in report.items[:top]],
        "notes": list(report.notes),
    }
