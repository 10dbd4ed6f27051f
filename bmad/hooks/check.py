"""The comparison behind ``bmad hook pre-commit``, wherever it runs: the staged blobs' metrics
against their parents', the findings they gained, and where the worse functions now stand.

An :class:`Engine` supplies what needs the machine's state: metrics of blobs (from the content
cache or a parse), the repository's baseline and the cached federation insights. The hook
process has one (:class:`InProcessEngine`); the daemon has its own, with warm parsers and
stores, so a commit checked through it imports and opens none of them in the hook.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bmad.analysis.excludes import is_excluded
from bmad.analysis.settings import rule_settings
from bmad.errors import BmadError
from bmad.extractors.languages import language_for_path
from bmad.extractors.metrics import FileMetrics
from bmad.hooks import gitcli
from bmad.hooks.analysers import Outcome, analyse_in_process
from bmad.hooks.compare import Regression, Version, compare_file
from bmad.hooks.request import CheckOptions, CheckRequest, Job

MIN_BASELINE_COVERAGE = 0.5  # share of the repository's files the cache must know
MIN_BASELINE_FUNCTIONS = 30  # fewer: a percentile says nothing (as the anomaly model's minimum)

Baseline = tuple[list[int] | None, str]  # sorted cognitive values at HEAD, or None; and why
CacheKey = tuple[str, str]  # (blob id, language), as the content cache is keyed
CacheLookup = Callable[[Sequence[CacheKey]], Mapping[CacheKey, FileMetrics]]


class Engine(Protocol):
    name: str

    def analyse(self, jobs: Sequence[Job]) -> dict[str, Outcome]: ...

    def baseline(self, top_level: Path, exclude: Sequence[str]) -> Baseline: ...

    def insights(self) -> dict[str, Any] | None: ...


@dataclass(slots=True)
class CheckReport:
    regressions: list[Regression] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> reason
    engine: str = "none"  # daemon | in-process | none
    merge: bool = False
    baseline: str | None = None  # where local standings come from, or why there are none
    global_insights: str | None = None
    reference: str | None = None  # whose functions the standings compare with
    risks: list[dict[str, Any]] = field(default_factory=list)  # staged files' stored risks

    def to_dict(self) -> dict[str, Any]:
        return {
            "regressions": [regression.to_dict() for regression in self.regressions],
            "checked": self.checked,
            "skipped": [{"path": path, "reason": why} for path, why in self.skipped.items()],
            "engine": self.engine,
            "merge": self.merge,
            "baseline": self.baseline,
            "global_insights": self.global_insights,
            "reference": self.reference,
            "risks": self.risks,
        }


def staged_risks(
    top_level: Path, paths: Sequence[str], exclude: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The defect risks the daemon or the CLI stored for the staged files, in the order of the
    ranking's risk term (risk x lines), each with its percentile there (read only: a hook
    never trains a model)."""
    from bmad.analysis.risk_store import stored_file_risks

    found = stored_file_risks(top_level, paths, exclude)
    ordered = sorted(found.values(), key=lambda r: (-r.risk_x_size, r.path))
    return [risk.to_dict() for risk in ordered]


def run_check(request: CheckRequest, engine: Engine) -> CheckReport:
    """Raises :class:`BmadError` when the [rules] table is invalid."""
    rules = rule_settings(request.options.rules)
    report = CheckReport(skipped=dict(request.skipped), merge=request.merge)
    if not request.jobs:
        return report
    outcomes = engine.analyse(list(request.jobs.values()))
    report.engine = engine.name
    report.risks = staged_risks(
        Path(request.top_level), [file.path for file in request.files], request.options.exclude
    )
    for file in request.files:
        if file.path in report.skipped:
            continue
        outcome = outcomes.get(file.blob_id)
        if not isinstance(outcome, FileMetrics):
            report.skipped[file.path] = outcome or "not analysed"
            continue
        report.checked.append(file.path)
        parents = [
            _version(request.jobs[blob_id], parent)
            for blob_id in file.parent_blob_ids
            if isinstance(parent := outcomes.get(blob_id), FileMetrics)
        ]
        report.regressions += compare_file(
            file.path,
            outcome.language,
            _version(request.jobs[file.blob_id], outcome),
            parents,
            rules,
            request.options.rename_similarity,
        )
    if report.regressions:
        _add_standings(Path(request.top_level), report, request.options, engine)
    return report


def _version(job: Job, metrics: FileMetrics) -> Version:
    return Version(
        functions=metrics.functions,
        lines=tuple(job.data.decode("utf-8", "replace").splitlines()),
    )


def share_below(sorted_values: Sequence[float], value: float) -> float:
    """Share of values strictly below ``value`` (what "above N% of functions" means)."""
    if not sorted_values:
        return 0.0
    return bisect.bisect_left(sorted_values, value) / len(sorted_values)


