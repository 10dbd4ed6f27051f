"""Risk features and labels of a snapshot, worked out by hand on small commit records."""

from __future__ import annotations

from bmad.analysis.risk_features import (
    DECAY_HALF_LIFE_MONTHS,
    FILE_FEATURES,
    FUNCTION_FEATURES,
    Marks,
    ModulePosition,
    Snapshot,
    file_rows,
    function_rows,
    labels,
    process_history,
)
from bmad.extractors.fixes import FixedCode, Outcome
from bmad.extractors.history import SECONDS_PER_DAY, SECONDS_PER_MONTH, CommitRecord, FileChange
from bmad.extractors.metrics import FileMetrics, FunctionMetrics

DAY = SECONDS_PER_DAY


def commit(
    commit_id: str, day: int, author: str, *changes: FileChange, parents: tuple[str, ...] = ()
) -> CommitRecord:
    return CommitRecord(commit_id, parents, author, f"{author}@example.com", day * DAY, "", changes)


COMMITS = (
    commit("c1", 0, "alice", FileChange("a.py", "A", 10, 0), FileChange("b.py", "A", 5, 0)),
    commit("c2", 100, "bob", FileChange("a.py", "M", 2, 1), parents=("c1",)),
    commit("c3", 300, "alice", FileChange("c.py", "R", 0, 0, "a.py"), parents=("c2",)),
    commit("m", 310, "carol", FileChange("b.py", "M", 0, 0), parents=("c3", "c2")),
    commit("late", 400, "dave", FileChange("c.py", "M", 9, 9), parents=("m",)),
)


def test_history_up_to_the_snapshot_follows_renames_and_skips_merges() -> None:
    files = process_history(COMMITS, 350 * DAY, fixes=["c2"])
    assert sorted(files) == ["b.py", "c.py"]
    moved = files["c.py"]
    # c1, c2 and the rename c3; "late" is after the snapshot and the merge adds nothing.
    assert (moved.revisions, moved.churn, moved.recent_revisions, moved.recent_churn) == (
        3,
        13,
        1,
        0,
    )
    assert (moved.authors, moved.ownership, moved.prior_fixes, moved.recent_fixes) == (
        2,
        2 / 3,
        1,
        0,
    )
    assert moved.partners == {"b.py"}
    assert (files["b.py"].revisions, files["b.py"].partners) == (1, {"a.py"})


def test_minor_contributors_made_under_five_percent_of_a_files_commits() -> None:
    history = [commit(f"a{i}", i, "alice", FileChange("x.py", "M", 1, 0)) for i in range(25)]
    history.append(commit("b", 30, "bob", FileChange("x.py", "M", 1, 0)))
    history += [commit(f"c{i}", 40 + i, "carol", FileChange("x.py", "M", 1, 0)) for i in range(2)]
    files = process_history(history, 100 * DAY, fixes=())
    # bob: 1 of 28 commits (3.6%) is minor; carol: 2 of 28 (7.1%) is not.
    assert files["x.py"].minor_contributors == 1


def test_decayed_counts_halve_a_commits_weight_per_year_of_age() -> None:
    year = round(DECAY_HALF_LIFE_MONTHS * SECONDS_PER_MONTH)
    history = [
        CommitRecord("old", (), "alice", "a@example.com", 0, "", (FileChange("x.py", "A", 8, 0),)),
        CommitRecord("fix", (), "bob", "b@example.com", year, "", (FileChange("x.py", "M", 2, 2),)),
        CommitRecord(
            "new", (), "alice", "a@example.com", 2 * year, "", (FileChange("x.py", "M", 1, 0),)
        ),
    ]
    x = process_history(history, 2 * year, fixes=["fix"])["x.py"]
    # Ages 2, 1 and 0 half-lives: weights 1/4, 1/2 and 1.
    assert x.decayed_revisions == 0.25 + 0.5 + 1
    assert x.decayed_fixes == 0.5
    assert x.decayed_churn == 0.25 * 8 + 0.5 * 4 + 1 * 1
    row = dict(
        zip(
            FILE_FEATURES,
            file_rows(Snapshot(2 * year, {"x.py": CODE["b.py"]}, history, ()))[0].values,
            strict=True,
        )
    )
    assert (row["decayed_revisions"], row["decayed_fixes"], row["decayed_churn"]) == (
        1.75,
        0.0,
        5.0,
    )


def function(name: str, start: int, end: int, ccn: int) -> FunctionMetrics:
    return FunctionMetrics(
        name, name, start, end, end - start, end - start + 1, ccn, ccn, 2, 1, 1, 30
    )


