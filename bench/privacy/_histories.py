"""The utility benchmark's inputs for workflow, success and architecture patterns.

Histories: the public repositories mirrored in ``/work/.mirror`` (bare git directories brought
by the ``fetch`` tool; ``BMAD_BENCH_MIRROR`` names another folder) are mined with bmad's own
history miner and turned into the privacy layer's inputs by ``bmad.privacy.collect``
(``workflow_summary``, ``success_summary``) and ``bmad.privacy.contributors``
(``split_by_contributor``): each repository's workflow and success summaries and every
contributor's workflow. "Now" for active months is the repository's last commit, so a snapshot
is judged as of its own date. Per contributor the bench also keeps how many of the files at the
tip they mainly wrote, which sizes the code-pattern contributors (``_corpus``).

Import graphs: ``bmad.scanning.architecture.analyse_architecture`` over the installed trees of
``_corpus.REAL_ORGANISATIONS``, reduced as ``bmad.privacy.collect.architecture_summary`` does.

Both are cached as JSON under ``bench/_work/privacy-utility``. Beyond the real repositories,
organisations are bootstrapped (``history_federation``): a real organisation's repository count,
each repository a real one drawn at random whose contributors are resampled with replacement
(same count); its workflow is the merge of those contributors' workflows, its success summary
the real repository's. The resampling uses a seeded numpy generator: it builds the population
and is never noise.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from bmad.extractors.history import SubjectPatterns
    from bmad.extractors.history_report import HistoryReport

from bmad.privacy.summaries import (
    ArchitectureSummary,
    ContributorWork,
    LocalStatistics,
    SuccessSummary,
    WorkflowSummary,
)

WORK = Path(__file__).resolve().parent.parent / "_work" / "privacy-utility"
MIRROR = Path(os.environ.get("BMAD_BENCH_MIRROR", "/work/.mirror"))
HISTORY_FORMAT = 1
REPOSITORIES_PER_HISTORY_ORGANISATION = 2


@dataclass(frozen=True, slots=True)
class HistoryRepository:
    name: str
    workflow: WorkflowSummary
    success: SuccessSummary
    contributors: tuple[ContributorWork, ...]
    files_per_contributor: tuple[int, ...]  # tip files each contributor mainly wrote

    def statistics(self) -> LocalStatistics:
        return LocalStatistics(
            workflow=self.workflow, success=self.success, contributors=self.contributors
        )


@dataclass(frozen=True, slots=True)
class HistoryOrganisation:
    name: str
    repositories: tuple[HistoryRepository, ...]

    def statistics(self) -> list[LocalStatistics]:
        return [repository.statistics() for repository in self.repositories]


def git_dir_of(folder: Path) -> Path | None:
    """The bare git directory of a mirror folder (``fetch`` puts it in ``repo/`` or the
    folder itself), or None."""
    for candidate in (folder / "repo", folder):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


class TipHistory(NamedTuple):
    report: HistoryReport
    paths: list[str]  # the tip's tree, sorted
    now: int  # the newest commit's author time
    patterns: SubjectPatterns


def tip_history(git_dir: Path) -> TipHistory:
    """bmad's history report of a repository's whole first-parent history at its tip, with the
    default fix and revert patterns."""
    from bmad.config import DEFAULTS
    from bmad.extractors.history import TipTree
    from bmad.extractors.history_report import HistoryOptions, analyse_history, subject_patterns
    from bmad.scanning.history_git import (
        MiningSettings,
        commits_between,
        grafted_commits,
        open_repository,
        read_commits,
        resolve_tip,
        tree_paths,
    )

    repository = open_repository(git_dir)
    tip = resolve_tip(repository, None)
    assert tip is not None
    ids = commits_between(repository, tip, None)
    commits = list(read_commits(str(git_dir), ids, MiningSettings(), grafted_commits(repository)))
    paths = tree_paths(repository, tip)
    history = DEFAULTS["history"]
    patterns = subject_patterns(history["fix_patterns"], history["revert_patterns"])
    now = max(commit.author_time for commit in commits)
    report = analyse_history(commits, TipTree(tip, paths), HistoryOptions(patterns=patterns), now)
    return TipHistory(report, sorted(paths), now, patterns)


def _mine(git_dir: Path) -> dict[str, Any]:
    from bmad.privacy.collect import success_summary, workflow_summary
    from bmad.privacy.contributors import split_by_contributor

    report, paths, now, patterns = tip_history(git_dir)
    workflow = workflow_summary(report)
    success = success_summary(paths, report, now)
    contributors = split_by_contributor([], report, patterns)
    owned: dict[str, int] = {}
    for item in report.owned:
        if report.files[item.index].alive:
            owned[item.author] = owned.get(item.author, 0) + 1
    return {
        "workflow": _workflow_json(workflow),
        "success": {
            "has_tests": success.has_tests,
            "has_ci": success.has_ci,
            "has_type_checking": success.has_type_checking,
            "merge_share": success.merge_share,
            "fix_ratio": success.fix_ratio,
            "active_months_last_year": success.active_months_last_year,
        },
        "contributors": [
            _workflow_json(work.workflow) for work in contributors if work.workflow is not None
        ],
        "files_per_contributor": sorted(owned.values(), reverse=True),
    }


def _workflow_json(summary: WorkflowSummary) -> dict[str, Any]:
    return {
        "commit_sizes": list(summary.commit_sizes),
        "fix_commits": summary.fix_commits,
        "total_commits": summary.total_commits,
        "coupling_degrees": list(summary.coupling_degrees),
        "ownership_shares": list(summary.ownership_shares),
    }


def _workflow(data: dict[str, Any]) -> WorkflowSummary:
    return WorkflowSummary(
        tuple(data["commit_sizes"]),
        int(data["fix_commits"]),
        int(data["total_commits"]),
        tuple(data["coupling_degrees"]),
        tuple(data["ownership_shares"]),
    )


def load_history_repositories(log: bool = True) -> list[HistoryRepository]:
    """Every mirrored repository's summaries, mining only those missing from the cache."""
    WORK.mkdir(parents=True, exist_ok=True)
    cache_path = WORK / "histories.json"
    cache: dict[str, Any] = {}
    if cache_path.exists():
        document = json.loads(cache_path.read_text(encoding="utf-8"))
        if document.get("format") == HISTORY_FORMAT:
            cache = document["repositories"]
    changed = False
    repositories = []
    for folder in sorted(MIRROR.iterdir()) if MIRROR.is_dir() else []:
        git_dir = git_dir_of(folder)
        if git_dir is None:
            continue
        head = (
            (git_dir / "packed-refs").stat().st_mtime if (git_dir / "packed-refs").exists() else 0
        )
        entry = cache.get(folder.name)
        if entry is None or entry.get("stamp") != head:
            started = time.monotonic()
            entry = {"stamp": head, **_mine(git_dir)}
            cache[folder.name] = entry
            changed = True
            if log:
                print(f"  mined {folder.name} in {time.monotonic() - started:.1f} s", flush=True)
        if not entry["contributors"]:
            continue
        success = entry["success"]
        repositories.append(
            HistoryRepository(
                folder.name,
                _workflow(entry["workflow"]),
                SuccessSummary(**success),
                tuple(
                    ContributorWork(f"{folder.name}#{index}", (), _workflow(work))
                    for index, work in enumerate(entry["contributors"])
                ),
                tuple(entry["files_per_contributor"]),
            )
        )
    if changed:
        cache_path.write_text(
            json.dumps({"format": HISTORY_FORMAT, "repositories": cache}), encoding="utf-8"
        )
    return repositories


