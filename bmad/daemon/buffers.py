"""``analyze_buffer``: one editor buffer (path + text) against its repository's context.

The context (the repository's functions, their anomaly models and percentiles) is built from
what the daemon mined, on the first buffer of that repository, and again after each new
mining pass. scikit-learn is imported only when a repository has enough functions for a
model, so a daemon that never analyses a buffer stays light.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.daemon.rpc import invalid_params

if TYPE_CHECKING:
    from bmad.analysis.context import RepositoryContext
    from bmad.analysis.findings import Finding
    from bmad.analysis.settings import AnalysisSettings, ModelSettings
    from bmad.scanning.metrics_cache import MetricsCache
    from bmad.store.connection import Store
    from bmad.store.registry import Repository


def buffer_language(path: str, language: str | None) -> str:
    """The language named by the request or by the path's extension; an error otherwise."""
    from bmad.extractors.languages import LANGUAGE_NAMES, language_for_path

    chosen = language or language_for_path(path)
    if chosen is None:
        raise invalid_params(f"no supported language for {path!r}")
    if chosen not in LANGUAGE_NAMES:
        raise invalid_params(f"unknown language {chosen!r}")
    return chosen


def check_text(text: str) -> None:
    if "\x00" in text:
        raise invalid_params("'text' is binary (NUL characters); not analysed")


@dataclass(frozen=True, slots=True)
class _Built:
    mined_at: float
    model: ModelSettings
    insights_at: str | None  # arrival of the code-pattern insights the models refer to
    context: RepositoryContext


class BufferAnalyst:
    """Repository contexts kept per registered repository, and the buffer analysis itself.
    Called from connection threads: contexts are built under one lock, and buffers are
    parsed under ``parse_lock`` (the tree-sitter parsers are shared and not thread-safe)."""

    def __init__(self, data_store: Path, cache_store: Path, parse_lock: threading.Lock) -> None:
        self.data_store = data_store
        self.cache_store = cache_store
        self.parse_lock = parse_lock
        self._lock = threading.Lock()
        self._contexts: dict[int, _Built] = {}
        self._store: Store | None = None
        self._cache: MetricsCache | None = None

    def close(self) -> None:
        with self._lock:
            if self._cache is not None:
                self._cache.close()
            if self._store is not None:
                self._store.close()
            self._cache = self._store = None
            self._contexts.clear()

    def analyse(
        self,
        path: str,
        text: str,
        language: str,
        repository: Repository | None,
        rules: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``rules`` (the editor's merged ``[rules]`` table) replaces the configured one."""
        from bmad import config
        from bmad.analysis.buffer import analyse_buffer
        from bmad.analysis.settings import analysis_settings

        root = Path(repository.path) if repository is not None else None
        relative = path
        if root is not None:
            relative = Path(path).resolve().relative_to(root).as_posix()
        loaded = config.load(root)
        chosen_rules = loaded.section("rules") if rules is None else rules
        settings = analysis_settings(chosen_rules, loaded.section("analysis"))
        context: RepositoryContext | None = None
        stored: list[Finding] = []
        notes: list[str] = []
        if repository is not None:
            context, stored = self._repository_view(repository, relative, settings, notes)
        with self.parse_lock:
            report = analyse_buffer(text, relative, language, settings, context, stored)
        answer = report.to_dict()
        answer["notes"] = [*notes, *answer["notes"]]
        answer["repository"] = repository.name if repository is not None else None
        return answer

    def _repository_view(
        self,
        repository: Repository,
        relative: str,
        settings: AnalysisSettings,
        notes: list[str],
    ) -> tuple[RepositoryContext | None, list[Finding]]:
        from bmad.analysis.context import file_level
        from bmad.analysis.store import load_findings
        from bmad.federation.synthetic import code_insights_received_at

        with self._lock:
            store = self._data_store()
            row = store.connection.execute(
                "SELECT mined_at FROM repository_state WHERE repository_id = ?",
                (repository.id,),
            ).fetchone()
            mined_at = None if row is None else row[0]
            if mined_at is None:
                notes.append("the repository has not been mined yet: no anomaly model")
                return None, []
            insights_at = code_insights_received_at(store)
            built = self._contexts.get(repository.id)
            if (
                built is None
                or built.mined_at != mined_at
                or built.model != settings.model
                or built.insights_at != insights_at
            ):
                context = self._fit(store, repository, settings)
                built = _Built(mined_at, settings.model, insights_at, context)
                self._contexts[repository.id] = built
            try:
                stored = file_level(load_findings(store, Path(repository.path), relative))
            except sqlite3.OperationalError:  # no findings table: detection never ran
                stored = []
        return built.context, stored

    def _fit(
        self, store: Store, repository: Repository, settings: AnalysisSettings
    ) -> RepositoryContext:
        """The repository's functions as last mined (from the metrics cache), fitted."""
        import time

        from bmad.analysis.context import fit_context
        from bmad.analysis.excludes import is_excluded
        from bmad.analysis.inputs import FunctionRecord

        started = time.perf_counter()
        rows = store.connection.execute(
            "SELECT path, blob_id, language FROM repository_files "
            "WHERE repository_id = ? AND error IS NULL ORDER BY path",
            (repository.id,),
        ).fetchall()
        wanted = [
            (path, blob_id, language)
            for path, blob_id, language in rows
            if not is_excluded(path, settings.exclude)
        ]
        cached = self._metrics_cache().lookup_files((path, blob) for path, blob, _ in wanted)
        records = []
        for path, _blob_id, language in wanted:
            metrics = cached.get(path)
            if metrics is not None:
                records += [FunctionRecord(path, language, f) for f in metrics.functions]
        from bmad.federation.synthetic import machine_source

        return fit_context(
            Path(repository.path),
            records,
            settings.model,
            time.perf_counter() - started,
            machine_source(settings.model.anomaly_reference, self.data_store),
        )

    def _data_store(self) -> Store:
        from bmad.store.connection import Store

        if self._store is None:
            self._store = Store(self.data_store)
        return self._store

    def _metrics_cache(self) -> MetricsCache:
        from bmad.scanning.analyse import analyser_version
        from bmad.scanning.metrics_cache import MetricsCache

        if self._cache is None:
            self._cache = MetricsCache.open(self.cache_store, analyser_version())
        return self._cache
