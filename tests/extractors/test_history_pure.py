"""The pure history measures over hand-made commit records, checked against hand calculation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.extractors.history import (
    CommitRecord,
    FileChange,
    FileTimeline,
    SubjectPatterns,
    TipTree,
    classify_subject,
    file_timeline,
    in_window,
)
from bmad.extractors.history_coupling import CouplingThresholds, coupling_pairs, sum_of_coupling
from bmad.extractors.history_knowledge import degree_of_authorship, file_authors, truck_factor
from bmad.extractors.history_report import (
    HistoryOptions,
    analyse_history,
    hotspots,
    subject_patterns,
)
from bmad.extractors.history_summary import distribution, percentile

DAY = 86_400
PATTERNS = SubjectPatterns(
    fix=(r"\bfix(?:e[sd]|ing)?\b", r"\bbugs?\b", r"\bhotfix\b", r"\bpatch(?:e[sd])?\b"),
    revert=(r"^revert\b",),
)


def commit(
    number: int,
    author: str,
    *changes: FileChange,
    subject: str = "change",
    parents: tuple[int, ...] | None = None,
) -> CommitRecord:
    """Commit ``number`` authored on day ``number``; its parent is the one before it unless
    ``parents`` names others."""
    chosen = parents if parents is not None else ((number - 1,) if number > 1 else ())
    return CommitRecord(
        id=f"{number:040x}",
        parents=tuple(f"{parent:040x}" for parent in chosen),
        author_name=author.title(),
        author_email=f"{author}@example.com",
        author_time=number * DAY,
        subject=subject,
        changes=changes,
    )


def tip_of(commits: list[CommitRecord], *paths: str) -> TipTree:
    return TipTree(commits[-1].id, frozenset(paths))


def timeline(commits: list[CommitRecord], *paths: str, follow_renames: bool = True) -> FileTimeline:
    """The timeline at the last commit, whose tree holds ``paths``."""
    return file_timeline(commits, tip_of(commits, *paths), follow_renames)


def test_subjects_are_classified_and_a_revert_is_not_a_fix() -> None:
    assert classify_subject("Fix crash on start", PATTERNS) == (True, False)
    assert classify_subject("hotfix: login", PATTERNS) == (True, False)
    assert classify_subject("Fixes #12", PATTERNS) == (True, False)
    assert classify_subject("Add prefix option", PATTERNS) == (False, False)
    assert classify_subject('Revert "Fix crash"', PATTERNS) == (False, True)
    assert classify_subject("Do not revert this", PATTERNS) == (False, False)


def test_invalid_subject_pattern_is_a_configuration_error() -> None:
    with pytest.raises(BmadError, match="invalid history subject pattern"):
        subject_patterns(["(unclosed"], [])


def test_renames_carry_history_and_deletes_end_it() -> None:
    commits = [
        commit(1, "ann", FileChange("a.py", "A", 10)),
        commit(2, "bob", FileChange("a.py", "M", 5, 2)),
        commit(3, "bob", FileChange("b.py", "R", 1, 1, old_path="a.py")),
        commit(4, "ann", FileChange("gone.py", "A", 3)),
        commit(5, "ann", FileChange("gone.py", "D", 0, 3)),
    ]
    found = timeline(commits, "b.py")
    files = {f.path: f for f in found.files}
    assert set(files) == {"b.py", "gone.py"} and found.live == 1
    moved = files["b.py"]
    assert (moved.revisions, moved.added, moved.deleted, moved.authors) == (3, 16, 3, 2)
    assert moved.creator == "ann@example.com"
    assert moved.main_developer() == ("ann@example.com", 10 / 16)
    assert math.isclose(moved.fragmentation(), 1 - (10 / 16) ** 2 - (6 / 16) ** 2)
    assert (moved.first_change, moved.last_change) == (DAY, 3 * DAY)
    assert not files["gone.py"].alive
    unfollowed = {f.path: f for f in timeline(commits, "b.py", follow_renames=False).files}
    assert unfollowed["a.py"].revisions == 2
    assert unfollowed["b.py"].revisions == 1


def test_binary_files_fall_back_to_commit_ownership() -> None:
    commits = [
        commit(1, "ann", FileChange("logo.png", "A", binary=True)),
        commit(2, "bob", FileChange("logo.png", "M", binary=True)),
        commit(3, "bob", FileChange("logo.png", "M", binary=True)),
    ]
    (logo,) = timeline(commits, "logo.png").files
    assert logo.main_developer() == ("bob@example.com", 2 / 3)


def test_coupling_follows_code_maat() -> None:
    # a and b change together 6 times; a alone 2 more, b alone once
    sets = [[0, 1]] * 6 + [[0]] * 2 + [[1]]
    (pair,) = coupling_pairs(sets, CouplingThresholds())
    # revs a=8, b=7, mean 7.5, degree 100*6/7.5 = 80
    assert (pair.a, pair.b, pair.degree, pair.shared, pair.average_revs) == (0, 1, 80, 6, 8)
    assert coupling_pairs(sets, CouplingThresholds(min_shared_revs=7)) == []
    assert coupling_pairs(sets, CouplingThresholds(min_coupling=81)) == []
    assert coupling_pairs(sets, CouplingThresholds(min_revs=8)) == []


def test_large_change_sets_are_dropped_before_counting() -> None:
    big = list(range(2, 40))
    sets = [[0, 1]] * 5 + [[0, 1, *big]] * 3
    (pair,) = coupling_pairs(sets, CouplingThresholds(max_changeset=30))
    assert (pair.shared, pair.degree) == (5, 100)
    (pair,) = coupling_pairs(sets, CouplingThresholds(max_changeset=100))
    assert pair.shared == 8


def test_degree_is_truncated_and_average_rounded_up() -> None:
    # a: 7 revisions, b: 6 revisions, shared 5 -> mean 6.5, degree 76.92
    sets = [[0, 1]] * 5 + [[0]] * 2 + [[1]]
    (pair,) = coupling_pairs(sets, CouplingThresholds())
    assert (pair.degree, pair.average_revs) == (76, 7)


def test_sum_of_coupling_counts_partners_per_change_set() -> None:
    sets = [[0, 1, 2]] * 3 + [[0, 1]]
    assert sum_of_coupling(sets, min_revs=0) == {0: 7, 1: 7, 2: 6}
    assert sum_of_coupling(sets, min_revs=6) == {0: 7, 1: 7}


def test_degree_of_authorship_matches_the_paper() -> None:
    commits = [commit(1, "ann", FileChange("f", "A", 5))] + [
        commit(i, "bob", FileChange("f", "M", 1)) for i in range(2, 6)
    ]
    (history,) = timeline(commits, "f").files
    assert math.isclose(
        degree_of_authorship(history, "ann@example.com"),
        3.293 + 1.098 + 0.164 - 0.321 * math.log(1 + 4),
    )
    assert math.isclose(
        degree_of_authorship(history, "bob@example.com"), 3.293 + 0.164 * 4 - 0.321 * math.log(2)
    )
    # ann 4.038, bob 3.726: 3.726 / 4.038 = 0.92 > 0.75, both are authors
    assert file_authors(history) == {"ann@example.com", "bob@example.com"}


def test_truck_factor_greedy_removal() -> None:
    commits = [
        commit(1, "ann", FileChange("a", "A", 1), FileChange("b", "A", 1), FileChange("c", "A", 1)),
        commit(2, "bob", FileChange("d", "A", 1)),
        commit(3, "eve", FileChange("e", "A", 1)),
    ]
    result = truck_factor(timeline(commits, "a", "b", "c", "d", "e").files)
    # removing ann orphans 3 of 5 files (more than half)
    assert (result.value, result.removed, result.files) == (1, ("ann@example.com",), 5)
    assert truck_factor(()).value == 0


def test_window_and_hotspots() -> None:
    commits = [
        commit(1, "ann", FileChange("a.py", "A", 5)),
        commit(2, "ann", FileChange("a.py", "M", 5)),
        commit(3, "bob", FileChange("b.py", "A", 5)),
    ]
    assert [c.author_time for c in in_window(commits, 2 * DAY, 3 * DAY)] == [2 * DAY, 3 * DAY]
    files = timeline(commits, "a.py", "b.py").files
    spots = hotspots(files, {"a.py": 3, "b.py": 5, "c.py": 100}, top=1)
    assert [(files[s.index].path, s.score) for s in spots] == [("a.py", 6)]
    both = hotspots(files, {"a.py": 3, "b.py": 5}, top=0)
    assert [s.score for s in both] == [6, 5]


def test_percentiles_interpolate_like_numpy() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4], 90) == pytest.approx(3.7)
    assert distribution([]).maximum == 0
    shown = distribution([3, 1, 2]).as_dict()
    assert shown["p50"] == 2 and shown["max"] == 3 and shown["mean"] == 2.0


def test_report_ratios_and_merges_without_churn() -> None:
    commits = [
        commit(1, "ann", FileChange("a.py", "A", 5), subject="Add a"),
        commit(2, "bob", FileChange("a.py", "M", 1, 1), subject="Fix a"),
        commit(3, "ann", FileChange("a.py", "M"), subject="Merge branch x", parents=(2, 1)),
        commit(4, "bob", FileChange("a.py", "M", 1, 1), subject='Revert "Fix a"'),
    ]
    report = analyse_history(
        commits, tip_of(commits, "a.py"), HistoryOptions(patterns=PATTERNS), now=10 * DAY
    )
    summary = report.summary
    assert (summary.commits, summary.merges, summary.fixes, summary.reverts) == (4, 1, 1, 1)
    assert summary.files_per_commit.maximum == 1
    (history,) = report.files
    assert (history.revisions, history.added, history.deleted) == (4, 7, 2)


@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=5),
        max_size=40,
    )
)
def test_coupling_degree_bounds(sets: list[list[int]]) -> None:
    for pair in coupling_pairs(sets, CouplingThresholds(min_revs=0, min_shared_revs=1)):
        assert 0 < pair.degree <= 100
        assert pair.a < pair.b
        assert pair.shared <= pair.average_revs