def real_history_organisations(repositories: list[HistoryRepository]) -> list[HistoryOrganisation]:
    """The mirrored repositories, a few per organisation in name order."""
    size = REPOSITORIES_PER_HISTORY_ORGANISATION
    return [
        HistoryOrganisation(f"history-{index // size}", tuple(repositories[index : index + size]))
        for index in range(0, len(repositories), size)
    ]


def _merged_workflow(works: list[ContributorWork]) -> WorkflowSummary:
    summaries = [work.workflow for work in works if work.workflow is not None]
    return WorkflowSummary(
        tuple(size for s in summaries for size in s.commit_sizes),
        sum(s.fix_commits for s in summaries),
        sum(s.total_commits for s in summaries),
        tuple(degree for s in summaries for degree in s.coupling_degrees),
        tuple(share for s in summaries for share in s.ownership_shares),
    )


def _bootstrap_repository(
    source: HistoryRepository, generator: np.random.Generator, name: str
) -> HistoryRepository:
    picks = generator.integers(len(source.contributors), size=len(source.contributors))
    contributors = tuple(
        ContributorWork(f"{name}#{slot}", (), source.contributors[int(pick)].workflow)
        for slot, pick in enumerate(picks)
    )
    return HistoryRepository(
        name,
        _merged_workflow(list(contributors)),
        source.success,
        contributors,
        source.files_per_contributor,
    )


