"""Metrics of blobs with tree-sitter through the content cache keyed by blob id; used by
whichever process runs the check."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bmad.extractors.metrics import FileMetrics
from bmad.hooks.request import Job

if TYPE_CHECKING:
    from bmad.scanning.metrics_cache import MetricsCache

Outcome = FileMetrics | str  # metrics, or why the file could not be analysed


def analyse_jobs(jobs: Sequence[Job], cache: MetricsCache | None) -> dict[str, Outcome]:
    """Outcome per blob id: a cache hit, or a parse whose result goes into the cache."""
    from bmad.errors import BmadError
    from bmad.scanning.analyse import analyse_source

    outcomes: dict[str, Outcome] = {}
    keys = [(job.blob_id, job.language) for job in jobs]
    cached = cache.lookup(keys) if cache is not None else {}
    fresh: dict[tuple[str, str], FileMetrics] = {}
    for job in jobs:
        hit = cached.get((job.blob_id, job.language))
        if hit is not None:
            outcomes[job.blob_id] = hit
            continue
        try:
            metrics = analyse_source(job.data, job.language, job.path.lower().endswith(".h"))
        except Exception as exc:  # an extractor bug must cost one file, not the commit
            outcomes[job.blob_id] = f"analysis failed: {type(exc).__name__}: {exc}"
            continue
        outcomes[job.blob_id] = metrics
        fresh[(job.blob_id, job.language)] = metrics
    if cache is not None:
        # the cache is an optimisation; a locked or read-only store is fine
        with contextlib.suppress(BmadError):
            cache.save(fresh)
    return outcomes


def analyse_in_process(jobs: Sequence[Job]) -> dict[str, Outcome]:
    """:func:`analyse_jobs` with the shared content cache opened for the call."""
    from bmad.errors import BmadError
    from bmad.scanning.analyse import analyser_version
    from bmad.scanning.metrics_cache import MetricsCache
    from bmad.store.connection import cache_store_path

    try:
        cache: MetricsCache | None = MetricsCache.open(cache_store_path(), analyser_version())
    except BmadError:
        cache = None  # an unreadable cache costs speed, never the check
    try:
        return analyse_jobs(jobs, cache)
    finally:
        if cache is not None:
            cache.close()
