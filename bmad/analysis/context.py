"""What a buffer is compared with: its repository's functions, anomaly models and stored
findings (history and architecture), read without writing to the data store."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.analysis.features import CODE_FEATURES, family_of, feature_rows
from bmad.analysis.findings import Finding
from bmad.analysis.inputs import AnalysisInput, FunctionRecord
from bmad.analysis.reference import LocalOnly, LocalReference, ReferenceSource
from bmad.analysis.settings import ModelSettings
from bmad.errors import BmadError
from bmad.store.connection import Store, data_store_path

if TYPE_CHECKING:
    from bmad.analysis.model import AnomalyResult, FamilyModel

POOLED = "pooled"


@dataclass(frozen=True, slots=True)
class RepositoryContext:
    root: Path
    functions: int
    models: dict[str, FamilyModel]  # language family (or "pooled") -> fitted forest
    references: dict[str, LocalReference]  # language family (or "pooled") -> distribution
    seconds: float
    notes: tuple[str, ...] = ()
    # (model, min score, feature values) -> result: while typing, only the edited function
    # changes, so only it is scored again. Touched by one analysis thread at a time.
    scores: dict[tuple[str, float, tuple[float, ...]], AnomalyResult] = field(default_factory=dict)

    def model_for(self, language: str) -> FamilyModel | None:
        return self.models.get(family_of(language)) or self.models.get(POOLED)

    def reference_for(self, language: str) -> LocalReference | None:
        return self.references.get(family_of(language)) or self.references.get(POOLED)


def _reference(records: Sequence[FunctionRecord]) -> LocalReference:
    return LocalReference(
        {name: [float(getattr(r.metrics, name)) for r in records] for name in CODE_FEATURES}
    )


def fit_context(
    root: Path,
    records: Sequence[FunctionRecord],
    settings: ModelSettings,
    seconds: float = 0.0,
    source: ReferenceSource | None = None,
) -> RepositoryContext:
    """Models chosen as detection chooses them: a family with enough functions gets its own
    forest, the others share the pooled one; below ``min_functions`` there is none. The
    models refer to ``source`` (default: the repository's own functions).

    Code features only: the history features are the file's, and the stored file-level
    findings (hotspot, coupling, ownership) report them.
    """
    by_family: dict[str, list[FunctionRecord]] = {}
    for record in records:
        by_family.setdefault(family_of(record.language), []).append(record)
    references = {family: _reference(group) for family, group in by_family.items()}
    references[POOLED] = _reference(records)
    models: dict[str, FamilyModel] = {}
    notes: list[str] = []
    if len(records) < settings.min_functions:
        notes.append(
            f"no anomaly model: {len(records)} functions in the repository, "
            f"fewer than the {settings.min_functions} a model needs"
        )
    else:
        from bmad.analysis.model import FamilyModel

        rows = feature_rows(AnalysisInput(functions=tuple(records)))
        pooled_needed = False
        source = source or LocalOnly()
        for family, group in sorted(by_family.items()):
            if len(group) < settings.min_family_functions:
                pooled_needed = True
                continue
            family_rows = [row for row in rows if row.family == family]
            models[family] = FamilyModel(family, CODE_FEATURES, family_rows, settings, source)
        if pooled_needed:
            models[POOLED] = FamilyModel(POOLED, CODE_FEATURES, rows, settings, source)
    return RepositoryContext(root, len(records), models, references, seconds, tuple(notes))


def build_context(
    root: Path,
    settings: ModelSettings,
    max_file_size: int,
    source: ReferenceSource | None = None,
) -> RepositoryContext:
    """Scan the repository (the metrics cache makes repeated scans cheap) and fit its models.

    One worker: callers run this on an analysis thread, and forking a pool from a threaded
    process is not safe.
    """
    from bmad.analysis.adapters import functions_of
    from bmad.scanning import ScanOptions, scan_repository

    started = time.perf_counter()
    scan = scan_repository(root, ScanOptions(jobs=1, max_file_size=max_file_size))
    records, _complexity = functions_of(scan)
    return fit_context(scan.root, records, settings, time.perf_counter() - started, source)


class ReadOnlyStore(Store):
    """The data store opened read-only: readers never write it (nor migrate it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.connection = sqlite3.connect(
                f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise BmadError(f"cannot open the bmad store at {path}: {exc}") from exc


def file_level(findings: Sequence[Finding]) -> list[Finding]:
    """The findings about a whole file (history, architecture), not about one function."""
    return [finding for finding in findings if finding.function is None]


def findings_from_store(root: Path, relative: str, path: Path | None = None) -> list[Finding]:
    """File-level findings last stored for the file; none when nothing was stored yet."""
    from bmad.analysis.store import load_findings

    store_path = path or data_store_path()
    if not store_path.exists():
        return []
    with ReadOnlyStore(store_path) as store:
        try:
            return file_level(load_findings(store, root, relative))
        except sqlite3.OperationalError:  # no findings table: analysis never ran here
            return []
