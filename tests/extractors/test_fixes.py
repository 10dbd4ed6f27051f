"""Outcome labels worked out by hand: which commits fix, which functions a diff touched, which
removed lines SZZ traces and which origins its filters keep."""

from __future__ import annotations

from bmad.extractors.fixes import (
    FixTrace,
    FunctionSpan,
    Hunk,
    LabelSettings,
    Outcome,
    fixing_commits,
    is_cosmetic,
    outcome_of,
    summarise_traces,
    touched_functions,
    trace,
    traceable_lines,
)
from bmad.extractors.history import CommitRecord, FileChange, SubjectPatterns

PATTERNS = SubjectPatterns(fix=(r"\bfix(?:e[sd]|ing)?\b", r"\bbug\b"), revert=(r"^revert\b",))
SETTINGS = LabelSettings(PATTERNS, max_fix_files=3, max_origin_files=2)


def commit(
    commit_id: str, subject: str, files: int = 1, parents: tuple[str, ...] = ("p",), time: int = 0
) -> CommitRecord:
    changes = tuple(FileChange(f"f{i}.py", "M", 1, 1) for i in range(files))
    return CommitRecord(commit_id, parents, "A", "a@example.com", time, subject, changes)


def test_subjects_name_fixes_and_reverts_but_not_merges_or_sweeps() -> None:
    assert outcome_of(commit("a", "Fix crash on empty input"), SETTINGS) is Outcome.FIX
    assert outcome_of(commit("b", "bug: wrong default"), SETTINGS) is Outcome.FIX
    assert outcome_of(commit("c", 'Revert "Fix crash"'), SETTINGS) is Outcome.REVERT
    assert outcome_of(commit("d", "Add a prefix option"), SETTINGS) is None
    assert outcome_of(commit("e", "Fix merge", parents=("p", "q")), SETTINGS) is None
    assert outcome_of(commit("f", "Fix typos everywhere", files=4), SETTINGS) is None
    found = fixing_commits([commit("a", "fixes #12"), commit("d", "Docs")], SETTINGS)
    assert [(item.id, outcome) for item, outcome in found] == [("a", Outcome.FIX)]


SPANS = (
    FunctionSpan("parse", 3, 10),
    FunctionSpan("parse.inner", 5, 7),
    FunctionSpan("render", 12, 20),
)


def test_a_changed_line_counts_for_every_function_around_it() -> None:
    assert touched_functions([Hunk(6, 1, 6, 1)], SPANS) == {"parse", "parse.inner"}
    assert touched_functions([Hunk(9, 4, 9, 1)], SPANS) == {"parse", "render"}
    assert touched_functions([Hunk(1, 2, 1, 0)], SPANS) == frozenset()


def test_an_insertion_belongs_to_a_function_only_inside_its_body() -> None:
    # "@@ -3,0 +4 @@" inserts after line 3, the def line: inside parse.
    assert touched_functions([Hunk(3, 0, 4, 1)], SPANS) == {"parse"}
    # After parse's last line (10) and before render: in no function.
    assert touched_functions([Hunk(10, 0, 11, 2)], SPANS) == frozenset()
    assert touched_functions([Hunk(11, 0, 12, 1)], SPANS) == frozenset()


def test_blank_and_comment_only_lines_are_not_traced() -> None:
    assert is_cosmetic("   ", "python")
    assert is_cosmetic("    # explain", "python")
    assert not is_cosmetic("x = 1  # explain", "python")
    assert is_cosmetic("  // note", "go") and is_cosmetic(" * @param x", "java")
    assert not is_cosmetic("// not a comment in Python", "python")
    assert not is_cosmetic("# a heading", None)
    hunks = [Hunk(4, 3, 4, 1, ("    # old note", "    x = 1", "")), Hunk(9, 1, 7, 1, ("y()",))]
    assert traceable_lines(hunks, "python") == [5, 9]


def test_traces_keep_known_origins_and_drop_very_large_commits() -> None:
    known = {
        "small": commit("small", "Add parse", files=2),
        "huge": commit("huge", "Reformat", files=3),
    }
    fix = commit("fix", "Fix parse")
    kept = trace(fix, ["small", "huge", "small", "grafted"], known, SETTINGS, had_lines=True)
    assert kept == FixTrace("fix", frozenset({"small"}))
    assert trace(fix, ["huge"], known, SETTINGS, True).reason == "blamed only very large commits"
    assert trace(fix, ["grafted"], known, SETTINGS, True).reason == "blamed lines outside history"
    assert not trace(fix, [], known, SETTINGS, had_lines=False).traced


def test_the_summary_says_what_fraction_of_fixes_was_traced() -> None:
    traces = [
        FixTrace("a", frozenset({"x", "y"})),
        FixTrace("b", frozenset({"y"})),
        FixTrace("c", frozenset(), "only added lines or cosmetic changes"),
        FixTrace("d", frozenset(), "blamed only very large commits"),
    ]
    summary = summarise_traces(traces)
    assert (summary.fixes, summary.traced, summary.origins) == (4, 2, 2)
    assert summary.traced_fraction == 0.5
    assert summary.reasons == {
        "blamed only very large commits": 1,
        "only added lines or cosmetic changes": 1,
    }
    assert summarise_traces([]).traced_fraction == 0.0