def history_federation(
    real: list[HistoryOrganisation], size: int, generator: np.random.Generator
) -> list[HistoryOrganisation]:
    """``size`` organisations: the real ones first (a random subset when fewer are needed)."""
    if size <= len(real):
        chosen = generator.choice(len(real), size=size, replace=False)
        return [real[int(index)] for index in chosen]
    pool = [repository for organisation in real for repository in organisation.repositories]
    extra = []
    for index in range(size - len(real)):
        template = real[int(generator.integers(len(real)))]
        repositories = tuple(
            _bootstrap_repository(
                pool[int(generator.integers(len(pool)))], generator, f"boot-{index}-{slot}"
            )
            for slot in range(len(template.repositories))
        )
        extra.append(HistoryOrganisation(f"bootstrap-{index}", repositories))
    return [*real, *extra]


# -- import graphs -------------------------------------------------------------------------

ARCHITECTURE_FORMAT = 1


def _architecture(folder: Path) -> dict[str, Any]:
    from bmad.scanning import ScanOptions
    from bmad.scanning.architecture import analyse_architecture

    architecture = analyse_architecture(
        folder, scan_options=ScanOptions(use_cache=False, languages=frozenset({"python"}))
    )
    modules = list(architecture.modules.values())
    return {
        "instabilities": [m.ce / (m.ca + m.ce) for m in modules if m.ca + m.ce > 0],
        "cycle_sizes": [len(cycle) for cycle in architecture.cycles if len(cycle) > 1],
        "fan_in": [m.ca for m in modules],
        "fan_out": [m.ce for m in modules],
    }


def load_architectures(trees: dict[str, Path], log: bool = True) -> dict[str, ArchitectureSummary]:
    """Each installed tree's import-graph summary, analysing only trees missing from the cache."""
    WORK.mkdir(parents=True, exist_ok=True)
    cache_path = WORK / "architectures.json"
    cache: dict[str, Any] = {}
    if cache_path.exists():
        document = json.loads(cache_path.read_text(encoding="utf-8"))
        if document.get("format") == ARCHITECTURE_FORMAT:
            cache = document["trees"]
    changed = False
    found = {}
    for spec, folder in trees.items():
        if spec not in cache:
            started = time.monotonic()
            cache[spec] = _architecture(folder)
            changed = True
            if log:
                print(f"  import graph of {spec} in {time.monotonic() - started:.1f} s", flush=True)
        found[spec] = ArchitectureSummary(**cache[spec])
    if changed:
        cache_path.write_text(
            json.dumps({"format": ARCHITECTURE_FORMAT, "trees": cache}), encoding="utf-8"
        )
    return found
