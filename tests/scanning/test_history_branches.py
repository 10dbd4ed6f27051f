"""Mining a history whose branches delete, re-create, rename and change the same paths and
merge (tests/history_repos.py ``build_branchy_repo``): the files are HEAD's tree, and each
file's revisions are what its history in the commit graph holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_repos import RepoBuilder, build_branchy_repo, git_log_paths, revisions_by_git

from bmad.extractors.history import CommitRecord, TipTree
from bmad.extractors.history_report import (
    HistoryOptions,
    HistoryReport,
    analyse_history,
    report_json,
    subject_patterns,
)
from bmad.scanning.history_git import (
    MiningSettings,
    commits_between,
    describe,
    open_repository,
    read_commits,
    resolve_tip,
    tree_paths,
)

PATTERNS = subject_patterns([r"\bfix"], [r"^revert\b"])
TREE = {"core/app.txt", "notes.txt", "old.txt"}


@pytest.fixture(scope="module")
def branchy(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    return build_branchy_repo(tmp_path_factory.mktemp("branchy") / "repo")


def analysed(path: Path, follow_renames: bool, include_deleted: bool = False) -> HistoryReport:
    repository = open_repository(path)
    tip = resolve_tip(repository, None)
    assert tip is not None
    records: list[CommitRecord] = list(
        read_commits(
            describe(repository).git_dir,
            commits_between(repository, tip, None),
            MiningSettings(follow_renames=follow_renames, jobs=1),
            frozenset(),
        )
    )
    options = HistoryOptions(
        patterns=PATTERNS, follow_renames=follow_renames, include_deleted=include_deleted
    )
    return analyse_history(records, TipTree(tip, tree_paths(repository, tip)), options, 0)


def revisions(report: HistoryReport) -> dict[str, int]:
    return {history.path: history.revisions for _, history in report.live_files()}


def test_without_renames_every_file_of_head_has_the_revisions_git_shows(
    branchy: RepoBuilder,
) -> None:
    report = analysed(branchy.path, follow_renames=False)
    # notes.txt: the start, its deletion on cleanup, feature's change (the merge that brought
    # it back equals feature's version); old.txt: the start, the deletion and the new one
    assert revisions(report) == {"core/app.txt": 3, "notes.txt": 3, "old.txt": 3}
    for path, count in revisions(report).items():
        assert count == revisions_by_git(branchy.path, path)
        assert count >= len(git_log_paths(branchy.path, path))


def test_with_renames_a_change_made_to_the_old_name_on_another_branch_follows_the_file(
    branchy: RepoBuilder,
) -> None:
    report = analysed(branchy.path, follow_renames=True)
    found = revisions(report)
    # core/app.txt: the start, main's change to app.txt (the merge renamed app.txt to
    # core/app.txt against main), the move, the merge (unlike either parent), the footer.
    # git log --follow lists 3 of them: it does not see main's change across the merge.
    assert found == {"core/app.txt": 5, "notes.txt": 3, "old.txt": 3}
    (app,) = [history for _, history in report.live_files() if history.path == "core/app.txt"]
    assert app.added == 12 + 1 + 1 and app.creator == "alice@example.com"


@pytest.mark.parametrize("follow_renames", [True, False])
def test_deleted_files_appear_only_when_asked_for_and_are_marked(
    branchy: RepoBuilder, follow_renames: bool
) -> None:
    listed = report_json(analysed(branchy.path, follow_renames), {})
    assert {entry["path"] for entry in listed["files"]} == TREE
    assert all("deleted_file" not in entry for entry in listed["files"])

    everything = report_json(analysed(branchy.path, follow_renames, include_deleted=True), {})
    deleted = {e["path"]: e["revisions"] for e in everything["files"] if e.get("deleted_file")}
    # gone.txt: the start, cleanup's deletion, main's change; without renames app.txt is a
    # deleted file too (the start, main's change, and the move, seen as a deletion)
    assert deleted == ({"gone.txt": 3} if follow_renames else {"gone.txt": 3, "app.txt": 3})
    live = [e["path"] for e in everything["files"] if not e.get("deleted_file")]
    assert set(live) == TREE and everything["files"][: len(live)] == listed["files"]
