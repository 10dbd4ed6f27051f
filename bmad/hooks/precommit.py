"""``bmad hook pre-commit``: what the staged change makes worse, function by function.

Reads only git objects: the staged blobs (the index git commits, so partial staging is
respected and the work tree is never read or written) and the parents' blobs (HEAD, plus
MERGE_HEAD during a merge). Files: added, modified, renamed and copied ones in supported
languages; deleted files, submodules, symlinks, binary files (a NUL byte in the first 8000
bytes, git's rule) and files over ``[scan] max_file_size`` are listed as skipped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bmad.analysis.suppression import is_excluded
from bmad.extractors.languages import language_for_path
from bmad.extractors.metrics import FileMetrics
from bmad.hooks import gitcli
from bmad.hooks.analysers import (
    DaemonAnalyser,
    Job,
    Outcome,
    WorstConditions,
    analyse_in_process,
    conditions_of,
)
from bmad.hooks.compare import Regression, Version, compare_file
from bmad.hooks.settings import HookSettings

BINARY_PROBE = 8000
MIN_BASELINE_COVERAGE = 0.5  # share of the repository's files the cache must know
MIN_BASELINE_FUNCTIONS = 30  # fewer: a percentile says nothing (as the anomaly model's minimum)


@dataclass(frozen=True, slots=True)
class StagedFile:
    path: str
    language: str
    blob_id: str
    parent_blob_ids: tuple[str, ...]  # HEAD's version (old path on renames), merge heads'


@dataclass(slots=True)
class CheckReport:
    regressions: list[Regression] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> reason
    engine: str = "none"  # daemon | in-process | daemon+in-process | none
    merge: bool = False
    baseline: str | None = None  # where local standings come from, or why there are none
    global_insights: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "regressions": [regression.to_dict() for regression in self.regressions],
            "checked": self.checked,
            "skipped": [{"path": path, "reason": why} for path, why in self.skipped.items()],
            "engine": self.engine,
            "merge": self.merge,
            "baseline": self.baseline,
            "global_insights": self.global_insights,
        }


def _is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_PROBE]


def select_files(
    top_level: Path,
    changes: Sequence[gitcli.StagedChange],
    merge_heads: Sequence[str],
    settings: HookSettings,
    only: set[str] | None,
) -> tuple[list[StagedFile], dict[str, str]]:
    files: list[StagedFile] = []
    skipped: dict[str, str] = {}
    for change in changes:
        if only is not None and change.path not in only:
            continue
        language = language_for_path(change.path)
        if language is None:
            continue
        if change.status == "D" or change.new_blob is None:
            skipped[change.path] = "deleted"
        elif change.new_mode in (gitcli.GITLINK_MODE, gitcli.SYMLINK_MODE):
            skipped[change.path] = "submodule or symbolic link"
        elif is_excluded(change.path, settings.exclude):
            skipped[change.path] = "excluded by [analysis] exclude"
        else:
            parent = () if change.old_blob is None or change.status == "C" else (change.old_blob,)
            files.append(StagedFile(change.path, language, change.new_blob, parent))
    if merge_heads and files:
        wanted = sorted({path for file in files for path in _parent_paths(file, changes)})
        for head in merge_heads:
            blobs = gitcli.tree_blobs(top_level, head, wanted)
            files = [
                StagedFile(
                    file.path,
                    file.language,
                    file.blob_id,
                    file.parent_blob_ids + _first_present(blobs, _parent_paths(file, changes)),
                )
                for file in files
            ]
    return files, skipped


def _parent_paths(file: StagedFile, changes: Sequence[gitcli.StagedChange]) -> list[str]:
    old = [change.old_path for change in changes if change.path == file.path and change.old_path]
    return list(dict.fromkeys([file.path, *old]))


def _first_present(blobs: Mapping[str, str], paths: Sequence[str]) -> tuple[str, ...]:
    for path in paths:
        if path in blobs:
            return (blobs[path],)
    return ()


@dataclass(slots=True)
class Analysis:
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # blob id -> metrics or why not
    conditions: dict[str, WorstConditions] = field(default_factory=dict)  # from the daemon
    engine: str = "none"


def analyse_blobs(jobs: Sequence[Job], daemon: DaemonAnalyser | None) -> Analysis:
    """Metrics per blob id, the daemon's worst conditions, and which engine produced them."""
    analysis = Analysis()
    if not jobs:
        return analysis
    engines: list[str] = []
    left: Sequence[Job] = jobs
    if daemon is not None:
        analysis.outcomes, left = daemon.analyse(jobs)
        analysis.conditions = daemon.conditions
        if analysis.outcomes:
            engines.append("daemon")
    if left:
        analysis.outcomes.update(analyse_in_process(left))
        engines.append("in-process")
    analysis.engine = "+".join(engines) or "none"
    return analysis


def _version(metrics: FileMetrics, data: bytes, known: WorstConditions | None) -> Version:
    """``known``: the worst conditions the daemon sent for exactly these functions; without
    them they are computed here (a tree-sitter parse) when a rule needs them."""
    text = data.decode("utf-8", "replace")
    return Version(
        functions=metrics.functions,
        lines=tuple(text.splitlines()),
        conditions=(
            partial(conditions_of, data, metrics.language)
            if known is None
            else lambda functions: known
        ),
    )


