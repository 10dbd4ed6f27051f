"""Snapshots of a repository's past and the local risk model trained on them.

The model for time T learns from snapshots at T - horizon, T - horizon - step, ...: each
snapshot's features as of its own time, labelled by the fixes in the horizon after it, so that
no label comes from after T. Code metrics come from the revision at each snapshot (through the
metrics cache, by blob id), history from the commit records, the import graph from the
revision's tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bmad.analysis.adapters import architecture_facts
from bmad.analysis.risk_features import (
    FILE_FEATURES,
    FUNCTION_FEATURES,
    ModulePosition,
    RiskRow,
    Snapshot,
    file_rows,
    function_rows,
    labels,
)
from bmad.analysis.risk_model import RiskModel, TrainingSet, train
from bmad.extractors.fixes import FixedCode
from bmad.extractors.history import SECONDS_PER_DAY, CommitRecord
from bmad.scanning.pipeline import ScanOptions, scan_commit
from bmad.scanning.risk import reachable, revision_architecture, revision_at

HORIZON_DAYS = 365
STEP_DAYS = 182
SNAPSHOTS = 4


@dataclass(frozen=True, slots=True)
class RepositoryPast:
    """A repository's commits (reachable from ``tip``) and the fixes labelled among them."""

    path: Path
    tip: str
    commits: Sequence[CommitRecord]
    fixes: Sequence[FixedCode]


def load_snapshot(
    past: RepositoryPast,
    when: int,
    options: ScanOptions | None = None,
    with_architecture: bool = True,
) -> Snapshot | None:
    """The repository as it was at ``when``, or None before its first commit."""
    revision = revision_at(past.path, past.tip, when)
    if revision is None:
        return None
    scan = scan_commit(past.path, revision, options)
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
    return Snapshot(
        time=when,
        code={scanned.path: scanned.metrics for scanned in scan.files},
        commits=reachable(past.commits, revision),
        fixes=[fix for fix in past.fixes if fix.time <= when],
        modules=modules,
    )


def rows_of(snapshot: Snapshot, level: str) -> list[RiskRow]:
    """``level``: "file" or "function"."""
    return file_rows(snapshot) if level == "file" else function_rows(snapshot)


def training_set(
    past: RepositoryPast,
    at: int,
    level: str,
    options: ScanOptions | None = None,
    horizon_days: int = HORIZON_DAYS,
    step_days: int = STEP_DAYS,
    snapshots: int = SNAPSHOTS,
    with_architecture: bool = True,
) -> TrainingSet:
    """Rows and labels of the snapshots before ``at`` whose label windows end by ``at``."""
    horizon = horizon_days * SECONDS_PER_DAY
    rows: list[tuple[float, ...]] = []
    found: list[bool] = []
    taken = 0
    for index in range(snapshots):
        when = at - horizon - index * step_days * SECONDS_PER_DAY
        snapshot = load_snapshot(past, when, options, with_architecture)
        if snapshot is None or not snapshot.code:
            break
        snapshot_rows = rows_of(snapshot, level)
        rows += [row.values for row in snapshot_rows]
        found += labels(snapshot_rows, past.fixes, when, when + horizon)
        taken += 1
    features = FILE_FEATURES if level == "file" else FUNCTION_FEATURES
    return TrainingSet(features, rows, found, taken)


def local_model(
    past: RepositoryPast, at: int, level: str, options: ScanOptions | None = None
) -> RiskModel | None:
    """The model for ``at`` from the repository's own past; None without enough history."""
    return train(training_set(past, at, level, options))
