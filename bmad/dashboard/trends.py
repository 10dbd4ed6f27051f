"""Per-month measures of a mined history: commits, churn, fix ratio, active authors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bmad.extractors.history import CommitRecord, SubjectPatterns, classify_subject


@dataclass(frozen=True, slots=True)
class MonthTrend:
    month: str  # YYYY-MM of the author dates
    commits: int
    churn: int  # lines added + deleted by the month's non-merge commits
    fixes: int
    authors: int  # distinct authors active in the month
    last_commit: str  # the month's latest commit by author date
    cognitive: int | None = None  # total cognitive complexity at last_commit, when measured

    @property
    def fix_ratio(self) -> float:
        return self.fixes / self.commits if self.commits else 0.0


def month_of(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m")


def monthly_trends(commits: Sequence[CommitRecord], patterns: SubjectPatterns) -> list[MonthTrend]:
    """One row per month that has commits, oldest first."""
    counts: dict[str, list[int]] = {}  # month -> [commits, churn, fixes]
    authors: dict[str, set[str]] = {}
    latest: dict[str, CommitRecord] = {}
    for commit in commits:
        month = month_of(commit.author_time)
        row = counts.setdefault(month, [0, 0, 0])
        row[0] += 1
        if not commit.is_merge:
            row[1] += commit.insertions + commit.deletions
        row[2] += classify_subject(commit.subject, patterns)[0]
        authors.setdefault(month, set()).add(commit.author)
        if month not in latest or latest[month].author_time <= commit.author_time:
            latest[month] = commit
    return [
        MonthTrend(month, row[0], row[1], row[2], len(authors[month]), latest[month].id)
        for month, row in sorted(counts.items())
    ]


def with_complexity(trends: Sequence[MonthTrend], cognitive: Mapping[str, int]) -> list[MonthTrend]:
    """The trends with each measured month's total cognitive complexity (by its last commit)."""
    return [replace(trend, cognitive=cognitive.get(trend.last_commit)) for trend in trends]
