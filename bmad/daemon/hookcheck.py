"""``check_staged``: the pre-commit comparison run in the daemon, whose parsers, content cache
and privacy store are already open; the hook process only gathers blobs from git.

A request is validated like any method's params (an invalid-params error names what is
wrong), then served under the analysis lock (tree-sitter parsers are shared). The
repository baseline (every function's cognitive complexity at HEAD) is kept per repository
and HEAD commit, so checks retried at one HEAD read the cache once.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.analysis.reference import ANOMALY_REFERENCES
from bmad.daemon.rpc import Params, invalid_params, require
from bmad.hooks.request import CheckOptions, CheckRequest, Job, StagedFile

if TYPE_CHECKING:
    from bmad.extractors.metrics import FileMetrics
    from bmad.hooks.analysers import Outcome
    from bmad.hooks.check import Baseline, CacheKey
    from bmad.scanning.metrics_cache import MetricsCache

InsightsSource = Callable[[], list[dict[str, Any]]]
HEX_DIGITS = frozenset("0123456789abcdef")


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

        request = request_from_params(params)
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
        from bmad.scanning.metrics_cache import MetricsCache

        if self._cache is None:
            self._cache = MetricsCache.open(self.cache_store, analyser_version())
        return self._cache

    def baseline(self, top_level: Path, exclude: Sequence[str]) -> Baseline:
        from bmad.daemon.gitstate import head_commit
        from bmad.hooks.check import cached_baseline

        commit = head_commit(top_level)
        remembered = self._baselines.get(str(top_level))
        if commit is not None and remembered is not None and remembered[0] == (commit, *exclude):
            return remembered[1]
        result = cached_baseline(top_level, exclude, self._lookup)
        # a baseline missing files may fill up as the daemon mines: look again next time
        if commit is not None and result[0] is not None:
            self._baselines[str(top_level)] = ((commit, *exclude), result)
        return result

    def _lookup(self, keys: Sequence[CacheKey]) -> dict[CacheKey, FileMetrics]:
        return self.metrics_cache().lookup(keys)

    def insights(self) -> dict[str, Any] | None:
        from bmad.hooks.check import code_insights

        return code_insights(self._insights())


def request_from_params(params: Params) -> CheckRequest:
    """The request a client sent (:meth:`CheckRequest.to_params`); an invalid-params error
    names what is wrong."""
    top_level = require(params, "top_level", str)
    if not top_level.startswith("/"):
        raise invalid_params("'top_level' must be an absolute path")
    jobs = {job.blob_id: job for job in map(_job, require(params, "blobs", list))}
    files = tuple(_staged_file(item) for item in require(params, "files", list))
    skipped = require(params, "skipped", dict)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in skipped.items()):
        raise invalid_params("'skipped' must map paths to reasons")
    exclude = require(params, "exclude", list)
    if not all(isinstance(pattern, str) for pattern in exclude):
        raise invalid_params("'exclude' must be a list of strings")
    similarity = params.get("rename_similarity")
    if isinstance(similarity, bool) or not isinstance(similarity, int | float):
        raise invalid_params("'rename_similarity' must be a number")
    anomaly_reference = params.get("anomaly_reference", "auto")  # older hooks leave it out
    if anomaly_reference not in ANOMALY_REFERENCES:
        raise invalid_params(f"'anomaly_reference' must be one of {ANOMALY_REFERENCES}")
    return CheckRequest(
        top_level=top_level,
        files=files,
        jobs=jobs,
        skipped=skipped,
        merge=require(params, "merge", bool),
        options=CheckOptions(
            require(params, "rules", dict), tuple(exclude), float(similarity), anomaly_reference
        ),
    )


def _blob_id(value: Any) -> str:
    if not isinstance(value, str) or len(value) not in (40, 64) or not set(value) <= HEX_DIGITS:
        raise invalid_params(f"not a git object id: {str(value)[:80]!r}")
    return value


def _job(item: Any) -> Job:
    if not isinstance(item, dict):
        raise invalid_params("each of 'blobs' must be an object")
    try:
        data = base64.b64decode(require(item, "data", str), validate=True)
    except binascii.Error:
        raise invalid_params("a blob's 'data' is not base64") from None
    return Job(
        _blob_id(item.get("id")), require(item, "path", str), require(item, "language", str), data
    )


def _staged_file(item: Any) -> StagedFile:
    if not isinstance(item, dict):
        raise invalid_params("each of 'files' must be an object")
    parents = tuple(_blob_id(parent) for parent in require(item, "parents", list))
    return StagedFile(
        require(item, "path", str),
        require(item, "language", str),
        _blob_id(item.get("blob_id")),
        parents,
    )


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
