"""What detection produces: findings, grouped into ranked items."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: str  # error | warning | note (SARIF levels)
    path: str
    start_line: int
    end_line: int
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    function: str | None = None  # qualified name when the finding is about one function
    anomaly_score: float | None = None

    @property
    def fingerprint(self) -> str:
        """Stable across edits that move the code: the rule, the file and the function name."""
        anchor = self.function if self.function is not None else self.message
        digest = hashlib.sha256(f"{self.rule_id}\0{self.path}\0{anchor}".encode())
        return digest.hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "function": self.function,
            "message": self.message,
            "evidence": self.evidence,
            "anomaly_score": self.anomaly_score,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule_id=data["rule_id"],
            severity=data["severity"],
            path=data["path"],
            start_line=data["start_line"],
            end_line=data["end_line"],
            message=data["message"],
            evidence=dict(data.get("evidence") or {}),
            function=data.get("function"),
            anomaly_score=data.get("anomaly_score"),
        )


@dataclass(frozen=True, slots=True)
class RankedItem:
    """One function or file with everything found about it, in ranking order."""

    rank: int
    kind: str  # function | file
    path: str
    start_line: int
    end_line: int
    name: str | None
    priority: float
    anomaly_score: float | None
    explanation: str | None
    findings: tuple[Finding, ...]
    risk: float | None = None  # the file's risk of a fix within the horizon, when a model serves
    risk_explanation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "kind": self.kind,
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "name": self.name,
            "priority": round(self.priority, 4),
            "anomaly_score": None if self.anomaly_score is None else round(self.anomaly_score, 4),
            "explanation": self.explanation,
            "findings": [finding.to_dict() for finding in self.findings],
            "risk": None if self.risk is None else round(self.risk, 4),
            "risk_explanation": self.risk_explanation,
        }
