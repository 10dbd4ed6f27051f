"""The pure core: from :class:`AnalysisInput` to a ranked :class:`DetectionReport`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bmad.analysis.decision_rules import abandoned_dependencies
from bmad.analysis.excludes import is_excluded
from bmad.analysis.explain import describe, drivers
from bmad.analysis.features import CODE_FEATURES, feature_names, feature_rows
from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.inputs import AnalysisInput, FunctionRecord
from bmad.analysis.model import AnomalyResult, fit_and_score
from bmad.analysis.process_rules import process_smells
from bmad.analysis.ranking import Entity, order_key, percentile_ranks, priority, ranked_order
from bmad.analysis.reference import ReferenceSource
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.rules import (
    architecture_smells,
    function_smells,
    history_smells,
    hotspot_weights,
    severity,
)
from bmad.analysis.settings import AnalysisSettings
from bmad.analysis.suppression import is_suppressed

FunctionKey = tuple[str, int, str]
ANOMALY_RULE = "anomalous-function"
CODE_DRIVER_PERCENTILE = 90.0  # a code feature must stand out this far to make a finding


@dataclass(frozen=True, slots=True)
class DetectionReport:
    items: tuple[RankedItem, ...]  # every function or file with a finding, best first
    functions: int
    files: int
    flagged: int  # functions the forest isolates
    suppressed: int
    models: dict[str, int]
    features: tuple[str, ...]
    rules_without_data: dict[str, str]  # rule id -> why it could not be evaluated
    notes: tuple[str, ...]
    function_priority: dict[FunctionKey, float] = field(default_factory=dict)
    file_priority: dict[str, float] = field(default_factory=dict)
    hotspot_rank: dict[str, float] = field(default_factory=dict)  # per file, the term's 0..1

    @property
    def findings(self) -> list[Finding]:
        return [finding for item in self.items for finding in item.findings]

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        items = self.items if top is None else self.items[:top]
        return {
            "functions": self.functions,
            "files": self.files,
            "flagged": self.flagged,
            "suppressed": self.suppressed,
            "models": self.models,
            "features": list(self.features),
            "rules_without_data": self.rules_without_data,
            "notes": list(self.notes),
            "items": [item.to_dict() for item in items],
        }


def _key(record: FunctionRecord) -> FunctionKey:
    return (record.path, record.metrics.start_line, record.metrics.qualified_name)


class _Sources:
    """Lines of each file, read once through the injected reader."""

    def __init__(self, read: Callable[[str], bytes | None]) -> None:
        self.read = read
        self.cache: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self.cache:
            data = self.read(path)
            self.cache[path] = (
                [] if data is None else data.decode("utf-8", errors="replace").splitlines()
            )
        return self.cache[path]


def anomaly_finding(
    record: FunctionRecord, result: AnomalyResult, settings: AnalysisSettings
) -> Finding:
    """The ``anomalous-function`` finding for a function the forest flagged."""
    metrics = record.metrics
    explanation = describe(result.effects)
    return Finding(
        rule_id=ANOMALY_RULE,
        severity=severity(ANOMALY_RULE, settings.rules),
        path=record.path,
        start_line=metrics.start_line,
        end_line=metrics.end_line,
        message=f"{metrics.qualified_name} stands out among {result.scope}: "
        + (explanation or "an unusual combination of its metrics"),
        evidence={
            "model": result.model,
            "reference": result.scope,
            "features": {effect.feature: effect.value for effect in result.effects},
            "percentiles": {
                effect.feature: round(effect.percentile, 1) for effect in result.effects
            },
            "score_drop_at_median": {
                effect.feature: round(effect.score_drop, 4) for effect in result.effects
            },
        },
        function=metrics.qualified_name,
        anomaly_score=round(result.score, 4),
    )


def code_driven(result: AnomalyResult) -> bool:
    """Whether the function's own code drives its score (a code feature >= 90th percentile).

    Functions that stand out only through their file's history (revisions, churn, coupling,
    ownership) share it with every function of that file; the file-level rules (hotspot,
    change coupling, knowledge island) report that once, so no function finding is made.
    Their score still counts in the ranking.
    """
    return any(
        effect.feature in CODE_FEATURES and effect.percentile >= CODE_DRIVER_PERCENTILE
        for effect in drivers(result.effects)
    )


def _missing_data(analysis_input: AnalysisInput) -> dict[str, str]:
    missing: dict[str, str] = {}
    for rule_id, rule in RULES.items():
        if rule.needs == "history" and analysis_input.history is None:
            missing[rule_id] = "no git history was mined for this repository"
        elif rule.needs == "architecture" and analysis_input.architecture is None:
            missing[rule_id] = "no import graph was built for this repository"
    architecture = analysis_input.architecture
    if architecture is not None and not architecture.layers_configured:
        missing["layer-violation"] = "no layers are configured ([tool.bmad.architecture] layers)"
    return missing


def _file_findings(
    analysis_input: AnalysisInput, file_complexity: dict[str, int], settings: AnalysisSettings
) -> dict[str, list[Finding]]:
    found: list[Finding] = []
    if analysis_input.history is not None:
        found += history_smells(analysis_input.history, file_complexity, settings.rules)
        found += process_smells(analysis_input.history.process, file_complexity, settings.rules)
        found += abandoned_dependencies(analysis_input.history.technology, settings.rules)
    if analysis_input.architecture is not None:
        found += architecture_smells(analysis_input.architecture, settings.rules)
    by_file: dict[str, list[Finding]] = {}
    for finding in found:
        if not is_excluded(finding.path, settings.exclude):
            by_file.setdefault(finding.path, []).append(finding)
    return by_file


class _Ranker:
    """Drops suppressed findings, computes priorities and orders the entities."""

    def __init__(self, sources: _Sources) -> None:
        self.sources = sources
        self.suppressed = 0
        self.entries: list[tuple[Entity, float, list[Finding], AnomalyResult | None]] = []

    def add(
        self,
        entity: Entity,
        findings: list[Finding],
        anomaly_rank: float,
        hotspot_rank: float,
        result: AnomalyResult | None,
    ) -> float:
        kept = [f for f in findings if not is_suppressed(f, self.sources.lines(f.path))]
        self.suppressed += len(findings) - len(kept)
        value = priority([f.severity for f in kept], anomaly_rank, hotspot_rank)
        if kept:
            self.entries.append((entity, value, kept, result))
        return value

    def items(self) -> tuple[RankedItem, ...]:
        self.entries = ranked_order(
            self.entries,
            key=lambda entry: order_key(entry[0], entry[1]),
            rule_ids=lambda entry: [finding.rule_id for finding in entry[2]],
        )
        return tuple(
            RankedItem(
                rank=rank,
                kind=entity.kind,
                path=entity.path,
                start_line=entity.start_line,
                end_line=entity.end_line,
                name=entity.name,
                priority=value,
                anomaly_score=None if result is None else round(result.score, 4),
                explanation=describe(result.effects)
                if result is not None and any(f.rule_id == ANOMALY_RULE for f in kept)
                else None,
                findings=tuple(kept),
            )
            for rank, (entity, value, kept, result) in enumerate(self.entries, start=1)
        )


def detect(
    analysis_input: AnalysisInput,
    settings: AnalysisSettings,
    reference_source: ReferenceSource | None = None,
) -> DetectionReport:
    excluded = settings.exclude
    functions = sorted(
        (record for record in analysis_input.functions if not is_excluded(record.path, excluded)),
        key=_key,
    )
    file_complexity = {
        path: value
        for path, value in analysis_input.file_complexity.items()
        if not is_excluded(path, excluded)
    }
    for record in functions:
        file_complexity.setdefault(record.path, 0)
    notes = list(analysis_input.notes)
    sources = _Sources(analysis_input.read_source)
    scoped = AnalysisInput(functions=tuple(functions), history=analysis_input.history)
    names = feature_names(scoped)
    model_report = fit_and_score(names, feature_rows(scoped), settings.model, reference_source)
    without_data = _missing_data(analysis_input)
    if model_report.models:
        notes += model_report.notes
    else:  # too few functions: like a lens without data, not "0% anomalous"
        without_data[ANOMALY_RULE] = (
            f"no anomaly model: {len(functions)} function{'' if len(functions) == 1 else 's'}, "
            f"fewer than the {settings.model.min_functions} a model needs"
        )
    results = model_report.results

    per_function = {_key(record): function_smells(record, settings.rules) for record in functions}
    anomaly_disabled = ANOMALY_RULE in settings.rules.disabled
    flagged = 0
    for record, result in zip(functions, results, strict=True):
        if result is None or not result.flagged or not code_driven(result):
            continue
        flagged += 1
        if not anomaly_disabled:
            per_function[_key(record)].insert(0, anomaly_finding(record, result, settings))

    history = analysis_input.history
    weights = hotspot_weights(history, file_complexity) if history is not None else {}
    hotspot_rank = percentile_ranks({path: float(weight) for path, weight in weights.items()})
    anomaly_rank = percentile_ranks(
        {
            _key(record): result.score
            for record, result in zip(functions, results, strict=True)
            if result is not None
        }
    )
    ranker = _Ranker(sources)
    function_priority: dict[FunctionKey, float] = {}
    for record, result in zip(functions, results, strict=True):
        key = _key(record)
        entity = Entity(
            "function", record.path, record.metrics.start_line, record.metrics.end_line, key[2]
        )
        function_priority[key] = ranker.add(
            entity,
            per_function[key],
            anomaly_rank.get(key, 0.0),
            hotspot_rank.get(record.path, 0.0),
            result,
        )
    by_file = _file_findings(analysis_input, file_complexity, settings)
    most_anomalous: dict[str, float] = {}
    for key, rank in anomaly_rank.items():
        most_anomalous[key[0]] = max(rank, most_anomalous.get(key[0], 0.0))
    file_priority = {
        path: ranker.add(
            Entity("file", path, 1, 1, None),
            by_file.get(path, []),
            most_anomalous.get(path, 0.0),
            hotspot_rank.get(path, 0.0),
            None,
        )
        for path in sorted(set(file_complexity) | set(by_file))
    }
    return DetectionReport(
        items=ranker.items(),
        functions=len(functions),
        files=len(file_complexity),
        flagged=flagged,
        suppressed=ranker.suppressed,
        models=model_report.models,
        features=tuple(names),
        rules_without_data=without_data,
        notes=tuple(notes),
        function_priority=function_priority,
        file_priority=file_priority,
        hotspot_rank=hotspot_rank,
    )
