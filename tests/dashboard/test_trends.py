"""Per-month trends from commit records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from technology_repos import technology_repo

from bmad.dashboard.trends import monthly_trends, technology_adoption_section, with_complexity
from bmad.extractors.history import CommitRecord, FileChange, SubjectPatterns

PATTERNS = SubjectPatterns(fix=(r"\bfix",), revert=(r"^revert",))


def record(
    commit_id: str, when: str, author: str, subject: str, lines: int, parents: int = 1
) -> CommitRecord:
    moment = int(datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp())
    return CommitRecord(
        id=commit_id,
        parents=tuple(f"p{index}" for index in range(parents)),
        author_name=author,
        author_email=f"{author}@example.invalid",
        author_time=moment,
        subject=subject,
        changes=(FileChange("a.py", "M", added=lines, deleted=1),),
    )


def test_months_count_commits_churn_fixes_and_distinct_authors() -> None:
    commits = [
        record("c1", "2026-01-03T00:00:00", "ada", "start", 10),
        record("c2", "2026-01-30T23:00:00", "bob", "fix the parser", 4),
        record("c3", "2026-01-15T00:00:00", "ada", "Revert fix the parser", 3),
        record("m1", "2026-03-01T00:00:00", "ada", "merge branch", 50, parents=2),
        record("c4", "2026-03-02T00:00:00", "ada", "fix: off by one", 2),
    ]
    trends = monthly_trends(commits, PATTERNS)
    assert [(t.month, t.commits, t.churn, t.fixes, t.authors) for t in trends] == [
        ("2026-01", 3, 11 + 5 + 4, 1, 2),  # a revert is not a fix
        ("2026-03", 2, 3, 1, 1),  # the merge counts as a commit but brings no churn
    ]
    assert [t.last_commit for t in trends] == ["c2", "c4"]
    assert trends[0].fix_ratio == 1 / 3


def test_complexity_is_attached_by_the_months_last_commit_and_missing_months_stay_none() -> None:
    commits = [
        record("c1", "2026-01-03T00:00:00", "ada", "start", 1),
        record("c2", "2026-02-03T00:00:00", "ada", "more", 1),
    ]
    trends = with_complexity(monthly_trends(commits, PATTERNS), {"c2": 41})
    assert [t.cognitive for t in trends] == [None, 41]


def test_the_adoption_section_lists_the_repositorys_technologies_and_their_months(
    tmp_path: Path,
) -> None:
    repo = technology_repo(tmp_path / "repo")
    html = technology_adoption_section(repo)
    assert "<code>language:typescript</code>" in html and "<code>tool:ruff</code>" in html
    assert "█" in html
    # gone since 2023, before the two-year window: listed, with no month marked
    assert "<td>no</td><td><code>dependency:pypi:requests</code></td><td>2023-01</td>" in html
    assert "unavailable" in technology_adoption_section(tmp_path)  # not a repository
