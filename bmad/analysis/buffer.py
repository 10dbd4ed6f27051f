"""Findings and metrics for one buffer: a file's current text, not the file on disk.

Function-level rules run on the text; the anomaly model and the percentiles come from the
repository context; file-level findings (history, architecture) come from the store. The
language server and the daemon's ``analyze_buffer`` both answer with this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bmad.analysis.context import RepositoryContext
from bmad.analysis.detect import ANOMALY_RULE, anomaly_finding, code_driven
from bmad.analysis.excludes import is_excluded
from bmad.analysis.explain import describe
from bmad.analysis.features import CODE_FEATURES, feature_rows
from bmad.analysis.findings import Finding
from bmad.analysis.inputs import AnalysisInput, FunctionRecord
from bmad.analysis.model import AnomalyResult
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.rules import function_smells, severity
from bmad.analysis.settings import AnalysisSettings
from bmad.analysis.suppression import is_suppressed
from bmad.extractors.metrics import FileMetrics, FunctionMetrics

SCORE_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class FunctionReport:
    metrics: FunctionMetrics
    findings: tuple[Finding, ...]
    anomaly: AnomalyResult | None
    percentiles: dict[str, float]  # feature -> where the function stands in the repository
    ranked_among: int = 0  # the repository's functions those percentiles are over

    @property
    def explanation(self) -> str | None:
        if self.anomaly is None or not self.anomaly.effects:
            return None
        return describe(self.anomaly.effects) or None


@dataclass(frozen=True, slots=True)
class BufferReport:
    path: str  # repository-relative (or the file name when outside a repository)
    language: str
    metrics: FileMetrics
    functions: tuple[FunctionReport, ...]  # one per function of ``metrics``, or none
    file_findings: tuple[Finding, ...]
    suppressed: int
    notes: tuple[str, ...] = field(default=())

    @property
    def findings(self) -> list[Finding]:
        return [*self.file_findings, *(f for report in self.functions for f in report.findings)]

    def function_at(self, line: int) -> FunctionReport | None:
        """The innermost function spanning the 1-based ``line``."""
        spanning = [
            report
            for report in self.functions
            if report.metrics.start_line <= line <= report.metrics.end_line
        ]
        return max(spanning, key=lambda r: r.metrics.start_line, default=None)

    def to_dict(self) -> dict[str, Any]:
        """JSON for the daemon's API: ``findings`` holds every finding; ``functions`` is
        aligned with ``metrics.functions`` and carries what :meth:`from_dict` needs."""
        return {
            "path": self.path,
            "language": self.language,
            "metrics": self.metrics.to_dict(),
            "findings": [finding.to_dict() for finding in self.findings],
            "file_findings": [finding.to_dict() for finding in self.file_findings],
            "functions": [
                {
                    "name": report.metrics.qualified_name,
                    "start_line": report.metrics.start_line,
                    "end_line": report.metrics.end_line,
                    "findings": [finding.to_dict() for finding in report.findings],
                    "anomaly": None if report.anomaly is None else report.anomaly.to_dict(),
                    "percentiles": report.percentiles,
                    "ranked_among": report.ranked_among,
                }
                for report in self.functions
            ],
            "suppressed": self.suppressed,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BufferReport:
        metrics = FileMetrics.from_dict(data["metrics"])
        entries = data["functions"]
        if entries and len(entries) != len(metrics.functions):
            raise ValueError("'functions' is not aligned with the file's metrics")
        functions = tuple(
            FunctionReport(
                function,
                tuple(Finding.from_dict(item) for item in entry["findings"]),
                None if entry["anomaly"] is None else AnomalyResult.from_dict(entry["anomaly"]),
                {name: float(value) for name, value in entry["percentiles"].items()},
                int(entry.get("ranked_among", 0)),
            )
            for function, entry in zip(metrics.functions, entries, strict=False)
        )
        return cls(
            path=data["path"],
            language=data["language"],
            metrics=metrics,
            functions=functions,
            file_findings=tuple(Finding.from_dict(item) for item in data["file_findings"]),
            suppressed=int(data["suppressed"]),
            notes=tuple(data["notes"]),
        )


def _scores(
    records: Sequence[FunctionRecord], context: RepositoryContext | None, settings: AnalysisSettings
) -> list[AnomalyResult | None]:
    if context is None or not records:
        return [None] * len(records)
    model = context.model_for(records[0].language)
    if model is None:
        return [None] * len(records)
    rows = feature_rows(AnalysisInput(functions=tuple(records)))
    min_score = settings.model.min_anomaly_score
    keys = [(model.name, min_score, row.values) for row in rows]
    cache = context.scores
    missing = [index for index, key in enumerate(keys) if key not in cache]
    if missing:
        if len(cache) > SCORE_CACHE_LIMIT:
            cache.clear()
        scored = model.score([rows[index] for index in missing], min_score)
        for index, result in zip(missing, scored, strict=True):
            cache[keys[index]] = result
    return [cache[key] for key in keys]


def _file_findings(
    stored: Sequence[Finding], settings: AnalysisSettings, lines: list[str]
) -> tuple[list[Finding], int]:
    """The stored file-level findings still enabled and not suppressed in the text, with
    this buffer's severities; and how many were dropped as suppressed or disabled."""
    kept = [
        Finding(
            f.rule_id,
            severity(f.rule_id, settings.rules),
            f.path,
            f.start_line,
            f.end_line,
            f.message,
            f.evidence,
        )
        for f in stored
        if f.rule_id in RULES
        and f.rule_id not in settings.rules.disabled
        and not is_suppressed(f, lines)
    ]
    return kept, len(stored) - len(kept)


