"""Fill the contribution inputs from the other lenses (the only module that knows them).

Pure adapters turn each lens's output into the privacy layer's small summaries; the summaries
keep counts and ratios only. ``collect_local_statistics`` runs the lenses on one repository:
the scan (code metrics, imports, file list), the history miner (through its incremental
store), and the anti-pattern detector with its architecture facts. A lens that cannot run
leaves its learning types without input and says why in the notes.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.errors import BmadError
from bmad.privacy.contributors import split_by_contributor
from bmad.privacy.summaries import (
    AntiPatternSummary,
    ArchitectureSummary,
    LocalStatistics,
    SuccessSummary,
    WorkflowSummary,
    practices_from_paths,
)

if TYPE_CHECKING:
    from bmad.analysis.detect import DetectionReport
    from bmad.analysis.inputs import ArchitectureFacts
    from bmad.extractors.history import SubjectPatterns
    from bmad.extractors.history_report import HistoryReport

_MONTH_SECONDS = 30.44 * 24 * 3600


def workflow_summary(report: HistoryReport) -> WorkflowSummary:
    return WorkflowSummary(
        commit_sizes=[c.insertions + c.deletions for c in report.commits if not c.is_merge],
        fix_commits=report.summary.fixes,
        total_commits=report.summary.commits,
        coupling_degrees=[float(pair.degree) for pair in report.coupling],
        ownership_shares=[owned.share for owned in report.owned],
    )


def active_months(report: HistoryReport, now: int) -> int:
    """Months (30.44-day windows back from ``now``) of the last 12 with at least one commit."""
    months = set()
    for commit in report.commits:
        age = (now - commit.author_time) / _MONTH_SECONDS
        if 0 <= age < 12:
            months.add(int(age))
    return len(months)


def success_summary(paths: list[str], report: HistoryReport | None, now: int) -> SuccessSummary:
    has_tests, has_ci, has_typing = practices_from_paths(paths)
    if report is None or report.summary.commits == 0:
        return SuccessSummary(has_tests, has_ci, has_typing)
    return SuccessSummary(
        has_tests,
        has_ci,
        has_typing,
        merge_share=report.summary.merge_ratio,
        fix_ratio=report.summary.fix_ratio,
        active_months_last_year=active_months(report, now),
    )


def architecture_summary(facts: ArchitectureFacts) -> ArchitectureSummary:
    modules = list(facts.modules.values())
    return ArchitectureSummary(
        instabilities=[
            m.fan_out / (m.fan_in + m.fan_out) for m in modules if m.fan_in + m.fan_out > 0
        ],
        cycle_sizes=[len(cycle) for cycle in facts.cycles],
        fan_in=[m.fan_in for m in modules],
        fan_out=[m.fan_out for m in modules],
    )


def anti_pattern_summary_of(report: DetectionReport) -> AntiPatternSummary:
    counts = Counter(finding.rule_id for finding in report.findings)
    return AntiPatternSummary(dict(counts), report.functions, report.flagged)


@dataclass
class Collected:
    statistics: LocalStatistics
    notes: list[str] = field(default_factory=list)


def _subject_patterns(root: Path) -> SubjectPatterns:
    from bmad import config
    from bmad.extractors.history_report import subject_patterns

    settings = config.load(root).section("history")
    return subject_patterns(
        config.require_strings("history", settings, "fix_patterns"),
        config.require_strings("history", settings, "revert_patterns"),
    )


def _history_report(root: Path) -> HistoryReport | None:
    from bmad import config
    from bmad.extractors.history_report import HistoryOptions, analyse_history
    from bmad.scanning.history import stored_commits, update_history
    from bmad.scanning.history_git import MiningSettings
    from bmad.store.history import open_history_store

    settings = config.load(root).section("history")
    options = HistoryOptions(patterns=_subject_patterns(root))
    mining = MiningSettings.from_settings(settings)
    with open_history_store() as store:
        result = update_history(store, root, None, mining)
        if result.source_id is None:
            return None
        commits = stored_commits(store, result.source_id)
    return analyse_history(commits, result.tip_tree, options, int(time.time()))


def collect_local_statistics(path: Path) -> Collected:
    from bmad import git
    from bmad.scanning import scan_repository

    notes: list[str] = []
    scan = scan_repository(path)
    repository = git.find_work_tree(path)
    history: HistoryReport | None = None
    if repository is None:
        paths = [scanned.path for scanned in scan.files]
        notes.append("workflow_patterns: not a git work tree")
    else:
        paths = [tree_file.path for tree_file in git.work_tree_files(repository)]
        try:
            history = _history_report(scan.root)
        except BmadError as exc:
            notes.append(f"workflow_patterns: {exc.message}")
        if history is None and not notes:
            notes.append("workflow_patterns: the repository has no commits yet")
    anti_patterns: AntiPatternSummary | None = None
    architecture: ArchitectureSummary | None = None
    try:
        from bmad.analysis.store import analyse_repository

        analysis_input, detection, _root = analyse_repository(scan.root)
    except BmadError as exc:
        notes.append(f"anti_patterns, architecture_patterns: {exc.message}")
    else:
        anti_patterns = anti_pattern_summary_of(detection)
        if analysis_input.architecture is not None:
            architecture = architecture_summary(analysis_input.architecture)
        else:
            notes.append("architecture_patterns: no import graph")
    trends = None
    if repository is not None:
        from bmad.privacy.trend_summary import collect_trend_summary

        try:
            trends = collect_trend_summary(scan.root, history, paths)
        except BmadError as exc:
            notes.append(f"technology trends: {exc.message}")
    statistics = LocalStatistics(
        files=[scanned.metrics for scanned in scan.files],
        anti_patterns=anti_patterns,
        workflow=workflow_summary(history) if history is not None else None,
        architecture=architecture,
        success=success_summary(paths, history, int(time.time())),
        contributors=(
            ()
            if history is None
            else split_by_contributor(
                [(scanned.path, scanned.metrics) for scanned in scan.files],
                history,
                _subject_patterns(scan.root),
            )
        ),
        trends=trends,
    )
    return Collected(statistics, notes)
