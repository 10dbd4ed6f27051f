"""Incremental mining into the store: equals a full re-mine, survives crashes, detects rewrites."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from history_repos import RepoBuilder, build_branchy_repo, build_team_repo, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmad.extractors.history import CommitRecord
from bmad.extractors.history_report import (
    HistoryOptions,
    analyse_history,
    report_json,
    subject_patterns,
)
from bmad.scanning.history import stored_commits, update_history
from bmad.scanning.history_git import MiningSettings
from bmad.store.history import HistoryStore, open_history_store

SERIAL = MiningSettings(jobs=1)


def stored(store: HistoryStore, path: Path, rev: str | None = None) -> list[CommitRecord]:
    result = update_history(store, path, rev, SERIAL)
    assert result.source_id is not None
    return stored_commits(store, result.source_id)


def full_mine(path: Path, db: Path) -> list[CommitRecord]:
    with open_history_store(db) as fresh:
        return stored(fresh, path)


def test_store_file_is_private_and_second_run_mines_nothing(tmp_path: Path) -> None:
    repo = build_team_repo(tmp_path / "team")
    db = tmp_path / "store" / "bmad.sqlite3"
    with open_history_store(db) as store:
        first = update_history(store, repo.path, settings=SERIAL)
        again = update_history(store, repo.path, settings=SERIAL)
        assert (first.new_commits, again.new_commits) == (17, 0)
        assert first.source_id == again.source_id is not None
        assert len(stored_commits(store, first.source_id)) == 17
    assert os.stat(db).st_mode & 0o777 == 0o600


def test_new_commits_are_appended(tmp_path: Path) -> None:
    repo = build_team_repo(tmp_path / "team")
    with open_history_store(tmp_path / "a.sqlite3") as store:
        update_history(store, repo.path, settings=SERIAL)
        for i in range(10):
            repo.lines("core.py", 40 + i, "core")
            repo.commit("carol", f"more {i}")
        result = update_history(store, repo.path, settings=SERIAL)
        assert (result.new_commits, result.rewritten) == (10, False)
        incremental = stored(store, repo.path)
    assert incremental == full_mine(repo.path, tmp_path / "b.sqlite3")


def test_rewritten_history_is_detected_and_re_mined(tmp_path: Path) -> None:
    repo = build_team_repo(tmp_path / "team")
    with open_history_store(tmp_path / "a.sqlite3") as store:
        update_history(store, repo.path, settings=SERIAL)
        git(repo.path, "reset", "-q", "--hard", "HEAD~2")
        repo.lines("other.py", 3)
        repo.commit("dave", "A different ending")
        result = update_history(store, repo.path, settings=SERIAL)
        assert result.rewritten
        assert any("rewritten" in note for note in result.notes())
        after = stored(store, repo.path)
    assert len(after) == 16
    assert after == full_mine(repo.path, tmp_path / "b.sqlite3")


def test_crash_mid_run_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = build_team_repo(tmp_path / "team")
    calls = {"n": 0}
    original = HistoryStore.append

    def dying_append(self: HistoryStore, source_id: int, commits: list[CommitRecord]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        original(self, source_id, commits)

    with open_history_store(tmp_path / "a.sqlite3") as store:
        monkeypatch.setattr(HistoryStore, "append", dying_append)
        with pytest.raises(KeyboardInterrupt):
            update_history(store, repo.path, settings=SERIAL, batch_size=4)
        monkeypatch.setattr(HistoryStore, "append", original)
        source = store.source(str((repo.path / ".git").resolve()), "HEAD", True)
        assert source.tip is None
        assert len(stored_commits(store, source.id)) == 8  # two whole batches
        resumed = update_history(store, repo.path, settings=SERIAL)
        assert resumed.new_commits == 9
        after = stored_commits(store, source.id)
    assert after == full_mine(repo.path, tmp_path / "b.sqlite3")


def test_empty_repository_stores_nothing(tmp_path: Path) -> None:
    RepoBuilder.create(tmp_path / "empty")
    with open_history_store(tmp_path / "a.sqlite3") as store:
        result = update_history(store, tmp_path / "empty")
    assert (result.source_id, result.tip, result.new_commits) == (None, None, 0)
    assert any("no commits yet" in note for note in result.notes())


def test_parallel_mining_equals_serial(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "r")
    for i in range(12):
        repo.lines(f"f{i % 4}.txt", 3 + i)
        repo.commit("alice" if i % 3 else "bob", f"change {i}")
    with open_history_store(tmp_path / "a.sqlite3") as store:
        result = update_history(store, repo.path, settings=MiningSettings(jobs=2, parallel_from=1))
        assert result.source_id is not None
        parallel = stored_commits(store, result.source_id)
    assert parallel == full_mine(repo.path, tmp_path / "b.sqlite3")


def test_revisions_and_rename_modes_are_separate_sources(tmp_path: Path) -> None:
    repo = build_team_repo(tmp_path / "team")
    with open_history_store(tmp_path / "a.sqlite3") as store:
        head = update_history(store, repo.path, settings=SERIAL)
        older = update_history(store, repo.path, repo.ids["solo"], SERIAL)
        plain = update_history(store, repo.path, settings=MiningSettings(follow_renames=False))
        assert len({head.source_id, older.source_id, plain.source_id}) == 3
        assert older.source_id is not None
        assert stored_commits(store, older.source_id)[-1].id == repo.ids["solo"]


OPERATION = st.tuples(st.sampled_from(["edit", "branch"]), st.integers(0, 3), st.integers(1, 9))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(OPERATION, min_size=2, max_size=8), st.data())
def test_incremental_equals_full_mine_at_any_split(
    tmp_path_factory: pytest.TempPathFactory,
    operations: list[tuple[str, int, int]],
    data: st.DataObject,
) -> None:
    root = tmp_path_factory.mktemp("split")
    repo = RepoBuilder.create(root / "r")
    split = data.draw(st.integers(1, len(operations) - 1), label="split")
    with open_history_store(root / "a.sqlite3") as store:
        for number, (kind, file_number, size) in enumerate(operations):
            if number == split:
                update_history(store, repo.path, settings=SERIAL)
            author = "alice" if number % 2 else "bob"
            if kind == "branch" and number > 0:
                git(repo.path, "checkout", "-q", "-b", f"b{number}")
                repo.lines(f"side{file_number}.txt", size)
                repo.commit(author, f"side {number}")
                git(repo.path, "checkout", "-q", "main")
                repo.lines(f"f{file_number}.txt", size + 1, "main")
                repo.commit(author, f"main {number}")
                repo.merge(author, f"b{number}", f"Merge b{number}")
            else:
                repo.lines(f"f{file_number}.txt", size, f"v{number}")
                repo.commit(author, f"edit {number}")
        incremental = stored(store, repo.path)
    assert_same_answer(incremental, repo.path, root / "b.sqlite3")


def assert_same_answer(incremental: list[CommitRecord], path: Path, db: Path) -> None:
    """The commits stored incrementally are those a full mine stores, and give the same
    report, with and without deleted files."""
    with open_history_store(db) as fresh:
        result = update_history(fresh, path, settings=SERIAL)
        assert result.source_id is not None
        full = stored_commits(fresh, result.source_id)
    assert sorted(incremental, key=lambda c: c.id) == sorted(full, key=lambda c: c.id)
    for include_deleted in (False, True):
        options = HistoryOptions(
            patterns=subject_patterns([r"\bfix"], [r"^revert"]), include_deleted=include_deleted
        )
        assert report_json(analyse_history(incremental, result.tip_tree, options, 0), {}) == (
            report_json(analyse_history(full, result.tip_tree, options, 0), {})
        )


def test_incremental_mining_through_branches_that_delete_re_create_and_rename_equals_a_full_mine(
    tmp_path: Path,
) -> None:
    path = tmp_path / "repo"
    with open_history_store(tmp_path / "a.sqlite3") as store:
        build_branchy_repo(path, on_step=lambda: update_history(store, path, settings=SERIAL))
        incremental = stored(store, path)
    assert_same_answer(incremental, path, tmp_path / "b.sqlite3")
