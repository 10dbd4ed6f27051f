"""Repository-level workflow measures over a window of commits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bmad.extractors.history import (
    SECONDS_PER_DAY,
    CommitRecord,
    SubjectPatterns,
    classify_subject,
)

PERCENTILES = (50, 75, 90, 95, 99)


@dataclass(frozen=True, slots=True)
class Distribution:
    percentiles: dict[int, float]
    maximum: int
    mean: float

    def as_dict(self) -> dict[str, float | int]:
        shown: dict[str, float | int] = {f"p{p}": value for p, value in self.percentiles.items()}
        shown["max"] = self.maximum
        shown["mean"] = round(self.mean, 2)
        return shown


@dataclass(frozen=True, slots=True)
class RepositorySummary:
    commits: int
    merges: int
    fixes: int
    reverts: int
    authors: int
    first_commit: int | None
    last_commit: int | None
    files_per_commit: Distribution
    lines_per_commit: Distribution
    commits_per_week: float
    active_authors_per_month: dict[str, int]  # "YYYY-MM" -> distinct authors

    @property
    def merge_ratio(self) -> float:
        return self.merges / self.commits if self.commits else 0.0

    @property
    def fix_ratio(self) -> float:
        return self.fixes / self.commits if self.commits else 0.0

    @property
    def revert_ratio(self) -> float:
        return self.reverts / self.commits if self.commits else 0.0


def percentile(sorted_values: Sequence[int], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not sorted_values:
        return 0.0
    rank = (len(sorted_values) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = rank - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def distribution(values: Sequence[int]) -> Distribution:
    ordered = sorted(values)
    return Distribution(
        percentiles={p: round(percentile(ordered, p), 2) for p in PERCENTILES},
        maximum=ordered[-1] if ordered else 0,
        mean=sum(ordered) / len(ordered) if ordered else 0.0,
    )


def summarise(commits: Sequence[CommitRecord], patterns: SubjectPatterns) -> RepositorySummary:
    """Commit sizes are over non-merge commits (merges carry no churn)."""
    fixes = reverts = merges = 0
    sizes_files: list[int] = []
    sizes_lines: list[int] = []
    months: dict[str, set[str]] = {}
    for commit in commits:
        is_fix, is_revert = classify_subject(commit.subject, patterns)
        fixes += is_fix
        reverts += is_revert
        if commit.is_merge:
            merges += 1
        else:
            sizes_files.append(len(commit.changes))
            sizes_lines.append(commit.insertions + commit.deletions)
        month = datetime.fromtimestamp(commit.author_time, UTC).strftime("%Y-%m")
        months.setdefault(month, set()).add(commit.author)
    times = [commit.author_time for commit in commits]
    first, last = (min(times), max(times)) if times else (None, None)
    return RepositorySummary(
        commits=len(commits),
        merges=merges,
        fixes=fixes,
        reverts=reverts,
        authors=len({commit.author for commit in commits}),
        first_commit=first,
        last_commit=last,
        files_per_commit=distribution(sizes_files),
        lines_per_commit=distribution(sizes_lines),
        commits_per_week=_per_week(len(commits), first, last),
        active_authors_per_month={month: len(months[month]) for month in sorted(months)},
    )


def _per_week(count: int, first: int | None, last: int | None) -> float:
    if first is None or last is None:
        return 0.0
    weeks = max(1.0, (last - first) / (7 * SECONDS_PER_DAY))
    return round(count / weeks, 3)
