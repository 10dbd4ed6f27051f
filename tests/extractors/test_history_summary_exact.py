"""Repository summary measures worked by hand: percentiles as numpy's linear method, commit
sizes over non-merge commits only, ratios, weekly rate and active authors per month."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pytest

from bmad.extractors.history import CommitRecord, FileChange, SubjectPatterns
from bmad.extractors.history_summary import (
    Distribution,
    RepositorySummary,
    distribution,
    percentile,
    summarise,
)

DAY = 86_400
PATTERNS = SubjectPatterns(fix=(r"^fix",), revert=(r"^Revert",))


@pytest.mark.parametrize(
    "values", [[7], [1, 2], [1, 2, 3, 4], [0, 0, 5, 9, 100], list(range(1, 12)), [3, 3, 3]]
)
@pytest.mark.parametrize("p", [0, 25, 50, 75, 90, 95, 99, 100])
def test_percentile_is_numpys_linear_interpolation(values: list[int], p: float) -> None:
    assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)), abs=1e-12)


def test_percentile_between_two_ranks_by_hand() -> None:
    # rank (4 - 1) * 0.5 = 1.5: halfway between 20 and 30.
    assert percentile([10, 20, 30, 40], 50) == 25.0
    # rank 3 * 0.9 = 2.7: 30 + 0.7 * 10.
    assert percentile([10, 20, 30, 40], 90) == pytest.approx(37.0)
    assert percentile([], 50) == 0.0


def test_distribution_rounds_percentiles_and_mean_for_display() -> None:
    shown = distribution([3, 1, 2, 10])
    # sorted 1, 2, 3, 10; p50 rank 1.5 -> 2.5; p99 rank 2.97 -> 3 + 0.97 * 7 = 9.79.
    assert shown == Distribution(
        percentiles={50: 2.5, 75: 4.75, 90: 7.9, 95: 8.95, 99: 9.79}, maximum=10, mean=4.0
    )
    assert distribution([1, 1, 2]).as_dict() == {
        "p50": 1.0,
        "p75": 1.5,
        "p90": 1.8,
        "p95": 1.9,
        "p99": 1.98,
        "max": 2,
        "mean": 1.33,
    }
    assert distribution([]) == Distribution(
        percentiles={50: 0.0, 75: 0.0, 90: 0.0, 95: 0.0, 99: 0.0}, maximum=0, mean=0.0
    )


def record(
    when: int,
    author: str,
    *changes: FileChange,
    subject: str = "change",
    parents: int = 1,
) -> CommitRecord:
    return CommitRecord(
        id=f"{when:040x}",
        parents=tuple(f"{when - 1 - i:040x}" for i in range(parents)),
        author_name=author.title(),
        author_email=f"{author}@example.com",
        author_time=when,
        subject=subject,
        changes=changes,
    )


def test_summary_of_a_small_history_by_hand() -> None:
    jan = int(datetime(2026, 1, 10, tzinfo=UTC).timestamp())
    feb = int(datetime(2026, 2, 3, tzinfo=UTC).timestamp())
    commits = [
        record(jan, "ann", FileChange("a", "A", 10, 0), FileChange("b", "A", 5, 0)),
        record(jan + DAY, "bob", FileChange("a", "M", 1, 1), subject="fix: off by one"),
        record(jan + 2 * DAY, "ann", subject="Merge branch 'x'", parents=2),
        record(feb, "cat", FileChange("b", "M", 0, 4), subject='Revert "fix: off by one"'),
    ]
    summary = summarise(commits, PATTERNS)
    assert isinstance(summary, RepositorySummary)
    assert (summary.commits, summary.merges, summary.fixes, summary.reverts) == (4, 1, 1, 1)
    assert summary.authors == 3
    assert (summary.first_commit, summary.last_commit) == (jan, feb)
    # Merges carry no churn and are left out of the sizes: files 2, 1, 1; lines 15, 2, 4.
    assert summary.files_per_commit.maximum == 2
    assert summary.files_per_commit.mean == pytest.approx(4 / 3)
    assert summary.lines_per_commit.percentiles[50] == 4.0
    assert summary.lines_per_commit.maximum == 15
    assert (summary.merge_ratio, summary.fix_ratio, summary.revert_ratio) == (0.25, 0.25, 0.25)
    # 24 days from first to last commit: 4 commits / (24 / 7) weeks = 1.167.
    assert summary.commits_per_week == round(4 / (24 / 7), 3) == 1.167
    assert summary.active_authors_per_month == {"2026-01": 2, "2026-02": 1}


def test_a_history_shorter_than_a_week_counts_as_one_week() -> None:
    commits = [record(1_000_000 + i * DAY, "ann", FileChange("a", "M", 1)) for i in range(3)]
    assert summarise(commits, PATTERNS).commits_per_week == 3.0
    # Exactly one week between first and last: still 3 per week; two weeks: 1.5.
    week = [
        record(1_000_000, "ann"),
        record(1_000_000 + DAY, "ann"),
        record(1_000_000 + 7 * DAY, "ann"),
    ]
    assert summarise(week, PATTERNS).commits_per_week == 3.0
    fortnight = [*week[:2], record(1_000_000 + 14 * DAY, "ann")]
    assert summarise(fortnight, PATTERNS).commits_per_week == 1.5


def test_an_empty_history_has_zero_rates() -> None:
    summary = summarise([], PATTERNS)
    assert (summary.commits, summary.first_commit, summary.last_commit) == (0, None, None)
    assert (summary.merge_ratio, summary.fix_ratio, summary.revert_ratio) == (0.0, 0.0, 0.0)
    assert summary.commits_per_week == 0.0
    assert summary.active_authors_per_month == {}


def test_every_merge_and_revert_is_counted() -> None:
    commits = [
        record(1_000_000, "ann", subject='Revert "a"'),
        record(1_000_000 + DAY, "ann", subject="Merge a", parents=2),
        record(1_000_000 + 2 * DAY, "ann", subject='Revert "b"'),
        record(1_000_000 + 3 * DAY, "ann", subject="Merge b", parents=2),
        record(1_000_000 + 4 * DAY, "ann", subject="change"),
    ]
    summary = summarise(commits, PATTERNS)
    assert (summary.merges, summary.reverts, summary.fixes) == (2, 2, 0)


def test_months_are_utc_months_whatever_the_local_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 2026-01-31 23:30 UTC is already February in Tokyo.
    late = int(datetime(2026, 1, 31, 23, 30, tzinfo=UTC).timestamp())
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        summary = summarise([record(late, "ann")], PATTERNS)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert summary.active_authors_per_month == {"2026-01": 1}
