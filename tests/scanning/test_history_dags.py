"""Mined per-file histories of generated commit graphs against git's own per-path logs.

Each example is a small repository whose branches add, change, delete, re-create and rename
a handful of paths and merge each other (a merge takes either side's version of a path, keeps
or drops a one-sided path, or resolves both sides into a third version). What is asserted,
for every path P in HEAD's tree:

- the files bmad lists are exactly the paths of HEAD's tree, with and without renames;
- without rename following, P's revisions are exactly the non-merge commits
  ``git log --full-history --no-merges --no-renames -- P`` lists plus the merges whose P
  differs from P in every parent (read from the trees), and at least as many as the commits
  plain ``git log --no-renames -- P`` lists (merges included);
- with rename following, a path no rename ever touched has the same revisions as without;
- with rename following on a history without merges, a file whose ``git log --follow``
  walk is a single chain (created once, then only changed or renamed: no deletion, no copy)
  has as many revisions as that walk lists.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from history_repos import PATH_POOL, Operation, build_dag, git_log_paths, revisions_by_git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmad.extractors.history import CommitRecord, FileHistory, TipTree, file_timeline
from bmad.scanning.history_git import (
    MiningSettings,
    commits_between,
    describe,
    open_repository,
    read_commits,
    resolve_tip,
    tree_paths,
)

OPERATIONS = st.lists(
    st.builds(
        Operation,
        kind=st.sampled_from(["change", "change", "rename", "branch", "switch", "merge", "merge"]),
        path=st.integers(0, len(PATH_POOL) - 1),
        other=st.integers(0, len(PATH_POOL) - 1),
        flag=st.integers(0, 2**21 - 1),
    ),
    min_size=3,
    max_size=16,
)


def mined(repo: Path, follow_renames: bool) -> tuple[list[CommitRecord], TipTree]:
    repository = open_repository(repo)
    tip = resolve_tip(repository, None)
    assert tip is not None
    records = list(
        read_commits(
            describe(repository).git_dir,
            commits_between(repository, tip, None),
            MiningSettings(follow_renames=follow_renames, jobs=1),
            frozenset(),
        )
    )
    return records, TipTree(tip, tree_paths(repository, tip))


def files_at_tip(records: list[CommitRecord], tip: TipTree, follow: bool) -> dict[str, FileHistory]:
    timeline = file_timeline(records, tip, follow)
    return {history.path: history for history in timeline.files[: timeline.live]}


def single_chain_length(repo: Path, path: str) -> int | None:
    """Commits in ``git log --follow`` of ``path`` when the walk is one chain of names."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--follow", "--name-status", "--format=@%H", "--", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    statuses = [line.split("\t")[0][0] for line in out.splitlines() if "\t" in line]
    if not statuses or statuses[-1] != "A" or set(statuses[:-1]) - {"M", "R"}:
        return None
    return out.count("@")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(OPERATIONS)
def test_every_file_at_head_agrees_with_git_log(
    tmp_path_factory: pytest.TempPathFactory, operations: list[Operation]
) -> None:
    repo = tmp_path_factory.mktemp("dag") / "repo"
    build_dag(repo, operations)
    plain_records, tip = mined(repo, follow_renames=False)
    plain = files_at_tip(plain_records, tip, follow=False)
    assert set(plain) == tip.paths
    for path, history in plain.items():
        assert history.revisions == revisions_by_git(repo, path), path
        assert history.revisions >= len(git_log_paths(repo, path)), path

    records, tip = mined(repo, follow_renames=True)
    followed = files_at_tip(records, tip, follow=True)
    assert set(followed) == tip.paths
    renamed = {
        name
        for record in records
        for name in (
            *(n for r in record.merge_renames for n in (r.old_path, r.new_path)),
            *(n for c in record.changes if c.old_path is not None for n in (c.old_path, c.path)),
        )
    }
    for path in tip.paths - renamed:
        assert followed[path].revisions == plain[path].revisions, path
    if not any(record.is_merge for record in records):
        for path in tip.paths:
            length = single_chain_length(repo, path)
            if length is not None:
                assert followed[path].revisions == length, path