def _head_cache_keys(top_level: Path, exclude: Sequence[str]) -> list[CacheKey] | None:
    """(blob id, language) of every analysed file at HEAD; None before the first commit."""
    try:
        tree = gitcli.tree_blobs(top_level, "HEAD")
    except BmadError:
        return None
    return [
        (blob_id, language)
        for path, blob_id in tree.items()
        if (language := language_for_path(path)) is not None and not is_excluded(path, exclude)
    ]


def _baseline_from(
    keys: Sequence[CacheKey] | None, found: Mapping[CacheKey, FileMetrics]
) -> Baseline:
    """Cognitive complexity of every function at HEAD, from what the content cache knows of
    ``keys`` (never parsed: the hook must stay fast); None with the reason when too little."""
    if keys is None:
        return None, "no repository baseline yet (first commit)"
    if not keys:
        return None, "no repository baseline (no analysed files at HEAD)"
    if len(found) < MIN_BASELINE_COVERAGE * len(keys):
        return None, (
            f"no repository baseline: {len(found)} of {len(keys)} files at HEAD are analysed "
            "(run `bmad scan` or register the repository with the daemon)"
        )
    values = sorted(
        function.cognitive for metrics in found.values() for function in metrics.functions
    )
    if len(values) < MIN_BASELINE_FUNCTIONS:
        return None, f"no repository baseline: only {len(values)} functions at HEAD"
    return values, f"{len(values)} functions in {len(found)} files at HEAD"


def cached_baseline(top_level: Path, exclude: Sequence[str], lookup: CacheLookup) -> Baseline:
    """The baseline from what ``lookup`` finds in the content cache for HEAD's files; a cache
    that cannot be read (:class:`BmadError`) leaves none, with the reason."""
    keys = _head_cache_keys(top_level, exclude)
    if not keys:
        return _baseline_from(keys, {})
    try:
        found = lookup(keys)
    except BmadError as exc:
        return None, f"no repository baseline ({exc.message})"
    return _baseline_from(keys, found)


def _reference_insights(
    insights: dict[str, Any] | None, setting: str
) -> tuple[dict[str, Any] | None, str]:
    """The insights the standings may use under ``[analysis] anomaly_reference``, and what
    that makes the reference: "local" never the federation's, "auto" only its confident
    releases, "global" whatever it released."""
    if setting == "local":
        return None, "this repository's functions; [analysis] anomaly_reference = local"
    if not insights:
        return None, "this repository's functions; no cached federation insights"
    from bmad.federation.synthetic import AUTO_CONFIDENCE, confident_percentiles

    if setting == "auto":
        insights = confident_percentiles(insights, AUTO_CONFIDENCE)
        if not insights["percentiles"]:
            return None, "this repository's functions; no confident federation insights"
    return insights, "this repository's functions; nothing released for these languages"


def _add_standings(
    top_level: Path, report: CheckReport, options: CheckOptions, engine: Engine
) -> None:
    values, report.baseline = engine.baseline(top_level, options.exclude)
    cached = engine.insights()
    report.global_insights = (
        "cached federation insights" if cached else "no cached federation insights"
    )
    insights, report.reference = _reference_insights(cached, options.anomaly_reference)
    for regression in report.regressions:
        cognitive = regression.metrics.cognitive
        if values:
            above = share_below(values, cognitive)
            regression.standing["repository"] = {
                "metric": "cognitive",
                "above_share": round(above, 4),
                "text": f"now above {int(above * 100)}% of functions in this repository",
            }
        if insights:
            from bmad.federation.insights import standing

            found = standing(insights, "cognitive", regression.language, cognitive)
            if found is not None:
                regression.standing["global"] = found
                report.reference = f"{found['organisations']} organisations' functions" + (
                    " and this repository's" if values else ""
                )


def code_insights(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The latest code-pattern insights among the cached federation insights."""
    for entry in entries:
        if entry["learning_type"] == "code_patterns":
            document: dict[str, Any] = entry["insights"]
            return document
    return None


def _lookup_once(keys: Sequence[CacheKey]) -> dict[CacheKey, FileMetrics]:
    from bmad.scanning.analyse import analyser_version
    from bmad.scanning.metrics_cache import MetricsCache
    from bmad.store.connection import cache_store_path

    cache = MetricsCache.open(cache_store_path(), analyser_version())
    try:
        return cache.lookup(keys)
    finally:
        cache.close()


class InProcessEngine:
    """tree-sitter and the stores opened in the hook process (no daemon answered)."""

    name = "in-process"

    def analyse(self, jobs: Sequence[Job]) -> dict[str, Outcome]:
        return analyse_in_process(jobs)

    def baseline(self, top_level: Path, exclude: Sequence[str]) -> Baseline:
        return cached_baseline(top_level, exclude, _lookup_once)

    def insights(self) -> dict[str, Any] | None:
        from bmad.store.connection import data_store_path

        if not data_store_path().exists():
            return None
        from bmad.privacy.db import open_privacy_store
        from bmad.privacy.sharing import cached_global_insights

        with open_privacy_store() as store:
            return code_insights(cached_global_insights(store))
