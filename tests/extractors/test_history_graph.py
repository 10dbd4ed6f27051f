"""The per-file fold over non-linear histories, on hand-made commit records: which files there
are and which commits count for each is decided by the commit graph and the tip's tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from bmad.extractors.history import (
    CommitRecord,
    FileChange,
    FileHistory,
    FileTimeline,
    MergeRename,
    SubjectPatterns,
    TipTree,
    ancestry,
    file_timeline,
)
from bmad.extractors.history_report import HistoryOptions, analyse_history, report_json

DAY = 86_400
OPTIONS = HistoryOptions(patterns=SubjectPatterns(fix=(), revert=()))


@dataclass
class Graph:
    """Commits named by label, authored a day apart in the order they are written."""

    commits: dict[str, CommitRecord] = field(default_factory=dict)

    def add(
        self,
        label: str,
        parents: tuple[str, ...],
        *changes: FileChange,
        renames: tuple[MergeRename, ...] = (),
        author: str = "ann",
    ) -> None:
        self.commits[label] = CommitRecord(
            id=label,
            parents=parents,
            author_name=author.title(),
            author_email=f"{author}@example.com",
            author_time=(len(self.commits) + 1) * DAY,
            subject=label,
            changes=changes,
            merge_renames=renames,
        )

    def fold(self, tip: str, *paths: str, follow_renames: bool = True) -> FileTimeline:
        return file_timeline(self.commits.values(), TipTree(tip, frozenset(paths)), follow_renames)

    def files(
        self, tip: str, *paths: str, follow_renames: bool = True
    ) -> dict[tuple[str, bool], FileHistory]:
        return {
            (f.path, f.alive): f
            for f in self.fold(tip, *paths, follow_renames=follow_renames).files
        }


def test_a_delete_on_one_branch_does_not_end_a_file_another_branch_keeps() -> None:
    # the express case: x deletes the file, y changes it, the merge keeps y's
    graph = Graph()
    graph.add("root", (), FileChange("f", "A", 3), FileChange("g", "A", 1))
    graph.add("x1", ("root",), FileChange("f", "D", 0, 3))
    graph.add("y1", ("root",), FileChange("f", "M", 1, 1))
    graph.add("merge", ("x1", "y1"), FileChange("f", "M"))
    for follow in (True, False):
        files = graph.files("merge", "f", "g", follow_renames=follow)
        assert set(files) == {("f", True), ("g", True)}
        assert files["f", True].revisions == 4  # root, the delete, the change and the merge


def test_a_file_deleted_at_the_tip_is_not_resurrected_by_a_change_on_a_side_branch() -> None:
    graph = Graph()
    graph.add("root", (), FileChange("f", "A", 3), FileChange("g", "A", 1))
    graph.add("side", ("root",), FileChange("f", "M", 1, 1))
    graph.add("main", ("root",), FileChange("f", "D", 0, 3))
    graph.add("merge", ("main", "side"))  # the merge takes main's tree: no change of its own
    timeline = graph.fold("merge", "g")
    assert [(f.path, f.alive) for f in timeline.files] == [("g", True), ("f", False)]
    assert timeline.live == 1
    assert timeline.files[1].revisions == 3


def test_a_path_deleted_and_re_created_keeps_one_history() -> None:
    graph = Graph()
    graph.add("c1", (), FileChange("f", "A", 5))
    graph.add("c2", ("c1",), FileChange("f", "D", 0, 5))
    graph.add("c3", ("c2",), FileChange("f", "A", 2), author="bob")
    for follow in (True, False):
        (history,) = graph.fold("c3", "f", follow_renames=follow).files
        assert (history.revisions, history.added, history.deleted) == (3, 7, 5)
        assert history.creator == "ann@example.com"  # the first creation, not the last


def test_a_rename_beats_a_re_creation_of_the_old_name() -> None:
    graph = Graph()
    graph.add("c1", (), FileChange("a", "A", 5))
    graph.add("c2", ("c1",), FileChange("a", "M", 1, 1))
    graph.add("c3", ("c2",), FileChange("b", "R", 0, 0, old_path="a"))
    graph.add("c4", ("c3",), FileChange("a", "A", 9), author="bob")
    files = graph.files("c4", "a", "b")
    assert set(files) == {("a", True), ("b", True)}
    assert (files["b", True].revisions, files["b", True].added) == (3, 6)
    assert (files["a", True].revisions, files["a", True].creator) == (1, "bob@example.com")
    # without renames, the path is the file: everything done at "a" counts for it
    plain = graph.files("c4", "a", "b", follow_renames=False)
    assert (plain["a", True].revisions, plain["b", True].revisions) == (3, 1)


def test_a_rename_target_does_not_inherit_the_history_of_an_older_file_at_its_path() -> None:
    graph = Graph()
    graph.add("c1", (), FileChange("a", "A", 5), FileChange("b", "A", 7))
    graph.add("c2", ("c1",), FileChange("b", "D", 0, 7))
    graph.add("c3", ("c2",), FileChange("b", "R", old_path="a"))
    files = graph.files("c3", "b")
    assert set(files) == {("b", True), ("b", False)}
    assert (files["b", True].revisions, files["b", True].added) == (2, 5)
    assert (files["b", False].revisions, files["b", False].added) == (2, 7)


def test_a_branch_that_renamed_a_file_takes_along_the_changes_merged_from_the_old_name() -> None:
    # main changes "a" while topic renames it; the merge's rename against main's parent
    # carries main's change over to "b"
    graph = Graph()
    graph.add("root", (), FileChange("a", "A", 10))
    graph.add("topic", ("root",), FileChange("b", "R", old_path="a"))
    graph.add("main", ("root",), FileChange("a", "M", 1, 1), author="bob")
    graph.add(
        "merge",
        ("main", "topic"),
        FileChange("b", "M"),
        renames=(MergeRename(0, "a", "b"),),
    )
    files = graph.files("merge", "b")
    assert set(files) == {("b", True)}
    assert files["b", True].revisions == 4
    assert files["b", True].commits_by == {"ann@example.com": 3, "bob@example.com": 1}


def test_without_the_merge_rename_the_old_name_still_goes_to_the_renamed_file_before_the_fork() -> (
    None
):
    graph = Graph()
    graph.add("root", (), FileChange("a", "A", 10))
    graph.add("topic", ("root",), FileChange("b", "R", old_path="a"))
    graph.add("main", ("root",), FileChange("a", "M", 1, 1))
    graph.add("merge", ("main", "topic"), FileChange("b", "M"))
    files = graph.files("merge", "b")
    # main's change to "a" is not linked to "b" by any rename: it belongs to a deleted "a";
    # the root is claimed by "b" (through topic) and by the deleted "a" (through main):
    # a file at the tip wins
    assert files["b", True].revisions == 3
    assert files["a", False].revisions == 1


def test_two_branches_renaming_one_file_differently_give_it_to_the_smaller_path() -> None:
    graph = Graph()
    graph.add("root", (), FileChange("a", "A", 10))
    graph.add("x", ("root",), FileChange("c", "R", old_path="a"))
    graph.add("y", ("root",), FileChange("b", "R", old_path="a"))
    graph.add("merge", ("x", "y"), FileChange("b", "M"))
    files = graph.files("merge", "b", "c")
    assert (files["b", True].revisions, files["b", True].added) == (3, 10)
    assert (files["c", True].revisions, files["c", True].added) == (1, 0)


def test_a_name_another_branch_kept_stays_with_its_own_file() -> None:
    # a merge that keeps both the renamed file and the old name: the history before the fork
    # stays with the name, so that each of the two files has a history of its own
    graph = Graph()
    graph.add("root", (), FileChange("a", "A", 10))
    graph.add("x", ("root",), FileChange("b", "R", old_path="a"))
    graph.add("y", ("root",), FileChange("a", "M", 1, 1))
    graph.add("merge", ("x", "y"), FileChange("a", "M"))
    files = graph.files("merge", "a", "b")
    assert (files["a", True].revisions, files["a", True].added) == (3, 11)
    assert (files["b", True].revisions, files["b", True].added) == (1, 0)


def test_a_rename_beats_a_re_creation_on_another_branch() -> None:
    graph = Graph()
    graph.add("root", (), FileChange("a", "A", 10))
    graph.add("x", ("root",), FileChange("b", "R", old_path="a"))
    graph.add("y1", ("root",), FileChange("a", "D", 0, 10))
    graph.add("y2", ("y1",), FileChange("a", "A", 4))
    graph.add("merge", ("x", "y2"), FileChange("a", "M"), FileChange("b", "M"))
    files = graph.files("merge", "a", "b")
    # "a" on y was deleted and made again: its claim on the root is infirm, "b"'s is not
    assert (files["b", True].revisions, files["b", True].added) == (3, 10)
    assert (files["a", True].revisions, files["a", True].added) == (3, 4)


def test_renames_chain_through_merges_and_branches() -> None:
    graph = Graph()
    graph.add("root", (), FileChange("v1", "A", 1))
    graph.add("r2", ("root",), FileChange("v2", "R", old_path="v1"))
    graph.add("side", ("r2",), FileChange("v2", "M", 1))
    graph.add("r3", ("r2",), FileChange("v3", "R", old_path="v2"))
    graph.add("merge", ("r3", "side"), FileChange("v3", "M"), renames=(MergeRename(1, "v2", "v3"),))
    graph.add("r4", ("merge",), FileChange("v4", "R", old_path="v3"))
    (history,) = graph.fold("r4", "v4").files
    assert (history.path, history.revisions, history.added) == ("v4", 6, 2)


def test_the_window_chooses_commits_and_the_graph_chooses_files() -> None:
    graph = Graph()
    graph.add("c1", (), FileChange("old", "A", 5))
    graph.add("c2", ("c1",), FileChange("old", "M", 1))
    graph.add("c3", ("c2",), FileChange("new", "R", old_path="old"))
    timeline = file_timeline(
        graph.commits.values(),
        TipTree("c3", frozenset({"new"})),
        True,
        since=2 * DAY,
        until=2 * DAY,
    )
    (history,) = timeline.files
    assert (history.path, history.alive, history.revisions, history.added) == ("new", True, 1, 1)
    assert history.creator is None  # the window did not see the file's creation


def test_commits_not_reachable_from_the_tip_do_not_count() -> None:
    graph = Graph()
    graph.add("c1", (), FileChange("f", "A", 5))
    graph.add("c2", ("c1",), FileChange("f", "M", 1))
    graph.add("elsewhere", ("c1",), FileChange("f", "M", 9), FileChange("g", "A", 9))
    assert [c.id for c in ancestry(graph.commits.values(), "c2")] == ["c2", "c1"]
    (history,) = graph.fold("c2", "f").files
    assert (history.revisions, history.added) == (2, 6)
    assert graph.fold("unknown", "f").files == ()


def test_coupling_and_knowledge_name_only_files_at_the_tip_unless_deleted_ones_are_asked_for() -> (
    None
):
    graph = Graph()
    parent: tuple[str, ...] = ()
    for number in range(6):
        label = f"c{number}"
        graph.add(label, parent, FileChange("kept", "M", 1), FileChange("gone", "M", 1))
        parent = (label,)
    graph.add("drop", parent, FileChange("gone", "D", 0, 6))
    tip = TipTree("drop", frozenset({"kept"}))
    report = analyse_history(list(graph.commits.values()), tip, OPTIONS, now=30 * DAY)
    assert [f.path for f in report.files] == ["kept"]
    assert report.coupling == ()
    document = report_json(report, {})
    assert [entry["path"] for entry in document["files"]] == ["kept"]
    assert "deleted_file" not in document["files"][0]
    assert document["files"][0]["sum_of_coupling"] == 6

    everything = HistoryOptions(patterns=OPTIONS.patterns, include_deleted=True)
    report = analyse_history(list(graph.commits.values()), tip, everything, now=30 * DAY)
    document = report_json(report, {})
    assert [(e["path"], e.get("deleted_file"), e["deleted"]) for e in document["files"]] == [
        ("kept", None, 0),
        ("gone", True, 6),
    ]
    assert [(c["a"], c["b"]) for c in document["coupling"]] == [("kept", "gone")]
    assert report.truck_factor.files == 1
    assert report.islands == ()  # one author, the only one active: nobody else to know it


def shuffled_graph() -> Graph:
    graph = Graph()
    graph.add("root", (), FileChange("a", "A", 10), FileChange("x", "A", 1))
    graph.add("t1", ("root",), FileChange("b", "R", old_path="a"), FileChange("x", "M", 1))
    graph.add("m1", ("root",), FileChange("a", "M", 1, 1), FileChange("x", "D", 0, 1))
    graph.add("m2", ("m1",), FileChange("x", "A", 2), author="bob")
    graph.add(
        "merge",
        ("m2", "t1"),
        FileChange("b", "M"),
        FileChange("x", "M"),
        renames=(MergeRename(0, "a", "b"),),
    )
    graph.add("t2", ("t1",), FileChange("a", "A", 3), author="bob")
    graph.add("last", ("merge", "t2"), FileChange("a", "M"))
    return graph


@given(st.permutations(list(shuffled_graph().commits.values())))
def test_the_fold_does_not_depend_on_the_order_of_the_records(
    records: list[CommitRecord],
) -> None:
    tip = TipTree("last", frozenset({"a", "b", "x"}))
    found = file_timeline(records, tip)
    assert found == file_timeline(shuffled_graph().commits.values(), tip)
    assert [(f.path, f.revisions, f.added, f.creator) for f in found.files] == [
        ("a", 2, 3, "bob@example.com"),  # made again on t2 after t1 renamed the first "a" away
        ("b", 4, 11, "ann@example.com"),  # root, m1's change to "a", t1's rename, the merge
        ("x", 5, 4, "ann@example.com"),
    ]