def _jobs(
    files: Sequence[StagedFile],
    blobs: Mapping[str, gitcli.Blob],
    settings: HookSettings,
    skipped: dict[str, str],
) -> dict[str, Job]:
    """One analysis job per distinct readable blob; unreadable staged files go to ``skipped``."""
    jobs: dict[str, Job] = {}
    for file in files:
        blob = blobs.get(file.blob_id)
        if blob is None:
            skipped[file.path] = "staged blob missing from the object database"
        elif blob.data is None:
            skipped[file.path] = f"too large ({blob.size} bytes > {settings.max_file_size})"
        elif _is_binary(blob.data):
            skipped[file.path] = "binary"
        else:
            for blob_id in (file.blob_id, *file.parent_blob_ids):
                data = blobs[blob_id].data if blob_id in blobs else None
                if data is not None and not _is_binary(data):
                    jobs.setdefault(blob_id, Job(blob_id, file.path, file.language, data))
    return jobs


def check_staged(
    cwd: Path, settings: HookSettings, filenames: Iterable[str] | None = None
) -> CheckReport:
    paths = gitcli.repository_paths(cwd)
    top = paths.top_level
    heads = gitcli.merge_heads(paths.git_dir)
    only = gitcli.relative_to_top(top, filenames) if filenames is not None else None
    files, skipped = select_files(top, gitcli.staged_changes(top), heads, settings, only)
    report = CheckReport(skipped=skipped, merge=bool(heads))
    wanted = {file.blob_id for file in files} | {
        blob for file in files for blob in file.parent_blob_ids
    }
    blobs = gitcli.read_blobs(top, wanted, settings.max_file_size)
    jobs = _jobs(files, blobs, settings, report.skipped)
    daemon = (
        DaemonAnalyser.connect(settings.socket_path, settings.daemon_timeout)
        if settings.use_daemon and jobs
        else None
    )
    try:
        _compare(top, files, jobs, daemon, settings, report)
    finally:
        if daemon is not None:
            daemon.close()
    return report


def _compare(
    top: Path,
    files: Sequence[StagedFile],
    jobs: Mapping[str, Job],
    daemon: DaemonAnalyser | None,
    settings: HookSettings,
    report: CheckReport,
) -> None:
    analysis = analyse_blobs(list(jobs.values()), daemon)
    outcomes, report.engine = analysis.outcomes, analysis.engine
    for file in files:
        if file.path in report.skipped:
            continue
        outcome = outcomes.get(file.blob_id)
        if not isinstance(outcome, FileMetrics):
            report.skipped[file.path] = outcome or "not analysed"
            continue
        report.checked.append(file.path)
        parents = [
            _version(parent, jobs[blob_id].data, analysis.conditions.get(blob_id))
            for blob_id in file.parent_blob_ids
            if isinstance(parent := outcomes.get(blob_id), FileMetrics)
        ]
        report.regressions += compare_file(
            file.path,
            outcome.language,
            _version(outcome, jobs[file.blob_id].data, analysis.conditions.get(file.blob_id)),
            parents,
            settings.rules,
            settings.rename_similarity,
        )
    if report.regressions:
        add_standings(top, report, settings, daemon)


def share_below(sorted_values: Sequence[float], value: float) -> float:
    """Share of values strictly below ``value`` (what "above N% of functions" means)."""
    if not sorted_values:
        return 0.0
    return bisect.bisect_left(sorted_values, value) / len(sorted_values)


def repository_cognitive(top: Path, settings: HookSettings) -> tuple[list[int] | None, str]:
    """Cognitive complexity of every function at HEAD, from the content cache (never parsed
    here: the hook must stay fast); None with the reason when the cache knows too little."""
    from bmad.daemon.store import cache_store_path
    from bmad.errors import BmadError
    from bmad.scanning.analyse import analyser_version
    from bmad.scanning.cache import MetricsCache

    try:
        tree = gitcli.tree_blobs(top, "HEAD")
    except BmadError:
        return None, "no repository baseline yet (first commit)"
    keys = [
        (blob_id, language)
        for path, blob_id in tree.items()
        if (language := language_for_path(path)) is not None
        and not is_excluded(path, settings.exclude)
    ]
    if not keys:
        return None, "no repository baseline (no analysed files at HEAD)"
    try:
        cache = MetricsCache.open(cache_store_path(), analyser_version())
        try:
            found = cache.lookup(keys)
        finally:
            cache.close()
    except BmadError as exc:
        return None, f"no repository baseline ({exc.message})"
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


def add_standings(
    top: Path, report: CheckReport, settings: HookSettings, daemon: DaemonAnalyser | None = None
) -> None:
    values, report.baseline = repository_cognitive(top, settings)
    insights = _global_code_insights(daemon)
    report.global_insights = (
        "cached federation insights" if insights else "no cached federation insights"
    )
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


def _global_code_insights(daemon: DaemonAnalyser | None) -> dict[str, Any] | None:
    """The latest code-pattern insights the federation returned, when this machine has any:
    from the daemon when it answers (importing the privacy store costs more than the check)."""
    entries = daemon.cached_insights("code_patterns") if daemon is not None else None
    if entries is None:
        entries = _stored_insights()
    for entry in entries:
        if entry["learning_type"] == "code_patterns":
            document: dict[str, Any] = entry["insights"]
            return document
    return None


def _stored_insights() -> list[dict[str, Any]]:
    from bmad.daemon.store import data_store_path

    if not data_store_path().exists():
        return []
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import cached_global_insights

    with open_privacy_store() as store:
        return cached_global_insights(store)
