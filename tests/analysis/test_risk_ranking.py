"""The one priority: the hotspot term gives way to the size-aware risk term when a model
serves, risky files without findings join the ranking with a ``defect-risk`` note, and
nothing changes but the reason when no model serves."""

from __future__ import annotations

import pytest

from bmad.analysis.detect import DetectionReport
from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.ranking import HOTSPOT_WEIGHT
from bmad.analysis.risk_ranking import (
    DEFECT_RISK_RULE,
    RISK_WEIGHT,
    combined_report,
)
from bmad.analysis.risk_store import NO_RISK, FileRisk, RiskReport
from bmad.analysis.sarif import sarif_document
from bmad.analysis.settings import AnalysisSettings, RuleSettings


def finding(rule_id: str, path: str, severity: str, function: str | None = None) -> Finding:
    return Finding(rule_id, severity, path, 1, 5, f"{path} {rule_id}", function=function)


def item(kind: str, path: str, priority: float, *findings: Finding) -> RankedItem:
    name = findings[0].function if kind == "function" else None
    return RankedItem(0, kind, path, 1, 5, name, priority, None, None, findings)


def detection() -> DetectionReport:
    # hot.py is the hotspot (percentile 1.0), calm.py has a long function with a warning
    hotspot = item("file", "hot.py", 1.0 + HOTSPOT_WEIGHT, finding("hotspot", "hot.py", "note"))
    smelly = item(
        "function",
        "calm.py",
        2.0 + 0.5 * HOTSPOT_WEIGHT,
        finding("large-method", "calm.py", "warning", "run"),
    )
    return DetectionReport(
        items=(hotspot, smelly),
        functions=2,
        files=20,
        flagged=0,
        suppressed=0,
        models={},
        features=(),
        rules_without_data={},
        notes=(),
        hotspot_rank={"hot.py": 1.0, "calm.py": 0.5},
    )


def risks() -> RiskReport:
    """Twenty files; big.py holds the most risk x size, hot.py little, calm.py the least."""
    files = {
        f"other{i:02}.py": FileRisk(f"other{i:02}.py", 0.2, 0.5, 100, 0.2 + i / 1000, ())
        for i in range(17)
    }
    files["big.py"] = FileRisk("big.py", 0.6, 0.05, 2000, 8.0, ("40 revisions",))
    files["hot.py"] = FileRisk("hot.py", 0.3, 0.2, 100, 0.1, ())
    files["calm.py"] = FileRisk("calm.py", 0.05, 1.0, 100, 0.01, ())
    return RiskReport("local", "local model", 365, files)


def test_the_risk_term_replaces_the_hotspot_term_and_a_risky_file_joins_the_ranking() -> None:
    combined = combined_report(detection(), risks(), AnalysisSettings())
    ranked = [(entry.path, entry.kind) for entry in combined.items]
    assert ranked[0] == ("big.py", "file")  # no smell, but the most risk x size
    flagged = {
        e.path for e in combined.items if DEFECT_RISK_RULE in [f.rule_id for f in e.findings]
    }
    assert flagged == {"big.py", "other16.py"}  # the top 10% of 20 files
    top = combined.items[0]
    assert [f.rule_id for f in top.findings] == [DEFECT_RISK_RULE]
    assert top.findings[0].message.startswith("big.py: risk of a fix within a year: 60%, top 5%")
    assert top.risk == 0.6 and top.risk_explanation is not None
    assert top.priority == pytest.approx(1.0 + RISK_WEIGHT * 1.0)
    by_path = {entry.path: entry for entry in combined.items}
    # hot.py lost its hotspot percentile, gained its risk percentile: 2nd lowest of 20, mid-rank
    # (1 + 1/2 + 1/2) / 20
    assert by_path["hot.py"].priority == pytest.approx(1.0 + RISK_WEIGHT * 2 / 20)
    assert by_path["calm.py"].priority == pytest.approx(2.0 + RISK_WEIGHT * 1 / 20)
    assert [entry.rank for entry in combined.items] == [1, 2, 3, 4]


def test_without_a_model_the_ranking_stays_and_says_why() -> None:
    report = detection()
    combined = combined_report(report, NO_RISK, AnalysisSettings())
    assert combined.items == report.items
    assert combined.rules_without_data[DEFECT_RISK_RULE] == NO_RISK.reason


def test_a_disabled_defect_risk_rule_adds_no_finding_but_keeps_the_risk_term() -> None:
    settings = AnalysisSettings(rules=RuleSettings(disabled=frozenset({DEFECT_RISK_RULE})))
    combined = combined_report(detection(), risks(), settings)
    assert {entry.path for entry in combined.items} == {"hot.py", "calm.py"}
    assert all(entry.risk is not None for entry in combined.items)


def test_sarif_results_carry_the_rank_priority_and_risk() -> None:
    combined = combined_report(detection(), risks(), AnalysisSettings())
    results = sarif_document(combined.findings, combined.items)["runs"][0]["results"]
    first = results[0]["properties"]
    assert first["rank"] == 1 and first["risk"] == 0.6
    assert first["riskExplanation"].startswith("risk of a fix within a year: 60%")
    assert first["priority"] == round(combined.items[0].priority, 4)
