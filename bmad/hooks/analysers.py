"""Metrics of blobs: asked of the running daemon (fast path, nothing heavy imported here), or
computed in this process with tree-sitter through the content cache keyed by blob id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.extractors.metrics import FileMetrics, FunctionMetrics

if TYPE_CHECKING:
    from bmad.daemon.client import DaemonClient


@dataclass(frozen=True, slots=True)
class Job:
    blob_id: str
    path: str  # for the language and the ".h" header rule
    language: str
    data: bytes


Outcome = FileMetrics | str  # metrics, or why the file could not be analysed
WorstConditions = dict[int, tuple[int, int]]  # function index -> (boolean operators, line)


class DaemonAnalyser:
    """``analyze_buffer`` on one connection; None when no daemon answers at all."""

    def __init__(self, client: DaemonClient) -> None:
        self.client = client
        self.conditions: dict[str, WorstConditions] = {}  # blob id -> worst conditions, as sent

    @classmethod
    def connect(cls, socket_path: Path | None, timeout: float) -> DaemonAnalyser | None:
        from bmad.daemon.client import DaemonClient, DaemonUnavailable

        client = DaemonClient(socket_path, timeout)
        try:
            client.connect()
        except DaemonUnavailable:
            return None
        return cls(client)

    def close(self) -> None:
        self.client.close()

    def analyse(self, jobs: Sequence[Job]) -> tuple[dict[str, Outcome], list[Job]]:
        """Outcomes of the jobs the daemon took, and the jobs left to analyse in-process
        (non-UTF-8 sources, which the text-based API cannot carry, and everything after the
        daemon went away)."""
        from bmad.daemon.client import DaemonUnavailable, RpcError

        done: dict[str, Outcome] = {}
        left: list[Job] = []
        for position, job in enumerate(jobs):
            try:
                text = job.data.decode("utf-8")
            except UnicodeDecodeError:
                left.append(job)
                continue
            params = {"path": job.path, "text": text, "language": job.language}
            try:
                result = self.client.call("analyze_buffer", params)
            except DaemonUnavailable:
                return done, [*left, *jobs[position:]]
            except RpcError as exc:
                done[job.blob_id] = f"the daemon could not analyse it: {exc.rpc_message}"
                continue
            done[job.blob_id] = FileMetrics.from_dict(result["metrics"])
            sent = result.get("conditions")  # absent from daemons older than this hook
            if isinstance(sent, list):
                self.conditions[job.blob_id] = {
                    index: (int(item[0]), int(item[1]))
                    for index, item in enumerate(sent)
                    if item is not None
                }
        return done, left

    def cached_insights(self, learning_type: str) -> list[dict[str, Any]] | None:
        """The federation insights cached on this machine, as the daemon serves them (it has
        the privacy store open already); None when it cannot say (gone, or too old)."""
        from bmad.daemon.client import DaemonUnavailable, RpcError

        try:
            answer = self.client.call("insights", {"learning_type": learning_type})
        except (DaemonUnavailable, RpcError):
            return None
        entries = answer.get("insights") if isinstance(answer, dict) else None
        return entries if isinstance(entries, list) else None


def analyse_in_process(jobs: Sequence[Job]) -> dict[str, Outcome]:
    """tree-sitter in this process, reading and filling the shared content cache."""
    from bmad.daemon.store import cache_store_path
    from bmad.errors import BmadError
    from bmad.scanning.analyse import analyse_source, analyser_version
    from bmad.scanning.cache import MetricsCache

    outcomes: dict[str, Outcome] = {}
    try:
        cache: MetricsCache | None = MetricsCache.open(cache_store_path(), analyser_version())
    except BmadError:
        cache = None  # an unreadable cache costs speed, never the check
    try:
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
    finally:
        if cache is not None:
            cache.close()
    return outcomes


def conditions_of(
    data: bytes, language: str, functions: Sequence[FunctionMetrics]
) -> WorstConditions:
    """Worst boolean-operator count per function (parses with tree-sitter in this process)."""
    from bmad.analysis.conditions import worst_condition_per_function

    return worst_condition_per_function(data, language, functions)
