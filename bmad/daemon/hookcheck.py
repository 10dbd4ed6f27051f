"""``check_staged``: the pre-commit comparison run in the daemon, whose parsers, content cache
and privacy store are already open; the hook process only gathers blobs from git.

Requests are serialised under the analysis lock (tree-sitter parsers are shared). The
repository baseline (every function's cognitive complexity at HEAD) is kept per repository
and HEAD commit, so checks retried at one HEAD read the cache once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.daemon.rpc import invalid_params

if TYPE_CHECKING:
    from bmad.hooks.analysers import Outcome
    from bmad.hooks.check import Baseline
    from bmad.hooks.request import Job
    from bmad.scanning.cache import MetricsCache

InsightsSource = Callable[[], list[dict[str, Any]]]


class HookChecker:
    def __init__(
        self, cache_store: Path, analysis_lock: threading.Lock, insights: InsightsSource
    ) -> None:
        self.cache_store = cache_store
        self.analysis_lock = analysis_lock
        self._insights = insights
        self._cache: MetricsCache | None = None
        # top level -> ((HEAD's commit, *exclude patterns), the baseline they gave)
        self._baselines: dict[str, tuple[tuple[str, ...], Baseline]] = {}

    def close(self) -> None:
        with self.analysis_lock:
            if self._cache is not None:
                self._cache.close()
            self._cache = None
            self._baselines.clear()

    def check(self, params: dict[str, Any]) -> dict[str, Any]:
        from bmad.errors import BmadError
        from bmad.extractors.languages import LANGUAGE_NAMES
        from bmad.hooks.check import run_check
        from bmad.hooks.request import CheckRequest, MalformedRequest

        try:
            request = CheckRequest.from_params(params)
        except MalformedRequest as exc:
            raise invalid_params(str(exc)) from None
        unknown = {job.language for job in request.jobs.values()} - set(LANGUAGE_NAMES)
        if unknown:
            raise invalid_params(f"unknown language(s): {', '.join(sorted(unknown))}")
        # parent versions may be absent (binary, too large: compared without them), a checked
        # file's own blob may not
        if any(
            file.blob_id not in request.jobs and file.path not in request.skipped
            for file in request.files
        ):
            raise invalid_params("a staged file's blob is not among 'blobs'")
        if not Path(request.top_level).is_dir():
            raise invalid_params("'top_level' is not a directory")
        with self.analysis_lock:
            try:
                return run_check(request, _DaemonEngine(self)).to_dict()
            except BmadError as exc:  # an invalid [rules] table
                raise invalid_params(exc.message) from None

    def metrics_cache(self) -> MetricsCache:
        from bmad.scanning.analyse import analyser_version
        from bmad.scanning.cache import MetricsCache

        if self._cache is None:
            self._cache = MetricsCache.open(self.cache_store, analyser_version())
        return self._cache

    def baseline(self, top_level: Path, exclude: Sequence[str]) -> Baseline:
        from bmad.daemon.gitstate import head_commit
        from bmad.errors import BmadError
        from bmad.hooks.check import baseline_from, head_cache_keys

        commit = head_commit(top_level)
        remembered = self._baselines.get(str(top_level))
        if commit is not None and remembered is not None and remembered[0] == (commit, *exclude):
            return remembered[1]
        keys = head_cache_keys(top_level, exclude)
        if not keys:
            return baseline_from(keys, {})
        try:
            found = self.metrics_cache().lookup(keys)
        except BmadError as exc:
            return None, f"no repository baseline ({exc.message})"
        result = baseline_from(keys, found)
        # a baseline missing files may fill up as the daemon mines: look again next time
        if commit is not None and result[0] is not None:
            self._baselines[str(top_level)] = ((commit, *exclude), result)
        return result

    def insights(self) -> dict[str, Any] | None:
        from bmad.hooks.check import code_insights

        return code_insights(self._insights())


class _DaemonEngine:
    name = "daemon"

    def __init__(self, checker: HookChecker) -> None:
        self.checker = checker

    def analyse(self, jobs: Sequence[Job]) -> dict[str, Outcome]:
        from bmad.hooks.analysers import analyse_jobs

        return analyse_jobs(jobs, self.checker.metrics_cache())

    def baseline(self, top_level: Path, exclude: Sequence[str]) -> Baseline:
        return self.checker.baseline(top_level, exclude)

    def insights(self) -> dict[str, Any] | None:
        return self.checker.insights()
