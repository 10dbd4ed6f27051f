from __future__ import annotations

import json
from pathlib import Path

import pytest

from bmad.analysis.findings import Finding
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.sarif import sarif_document

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")  # OASIS errata01, sarif-spec repo

FINDINGS = [
    Finding(
        "anomalous-function",
        "warning",
        "src/a.py",
        3,
        40,
        "monster stands out: nesting depth 9 (99th percentile)",
        {"features": {"max_nesting": 9.0}},
        function="monster",
        anomaly_score=0.81,
    ),
    Finding("hotspot", "error", "src/b.py", 1, 1, "hotspot #1 of 9", {"revisions": 40}),
]


def test_document_validates_against_the_official_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = json.loads(json.dumps(sarif_document(FINDINGS)))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(document)


def test_rules_results_and_fingerprints() -> None:
    run = sarif_document(FINDINGS)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    for rule in rules:
        assert {"shortDescription", "fullDescription", "help"} <= set(rule)
    first, second = run["results"]
    assert rules[first["ruleIndex"]]["id"] == "anomalous-function"
    assert first["level"] == "warning"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "endLine": 40}
    assert first["properties"]["anomalyScore"] == 0.81
    assert second["level"] == "error"
    assert "anomalyScore" not in second["properties"]
    fingerprints = {r["partialFingerprints"]["bmadFingerprint/v1"] for r in run["results"]}
    assert len(fingerprints) == 2


def test_fingerprint_survives_moving_the_function() -> None:
    moved = Finding(
        "anomalous-function", "warning", "src/a.py", 30, 67, "other words", function="monster"
    )
    assert moved.fingerprint == FINDINGS[0].fingerprint
