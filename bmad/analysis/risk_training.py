"""Snapshots of a repository's past and the local risk model trained on them.

The model for time T learns from snapshots at T - horizon, T - horizon - step, ...: each
snapshot's features as of its own time, labelled by the fixes in the horizon after it, so that
no label comes from after T. The model's form is chosen the same way one step earlier
(:func:`bmad.analysis.risk_model.select`): validated on the snapshots at T - horizon and
T - horizon - step with models trained on the snapshots before them, so the window after T
never decides anything. Code metrics come from the revision at each snapshot (through the
metrics cache, by blob id), history from the commit records, the import graph from the
revision's tree, and the detection marks from bmad's own ranking run as of the snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bmad.analysis.adapters import architecture_facts, functions_of, history_facts
from bmad.analysis.detect import ANOMALY_RULE, DetectionReport, detect
from bmad.analysis.inputs import AnalysisInput, ArchitectureFacts
from bmad.analysis.ranking import SEVERITY_WEIGHTS
from bmad.analysis.risk_features import (
    FILE_FEATURES,
    FUNCTION_FEATURES,
    Marks,
    ModulePosition,
    RiskRow,
    Snapshot,
    file_rows,
    function_rows,
    labels,
)
from bmad.analysis.risk_model import (
    CHOICES,
    LabelledSnapshot,
    ModelChoice,
    RiskModel,
    Selection,
    TrainingSet,
    select,
    train,
)
from bmad.analysis.settings import AnalysisSettings, analysis_settings
from bmad.config import DEFAULTS
from bmad.extractors.fixes import FixedCode
from bmad.extractors.history import SECONDS_PER_DAY, CommitRecord, TipTree
from bmad.extractors.history_report import analyse_history, options_from_settings
from bmad.scanning.pipeline import ScanOptions, ScanResult, scan_commit
from bmad.scanning.risk import reachable, revision_architecture, revision_at, revision_files

HORIZON_DAYS = 365
STEP_DAYS = HORIZON_DAYS / 2  # so that two steps back a snapshot's labels end where one begins
SNAPSHOTS = 4  # per model
VALIDATION_WINDOWS = 2


@dataclass(frozen=True, slots=True)
class RepositoryPast:
    """A repository's commits (reachable from ``tip``) and the fixes labelled among them."""

    path: Path
    tip: str
    commits: Sequence[CommitRecord]
    fixes: Sequence[FixedCode]


@dataclass(frozen=True, slots=True)
class LocalModel:
    model: RiskModel | None  # None: too little history
    selection: Selection


def load_snapshot(
    past: RepositoryPast,
    when: int,
    options: ScanOptions | None = None,
    with_architecture: bool = True,
    detection: AnalysisSettings | None = None,
) -> Snapshot | None:
    """The repository as it was at ``when``, or None before its first commit; with
    ``detection``, bmad's ranking of that revision as of ``when`` gives the marks."""
    revision = revision_at(past.path, past.tip, when)
    if revision is None:
        return None
    scan = scan_commit(past.path, revision, options)
    commits = reachable(past.commits, revision)
    facts: ArchitectureFacts | None = None
    modules: dict[str, ModulePosition] | None = None
    if with_architecture:
        facts = architecture_facts(
            revision_architecture(past.path, revision, scan), [f.path for f in scan.files], False
        )
        cyclic = {path for cycle in facts.cycles for path in cycle}
        modules = {
            path: ModulePosition(module.fan_in, module.fan_out, path in cyclic)
            for path, module in facts.modules.items()
        }
    marks = None
    if detection is not None:
        report = _detect_at(past.path, revision, when, scan, commits, facts, detection)
        marks = detection_marks(report)
    return Snapshot(
        time=when,
        code={scanned.path: scanned.metrics for scanned in scan.files},
        commits=commits,
        fixes=[fix for fix in past.fixes if fix.time <= when],
        modules=modules,
        marks=marks,
    )


def default_detection() -> AnalysisSettings:
    """The ranking's settings with nothing configured."""
    return analysis_settings(DEFAULTS["rules"], DEFAULTS["analysis"])


