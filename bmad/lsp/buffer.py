"""Findings and metrics for one editor buffer: its text, not the file on disk.

Function-level rules run on the buffer; the anomaly model and the percentiles come from the
repository context; file-level findings (history, architecture) come from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bmad.analysis.conditions import may_hold_complex_condition, worst_condition_per_function
from bmad.analysis.explain import FeatureEffect, describe, drivers
from bmad.analysis.features import CODE_FEATURES, feature_rows
from bmad.analysis.findings import Finding
from bmad.analysis.inputs import AnalysisInput, FunctionRecord
from bmad.analysis.model import AnomalyResult
from bmad.analysis.rules import RULES, function_smells, severity
from bmad.analysis.settings import AnalysisSettings
from bmad.analysis.suppression import is_excluded, is_suppressed
from bmad.extractors.metrics import FileMetrics, FunctionMetrics
from bmad.lsp.context import RepositoryContext

ANOMALY_RULE = "anomalous-function"
CODE_DRIVER_PERCENTILE = 90.0  # as in detection: a code feature must drive the score
SCORE_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class FunctionReport:
    metrics: FunctionMetrics
    findings: tuple[Finding, ...]
    anomaly: AnomalyResult | None
    percentiles: dict[str, float]  # feature -> where the function stands in the repository

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
    functions: tuple[FunctionReport, ...]
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


def _code_driven(effects: Sequence[FeatureEffect]) -> bool:
    return any(
        effect.feature in CODE_FEATURES and effect.percentile >= CODE_DRIVER_PERCENTILE
        for effect in drivers(effects)
    )


def _anomaly_finding(
    record: FunctionRecord, result: AnomalyResult, settings: AnalysisSettings
) -> Finding:
    metrics = record.metrics
    return Finding(
        rule_id=ANOMALY_RULE,
        severity=severity(ANOMALY_RULE, settings.rules),
        path=record.path,
        start_line=metrics.start_line,
        end_line=metrics.end_line,
        message=f"{metrics.qualified_name} stands out among this repository's functions: "
        + (describe(result.effects) or "an unusual combination of its metrics"),
        evidence={
            "model": result.model,
            "percentiles": {e.feature: round(e.percentile, 1) for e in result.effects},
        },
        function=metrics.qualified_name,
        anomaly_score=round(result.score, 4),
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


def analyse_buffer(
    text: str,
    path: str,
    language: str,
    settings: AnalysisSettings,
    context: RepositoryContext | None = None,
    stored: Sequence[Finding] = (),
) -> BufferReport:
    """Everything the editor shows for one buffer. ``path`` is repository-relative."""
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
    threshold = settings.rules.complex_conditional_operators
    candidates = [
        index
        for index, record in enumerate(records)
        if may_hold_complex_condition(record.metrics, threshold)
    ]
    worst_local = (
        worst_condition_per_function(source, language, [records[i].metrics for i in candidates])
        if candidates
        else {}
    )
    worst = {candidates[local]: value for local, value in worst_local.items()}
    results = _scores(records, context, settings)
    reference = context.reference_for(language) if context is not None else None
    suppressed = 0
    reports: list[FunctionReport] = []
    for index, (record, result) in enumerate(zip(records, results, strict=True)):
        found = function_smells(record, settings.rules, worst.get(index))
        if (
            result is not None
            and result.flagged
            and _code_driven(result.effects)
            and ANOMALY_RULE not in settings.rules.disabled
        ):
            found.insert(0, _anomaly_finding(record, result, settings))
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
        reports.append(FunctionReport(record.metrics, tuple(kept), result, percentiles))
    file_level = [
        finding
        for finding in stored
        if finding.rule_id in RULES
        and finding.rule_id not in settings.rules.disabled
        and not is_suppressed(finding, lines)
    ]
    suppressed += len(stored) - len(file_level)
    file_findings = tuple(
        Finding(
            f.rule_id,
            severity(f.rule_id, settings.rules),
            f.path,
            f.start_line,
            f.end_line,
            f.message,
            f.evidence,
        )
        for f in file_level
    )
    if context is not None:
        notes += context.notes
    return BufferReport(
        path, language, metrics, tuple(reports), file_findings, suppressed, tuple(notes)
    )
