"""One call from mined commits to every history measure, and its JSON shape.

This is the API other components read: :func:`analyse_history` over the commits (from the
store or the miner) and the tip's tree gives per-file metrics, coupling, knowledge, the
repository summary and hotspots; :func:`report_json` renders it without names or e-mails
unless asked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bmad.config import require_int, require_number, require_strings
from bmad.errors import BmadError
from bmad.extractors.history import (
    CommitRecord,
    FileHistory,
    SubjectPatterns,
    TipTree,
    ancestry,
    author_names,
    file_timeline,
    in_window,
    last_activity,
)
from bmad.extractors.history_coupling import (
    CouplingPair,
    CouplingThresholds,
    coupling_pairs,
    sum_of_coupling,
)
from bmad.extractors.history_knowledge import (
    OwnedFile,
    TruckFactor,
    active_authors,
    inactive_owners,
    knowledge_islands,
    main_developers,
    truck_factor,
)
from bmad.extractors.history_summary import RepositorySummary, summarise

JSON_VERSION = 1


@dataclass(frozen=True, slots=True)
class HistoryOptions:
    patterns: SubjectPatterns
    coupling: CouplingThresholds = field(default_factory=CouplingThresholds)
    follow_renames: bool = True
    include_deleted: bool = False  # also report files that are not in the tip's tree
    since: int | None = None
    until: int | None = None
    island_share: float = 0.95
    inactive_months: float = 6.0
    top: int = 10


def options_from_settings(history: Mapping[str, Any], **overrides: Any) -> HistoryOptions:
    """HistoryOptions from a ``[history]`` settings section (a value of the wrong type or range
    is a configuration error); ``overrides`` set the rest (window, rename following)."""
    return HistoryOptions(
        patterns=subject_patterns(
            require_strings("history", history, "fix_patterns"),
            require_strings("history", history, "revert_patterns"),
        ),
        coupling=CouplingThresholds(
            min_revs=require_int("history", history, "min_revs", 0),
            min_shared_revs=require_int("history", history, "min_shared_revs", 0),
            min_coupling=require_int("history", history, "min_coupling", 0),
            max_coupling=require_int("history", history, "max_coupling", 0),
            max_changeset=require_int("history", history, "max_changeset", 1),
        ),
        island_share=require_number("history", history, "island_share", 0, 1),
        inactive_months=require_number("history", history, "inactive_months", 0, math.inf),
        top=require_int("history", history, "top", 0),
        **overrides,
    )


def subject_patterns(fix: Sequence[str], revert: Sequence[str]) -> SubjectPatterns:
    """Validated patterns: a broken regular expression is a configuration error."""
    for pattern in (*fix, *revert):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise BmadError(f"invalid history subject pattern {pattern!r}: {exc}") from exc
    return SubjectPatterns(fix=tuple(fix), revert=tuple(revert))


@dataclass(frozen=True, slots=True)
class Hotspot:
    index: int
    revisions: int
    cognitive: int

    @property
    def score(self) -> int:
        return self.revisions * self.cognitive


@dataclass(frozen=True, slots=True)
class HistoryReport:
    commits: tuple[CommitRecord, ...]  # the window
    files: tuple[FileHistory, ...]  # changed in the window: at the tip, then deleted if asked
    reference_time: int  # "now" for ages: the end of the window
    summary: RepositorySummary
    coupling: tuple[CouplingPair, ...]
    sum_of_coupling: Mapping[int, int]
    owned: tuple[OwnedFile, ...]
    islands: tuple[OwnedFile, ...]
    inactive: tuple[OwnedFile, ...]
    truck_factor: TruckFactor
    hotspots: tuple[Hotspot, ...]
    cognitive: Mapping[str, int]
    notes: tuple[str, ...] = field(default=())

    def live_files(self) -> list[tuple[int, FileHistory]]:
        return [(index, history) for index, history in enumerate(self.files) if history.alive]

    def deleted_files(self) -> list[tuple[int, FileHistory]]:
        return [(index, history) for index, history in enumerate(self.files) if not history.alive]

    def path(self, index: int) -> str:
        return self.files[index].path


def hotspots(files: Sequence[FileHistory], cognitive: Mapping[str, int], top: int) -> list[Hotspot]:
    """Revisions in the window x total cognitive complexity at its end, highest first."""
    spots = [
        Hotspot(index, history.revisions, cognitive[history.path])
        for index, history in enumerate(files)
        if history.alive and cognitive.get(history.path, 0) > 0
    ]
    spots.sort(key=lambda spot: (-spot.score, files[spot.index].path))
    return spots[:top] if top > 0 else spots


def analyse_history(
    commits: Sequence[CommitRecord],
    tip: TipTree,
    options: HistoryOptions,
    now: int,
    cognitive: Mapping[str, int] | None = None,
    notes: Sequence[str] = (),
) -> HistoryReport:
    """Every measure over the commits reachable from ``tip`` in the options' window.

    Deleted files are counted in commit sizes (coupling's change sets) but reported only
    with ``options.include_deleted``."""
    reachable = {commit.id for commit in ancestry(commits, tip.commit)}
    history = [commit for commit in commits if commit.id in reachable]
    window = in_window(history, options.since, options.until)
    reference = options.until if options.until is not None else now
    timeline = file_timeline(
        history, tip, options.follow_renames, since=options.since, until=options.until
    )
    shown = len(timeline.files) if options.include_deleted else timeline.live
    files = timeline.files[:shown]
    last_seen = last_activity(history)
    owned = main_developers(files, last_seen, reference)
    active = active_authors(last_seen, reference, options.inactive_months)
    live_owned = [item for item in owned if files[item.index].alive]
    known_complexity = cognitive or {}
    partial = [f"{commit.id[:12]}: {commit.note}" for commit in window if commit.note]
    return HistoryReport(
        commits=tuple(window),
        files=files,
        reference_time=reference,
        summary=summarise(window, options.patterns),
        coupling=tuple(
            pair
            for pair in coupling_pairs(timeline.change_sets, options.coupling)
            if pair.b < shown
        ),
        sum_of_coupling={
            index: total
            for index, total in sum_of_coupling(
                timeline.change_sets, options.coupling.min_revs
            ).items()
            if index < shown
        },
        owned=tuple(owned),
        islands=tuple(
            knowledge_islands(live_owned, options.island_share, options.inactive_months, active)
        ),
        inactive=tuple(inactive_owners(live_owned, options.inactive_months)),
        truck_factor=truck_factor(files),
        hotspots=tuple(hotspots(files, known_complexity, options.top)),
        cognitive=known_complexity,
        notes=(*notes, *partial),
    )


def _date(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_json(
    report: HistoryReport,
    repository: Mapping[str, Any],
    show_authors: bool = False,
    top: int = 0,
) -> dict[str, Any]:
    """The ``bmad history --json`` document (version 1).

    Author names and e-mails appear only with ``show_authors``; ``top`` > 0 limits coupling,
    islands and orphaned files (the per-file list is always complete: the files at the tip,
    then the deleted ones, marked ``"deleted_file": true``, when the report includes them;
    ``deleted`` is the count of deleted lines, as for every file).
    """
    names = author_names(report.commits) if show_authors else {}

    def who(author: str) -> dict[str, str]:
        if not show_authors:
            return {}
        name, email = names.get(author, (author, ""))
        return {"author": name, "email": email}

    def limit(items: Sequence[Any]) -> Sequence[Any]:
        return items[:top] if top > 0 else items

    summary = report.summary
    main = {owned.index: owned for owned in report.owned}
    files = []
    live = sorted(report.live_files(), key=lambda item: (-item[1].revisions, item[1].path))
    deleted = sorted(report.deleted_files(), key=lambda item: (-item[1].revisions, item[1].path))
    for index, history in (*live, *deleted):
        owner = main.get(index)
        files.append(
            {
                "path": history.path,
                "revisions": history.revisions,
                "added": history.added,
                "deleted": history.deleted,
                "authors": history.authors,
                "main_dev_share": round(owner.share, 4) if owner else None,
                "fragmentation": round(history.fragmentation(), 4) if owner else None,
                "age_months": round(history.age_months(report.reference_time), 2),
                "first_change": _date(history.first_change),
                "last_change": _date(history.last_change),
                "sum_of_coupling": report.sum_of_coupling.get(index, 0),
                "cognitive": report.cognitive.get(history.path),
                **({"main_dev": who(owner.author)} if owner and show_authors else {}),
                **({} if history.alive else {"deleted_file": True}),
            }
        )
    return {
        "version": JSON_VERSION,
        "repository": {
            **repository,
            "first_commit": _date(summary.first_commit),
            "last_commit": _date(summary.last_commit),
            "merges": summary.merges,
            "merge_ratio": round(summary.merge_ratio, 4),
            "fix_ratio": round(summary.fix_ratio, 4),
            "revert_ratio": round(summary.revert_ratio, 4),
            "authors": summary.authors,
            "commits_per_week": summary.commits_per_week,
            "files_per_commit": summary.files_per_commit.as_dict(),
            "lines_per_commit": summary.lines_per_commit.as_dict(),
            "active_authors_per_month": summary.active_authors_per_month,
            "partial": bool(report.notes),
            "notes": list(report.notes),
        },
        "commits": summary.commits,
        "files": files,
        "coupling": [
            {
                "a": report.path(pair.a),
                "b": report.path(pair.b),
                "degree": pair.degree,
                "shared": pair.shared,
                "average_revs": pair.average_revs,
            }
            for pair in limit(report.coupling)
        ],
        "hotspots": [
            {
                "path": report.path(spot.index),
                "revisions": spot.revisions,
                "cognitive": spot.cognitive,
                "score": spot.score,
            }
            for spot in report.hotspots
        ],
        "knowledge": {
            "truck_factor": report.truck_factor.value,
            "truck_factor_files": report.truck_factor.files,
            **(
                {"truck_factor_authors": [who(a) for a in report.truck_factor.removed]}
                if show_authors
                else {}
            ),
            "islands": [_owned_json(report, f, who) for f in limit(report.islands)],
            "inactive_main_developer": [
                _owned_json(report, f, who) for f in limit(report.inactive)
            ],
        },
    }


def _owned_json(report: HistoryReport, owned: OwnedFile, who: Any) -> dict[str, Any]:
    return {
        "path": report.path(owned.index),
        "share": round(owned.share, 4),
        "inactive_months": round(owned.inactive_months, 2),
        **who(owned.author),
    }
