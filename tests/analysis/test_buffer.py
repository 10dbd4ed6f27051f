"""The buffer core: one text analysed against a repository context, as the language server
and the daemon's ``analyze_buffer`` both use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_buffers import MONSTER, TAMED

from bmad.analysis.buffer import BufferReport, analyse_buffer
from bmad.analysis.context import RepositoryContext, fit_context
from bmad.analysis.detect import ANOMALY_RULE, code_driven
from bmad.analysis.findings import Finding
from bmad.analysis.settings import AnalysisSettings, analysis_settings
from tests.analysis.factories import ordinary_population


@pytest.fixture(scope="module")
def settings() -> AnalysisSettings:
    return analysis_settings({}, {})


@pytest.fixture(scope="module")
def context(settings: AnalysisSettings) -> RepositoryContext:
    return fit_context(Path("/repo"), ordinary_population(200), settings.model)


def stored_hotspot(path: str) -> Finding:
    return Finding("hotspot", "note", path, 1, 1, "changed often and complex", {"revisions": 9})


def test_an_anomalous_function_gets_the_detection_finding(
    settings: AnalysisSettings, context: RepositoryContext
) -> None:
    report = analyse_buffer(MONSTER, "pkg/new.py", "python", settings, context)
    monster = report.function_at(6)
    assert monster is not None and monster.metrics.name == "monster"
    assert monster.anomaly is not None and code_driven(monster.anomaly)
    anomaly = [f for f in monster.findings if f.rule_id == ANOMALY_RULE]
    assert len(anomaly) == 1
    # the same constructor as repository detection: same evidence shape
    assert set(anomaly[0].evidence) == {
        "model",
        "reference",
        "features",
        "percentiles",
        "score_drop_at_median",
    }
    assert anomaly[0].evidence["reference"] == "this repository's functions"
    assert "stands out among this repository's functions" in anomaly[0].message
    assert anomaly[0].anomaly_score == round(monster.anomaly.score, 4)
    assert monster.explanation and "8 parameters" in monster.explanation
    assert monster.percentiles["max_nesting"] == 100.0
    ordinary = report.function_at(1)
    assert ordinary is not None and ordinary.findings == ()


def test_a_tamed_buffer_has_no_findings(
    settings: AnalysisSettings, context: RepositoryContext
) -> None:
    report = analyse_buffer(TAMED, "pkg/new.py", "python", settings, context)
    assert report.findings == []
    assert [f.metrics.name for f in report.functions] == ["ordinary", "monster"]


def test_without_a_context_only_the_rules_run(settings: AnalysisSettings) -> None:
    report = analyse_buffer(MONSTER, "new.py", "python", settings)
    assert {f.rule_id for f in report.findings} - {ANOMALY_RULE} != set()
    assert ANOMALY_RULE not in {f.rule_id for f in report.findings}
    assert all(f.anomaly is None and f.percentiles == {} for f in report.functions)


def test_suppressions_disabled_rules_and_stored_file_findings(
    settings: AnalysisSettings, context: RepositoryContext
) -> None:
    suppressed_text = MONSTER.replace(
        "def monster(", f"# bmad: ignore[{ANOMALY_RULE}]\ndef monster("
    )
    report = analyse_buffer(
        suppressed_text, "pkg/new.py", "python", settings, context, [stored_hotspot("pkg/new.py")]
    )
    assert ANOMALY_RULE not in {f.rule_id for f in report.findings}
    assert report.suppressed >= 1
    assert [f.rule_id for f in report.file_findings] == ["hotspot"]
    quiet = analysis_settings({"disabled": ["hotspot"]}, {})
    report = analyse_buffer(
        MONSTER, "pkg/new.py", "python", quiet, context, [stored_hotspot("pkg/new.py")]
    )
    assert report.file_findings == ()


def test_an_excluded_path_is_not_analysed(context: RepositoryContext) -> None:
    excluded = analysis_settings({}, {"exclude": ["vendor/**"]})
    report = analyse_buffer(MONSTER, "vendor/new.py", "python", excluded, context)
    assert report.functions == () and report.notes == ("excluded by [analysis]",)


def test_the_report_survives_json(settings: AnalysisSettings, context: RepositoryContext) -> None:
    report = analyse_buffer(
        MONSTER, "pkg/new.py", "python", settings, context, [stored_hotspot("pkg/new.py")]
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert {f["rule_id"] for f in data["findings"]} >= {ANOMALY_RULE, "hotspot"}
    assert BufferReport.from_dict(data) == report


def test_a_report_whose_functions_do_not_match_its_metrics_is_refused(
    settings: AnalysisSettings,
) -> None:
    data = analyse_buffer(MONSTER, "new.py", "python", settings).to_dict()
    data["functions"] = data["functions"][:1]
    with pytest.raises(ValueError, match="aligned"):
        BufferReport.from_dict(data)