CODE = {
    "c.py": FileMetrics(
        "python", 40, 30, 2, 8, False, (function("f", 1, 10, 4), function("g", 12, 30, 7))
    ),
    "b.py": FileMetrics("python", 5, 5, 0, 0, False, ()),
}
FIXES = (
    FixedCode("c2", 100 * DAY, Outcome.FIX, {"a.py": frozenset({"f"})}),
    FixedCode("later1", 500 * DAY, Outcome.FIX, {"c.py": frozenset({"g"})}),
    FixedCode("later2", 800 * DAY, Outcome.REVERT, {"b.py": frozenset()}),
)


def test_file_rows_join_code_history_and_the_import_graph() -> None:
    snapshot = Snapshot(350 * DAY, CODE, COMMITS, FIXES, {"c.py": ModulePosition(3, 1, True)})
    rows = {
        row.path: dict(zip(FILE_FEATURES, row.values, strict=True)) for row in file_rows(snapshot)
    }
    moved = rows["c.py"]
    assert (moved["sloc"], moved["functions"], moved["max_ccn"], moved["sum_ccn"]) == (30, 2, 7, 11)
    assert (moved["max_cognitive"], moved["sum_cognitive"]) == (7, 11)
    assert (moved["revisions"], moved["prior_fixes"], moved["coupled_files"]) == (3, 1, 1)
    assert (moved["fan_in"], moved["fan_out"], moved["in_cycle"]) == (3, 1, 1)
    assert moved["age_months"] == 350 * DAY / SECONDS_PER_MONTH
    assert moved["months_since_change"] == 50 * DAY / SECONDS_PER_MONTH
    assert (rows["b.py"]["fan_in"], rows["b.py"]["functions"]) == (0, 0)


def test_function_rows_count_earlier_fixes_of_the_function_by_name() -> None:
    snapshot = Snapshot(350 * DAY, CODE, COMMITS, FIXES)
    rows = function_rows(snapshot)
    assert [(row.path, row.function, row.start_line, row.lines) for row in rows] == [
        ("c.py", "f", 1, 9),
        ("c.py", "g", 12, 18),
    ]
    values = [dict(zip(FUNCTION_FEATURES, row.values, strict=True)) for row in rows]
    # The fix c2 changed f while its file was called a.py: that name is gone, so no credit.
    assert [v["function_prior_fixes"] for v in values] == [0, 0]
    assert [v["ccn"] for v in values] == [4, 7]
    after = Snapshot(600 * DAY, {"c.py": CODE["c.py"]}, COMMITS, FIXES)
    assert [
        r.values[FUNCTION_FEATURES.index("function_prior_fixes")] for r in function_rows(after)
    ] == [0, 1]


def test_labels_are_the_fixes_inside_the_window_after_the_snapshot() -> None:
    snapshot = Snapshot(350 * DAY, CODE, COMMITS, FIXES)
    files = file_rows(snapshot)
    assert [row.path for row in files] == ["b.py", "c.py"]
    assert labels(files, FIXES, 350 * DAY, 715 * DAY) == [False, True]
    assert labels(files, FIXES, 715 * DAY, 1080 * DAY) == [True, False]
    assert labels(function_rows(snapshot), FIXES, 350 * DAY, 715 * DAY) == [False, True]


def test_rates_keep_their_meaning_as_the_repository_ages() -> None:
    snapshot = Snapshot(350 * DAY, CODE, COMMITS, FIXES)
    moved = dict(zip(FILE_FEATURES, file_rows(snapshot)[1].values, strict=True))
    # c.py (was a.py): 3 revisions since day 0, 13 lines changed, 30 lines of code.
    assert moved["revisions_per_month"] == 3 / (350 * DAY / SECONDS_PER_MONTH)
    assert moved["churn_per_line"] == 13 / 30
    assert moved["age_share"] == 1.0
    b_file = dict(zip(FILE_FEATURES, file_rows(snapshot)[0].values, strict=True))
    # b.py: created on day 0, one revision (the merge adds nothing), 5 lines changed of 5.
    assert b_file["revisions_per_month"] == 1 / (350 * DAY / SECONDS_PER_MONTH)
    assert b_file["churn_per_line"] == 1.0


def test_detection_marks_join_the_rows_of_their_file_and_function() -> None:
    marks = {("c.py", None): Marks(5.0, 2.0, 1), ("c.py", "g"): Marks(4.0, 1.0, 1)}
    snapshot = Snapshot(350 * DAY, CODE, COMMITS, FIXES, marks=marks)
    files = {row.path: row.values[-3:] for row in file_rows(snapshot)}
    assert files == {"b.py": (0.0, 0.0, 0.0), "c.py": (5.0, 2.0, 1.0)}
    functions = {row.function: row.values[-3:] for row in function_rows(snapshot)}
    assert functions == {"f": (0.0, 0.0, 0.0), "g": (4.0, 1.0, 1.0)}
    assert FILE_FEATURES[-3:] == FUNCTION_FEATURES[-3:] == ("priority", "smells", "anomalous")