def _detect_at(
    path: Path,
    revision: str,
    when: int,
    scan: ScanResult,
    commits: Sequence[CommitRecord],
    architecture: ArchitectureFacts | None,
    settings: AnalysisSettings,
) -> DetectionReport:
    functions, complexity = functions_of(scan)
    paths, read = revision_files(path, revision)
    history = analyse_history(
        commits,
        TipTree(revision, paths),
        options_from_settings(DEFAULTS["history"]),
        when,
        complexity,
    )
    analysis_input = AnalysisInput(
        functions=functions,
        file_complexity=complexity,
        history=history_facts(history),
        architecture=architecture,
        read_source=read,
    )
    return detect(analysis_input, settings)


def detection_marks(report: DetectionReport) -> dict[tuple[str, str | None], Marks]:
    """Per file and function, its priority, smell weight and anomaly flags from the report."""
    smells: dict[tuple[str, str | None], float] = {}
    anomalous: dict[tuple[str, str | None], int] = {}
    for item in report.items:
        weight = sum(
            SEVERITY_WEIGHTS[f.severity] for f in item.findings if f.rule_id != ANOMALY_RULE
        )
        flagged = int(any(f.rule_id == ANOMALY_RULE for f in item.findings))
        keys: list[tuple[str, str | None]] = [(item.path, None)]
        if item.kind == "function":
            keys.append((item.path, item.name))
        for key in keys:
            smells[key] = smells.get(key, 0.0) + weight
            anomalous[key] = anomalous.get(key, 0) + flagged
    priority: dict[tuple[str, str | None], float] = {
        (path, None): value for path, value in report.file_priority.items()
    }
    for (path, _line, name), value in report.function_priority.items():
        priority[(path, name)] = max(priority.get((path, name), 0.0), value)
    return {
        key: Marks(priority.get(key, 0.0), smells.get(key, 0.0), anomalous.get(key, 0))
        for key in priority.keys() | smells.keys()
    }


def rows_of(snapshot: Snapshot, level: str) -> list[RiskRow]:
    """``level``: "file" or "function"."""
    return file_rows(snapshot) if level == "file" else function_rows(snapshot)


def features_of(level: str) -> tuple[str, ...]:
    return FILE_FEATURES if level == "file" else FUNCTION_FEATURES


def labelled(
    snapshot: Snapshot, level: str, fixes: Sequence[FixedCode], horizon_days: int = HORIZON_DAYS
) -> LabelledSnapshot:
    """The snapshot's rows, labelled by the fixes in the horizon after it."""
    rows = rows_of(snapshot, level)
    found = labels(rows, fixes, snapshot.time, snapshot.time + horizon_days * SECONDS_PER_DAY)
    keys = [row.path if row.function is None else f"{row.path}:{row.function}" for row in rows]
    return LabelledSnapshot(snapshot.time, [row.values for row in rows], found, keys)


def past_snapshots(
    past: RepositoryPast,
    at: int,
    count: int,
    options: ScanOptions | None = None,
    horizon_days: int = HORIZON_DAYS,
    step_days: float = STEP_DAYS,
    detection: AnalysisSettings | None = None,
) -> list[Snapshot]:
    """Up to ``count`` snapshots whose label windows end by ``at``, newest first (fewer when
    the repository is younger)."""
    found = []
    for index in range(count):
        when = at - round((horizon_days + index * step_days) * SECONDS_PER_DAY)
        snapshot = load_snapshot(past, when, options, detection=detection)
        if snapshot is None or not snapshot.code:
            break
        found.append(snapshot)
    return found


def fit_local_model(
    snapshots: Sequence[LabelledSnapshot],
    level: str,
    horizon_days: int = HORIZON_DAYS,
    window: int = SNAPSHOTS,
    folds: int = VALIDATION_WINDOWS,
    choices: Sequence[ModelChoice] = CHOICES,
) -> LocalModel:
    """The model for the time after ``snapshots`` (newest first, each labelled): its form
    chosen on the validation windows, then trained on the ``window`` newest snapshots."""
    features = features_of(level)
    horizon = horizon_days * SECONDS_PER_DAY
    selection = select(features, snapshots, horizon, window, folds, choices)
    model = train(TrainingSet(features, snapshots[:window]), selection.choice)
    return LocalModel(model, selection)


def local_model(
    past: RepositoryPast,
    at: int,
    level: str,
    options: ScanOptions | None = None,
    detection: AnalysisSettings | None = None,
) -> LocalModel:
    """The model for ``at`` from the repository's own past."""
    count = SNAPSHOTS + VALIDATION_WINDOWS + 1
    snapshots = past_snapshots(past, at, count, options, detection=detection)
    return fit_local_model([labelled(s, level, past.fixes) for s in snapshots], level)