def analyse_buffer(
    text: str,
    path: str,
    language: str,
    settings: AnalysisSettings,
    context: RepositoryContext | None = None,
    stored: Sequence[Finding] = (),
) -> BufferReport:
    """Everything known about one buffer. ``path`` is repository-relative; ``stored`` are
    the file's stored file-level findings. Parses with tree-sitter: callers that share the
    parsers between threads serialise the calls."""
    from bmad.scanning.analyse import analyse_source

    source = text.encode("utf-8", "surrogatepass")
    metrics = analyse_source(source, language, path.lower().endswith(".h"))
    language = metrics.language
    lines = text.splitlines()
    notes: list[str] = []
    if metrics.has_syntax_errors:
        notes.append("the buffer has syntax errors; metrics cover what parses")
    if is_excluded(path, settings.exclude):
        return BufferReport(path, language, metrics, (), (), 0, ("excluded by [analysis]",))
    records = [FunctionRecord(path, language, function) for function in metrics.functions]
    results = _scores(records, context, settings)
    reference = context.reference_for(language) if context is not None else None
    anomaly_enabled = ANOMALY_RULE not in settings.rules.disabled
    suppressed = 0
    reports: list[FunctionReport] = []
    for record, result in zip(records, results, strict=True):
        found = function_smells(record, settings.rules)
        if result is not None and result.flagged and code_driven(result) and anomaly_enabled:
            found.insert(0, anomaly_finding(record, result, settings))
        kept = [finding for finding in found if not is_suppressed(finding, lines)]
        suppressed += len(found) - len(kept)
        percentiles = (
            {
                name: reference.percentile(name, float(getattr(record.metrics, name)))
                for name in CODE_FEATURES
            }
            if reference is not None
            else {}
        )
        ranked_among = reference.size(CODE_FEATURES[0]) if reference is not None else 0
        reports.append(
            FunctionReport(record.metrics, tuple(kept), result, percentiles, ranked_among)
        )
    file_findings, dropped = _file_findings(stored, settings, lines)
    if context is not None:
        notes += context.notes
    return BufferReport(
        path,
        language,
        metrics,
        tuple(reports),
        tuple(file_findings),
        suppressed + dropped,
        tuple(notes),
    )
