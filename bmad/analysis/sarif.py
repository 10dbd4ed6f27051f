"""SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bmad import __version__
from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.rule_catalogue import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/bmad/bmad"


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    return {
        "id": rule.id,
        "name": rule.name.replace(" ", "").replace("-", ""),
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full},
        "help": {"text": rule.help, "markdown": f"**{rule.name}**: {rule.help}"},
        "defaultConfiguration": {"level": rule.severity},
    }


def ranking_properties(items: Sequence[RankedItem]) -> dict[str, dict[str, Any]]:
    """Per finding (by fingerprint), its item's rank and priority, and its file's risk when a
    model served: the one ranking, for tools that read SARIF."""
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        properties: dict[str, Any] = {"rank": item.rank, "priority": round(item.priority, 4)}
        if item.risk is not None:
            properties["risk"] = round(item.risk, 4)
            properties["riskExplanation"] = item.risk_explanation
        for finding in item.findings:
            found.setdefault(finding.fingerprint, properties)
    return found


def _result(
    finding: Finding, rule_index: int, ranking: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.severity,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.start_line, "endLine": finding.end_line},
                }
            }
        ],
        "partialFingerprints": {"bmadFingerprint/v1": finding.fingerprint},
        "properties": {"evidence": finding.evidence},
    }
    if finding.anomaly_score is not None:
        result["properties"]["anomalyScore"] = finding.anomaly_score
    result["properties"].update(ranking.get(finding.fingerprint, {}))
    return result


def sarif_document(findings: Sequence[Finding], items: Sequence[RankedItem] = ()) -> dict[str, Any]:
    """The findings as one run; ``items``: the ranked items they belong to (their rank,
    priority and risk become each result's properties)."""
    ranking = ranking_properties(items)
    rule_ids = list(RULES)
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bmad",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(rule_id) for rule_id in rule_ids],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "repository root"}}},
                "results": [
                    _result(finding, index[finding.rule_id], ranking) for finding in findings
                ],
            }
        ],
    }
