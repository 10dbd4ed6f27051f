"""Per-month measures of a mined history (commits, churn, fix ratio, active authors) and the
technology adoption section of the trends page."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from bmad.dashboard.layout import empty, table
from bmad.errors import BmadError
from bmad.extractors.history import CommitRecord, SubjectPatterns, classify_subject

ADOPTION_WINDOW = "2-years"
ADOPTION_ROWS = 40


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


def technology_adoption_section(repository: Path) -> str:
    """The repository's technologies over the last two years (``bmad insights trends
    --technology-adoption``), from its stored technology history, mined first if needed."""
    from bmad.extractors.technology_trends import (
        TrendOptions,
        parse_time_window,
        sparkline,
        trends_view,
    )
    from bmad.scanning.trends import mine_technology_history, open_trends_store

    try:
        with open_trends_store() as store:
            _, history = mine_technology_history(store, repository)
    except BmadError as exc:
        return "<h2>Technology adoption</h2>" + empty(f"unavailable: {exc.message}")
    if history is None:
        return "<h2>Technology adoption</h2>" + empty("no commits yet")
    view = trends_view(
        [history], parse_time_window(ADOPTION_WINDOW, int(time.time())), TrendOptions()
    )
    rows = sorted(view.rows, key=lambda row: (-row.repositories_now, row.technology))
    cells = (
        (
            "yes" if row.repositories_now else "no",
            f"<code>{escape(row.technology)}</code>",
            month_of(row.first_seen),
            month_of(row.last_seen),
            f'<span class="spark">{escape(sparkline(row.series, 1))}</span>',
        )
        for row in rows[:ADOPTION_ROWS]
    )
    findings = "".join(
        f"<li>{escape(found.rule_id)}: {escape(found.message)}</li>"
        for _, found in view.abandonments
    )
    moves = "".join(
        f"<li>{escape(found.replaced)} &rarr; {escape(found.replacement)} "
        f"({month_of(found.time)})</li>"
        for _, found in view.migrations
    )
    return (
        f'<h2>Technology adoption</h2><p class="summary">{len(view.rows)} technologies over '
        f"the last two years, {view.bucket_labels[0]} to {view.bucket_labels[-1]}, one mark per "
        "month present.</p>"
        + table(["now", "technology", "first seen", "last seen", "months"], cells, "adoption")
        + (f"<h3>Migrations</h3><ul>{moves}</ul>" if moves else "")
        + (f"<h3>Reverted decisions</h3><ul>{findings}</ul>" if findings else "")
    )
