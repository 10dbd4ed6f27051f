"""The history store's upgrades: schema 2 keys rows by position in the source, schema 3 adds
the merges' renames. A store written with schema 1 is carried over whole, except that its
rename-following sources are emptied and mined again (their merges lack the renames); and
concurrent writers cannot store a commit twice.

(Tests of bmad/store/history.py kept next to the other history tests.)"""

from __future__ import annotations

from pathlib import Path

from history_repos import RepoBuilder, build_team_repo

from bmad.extractors.history import CommitRecord
from bmad.scanning.history import commit_rows, stored_commits, update_history
from bmad.scanning.history_git import MiningSettings
from bmad.store.connection import open_store
from bmad.store.history import MIGRATIONS, open_history_store

SCHEMA_1_COMMIT = (
    "INSERT INTO history_commits (source_id, commit_id, seq, parents, author_name, "
    "author_email, author_time, subject, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SCHEMA_1_CHANGE = (
    "INSERT INTO history_changes (source_id, commit_id, position, path, status, added, "
    "deleted, old_path, is_binary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def mined(
    repo: RepoBuilder, tmp_path: Path, follow_renames: bool = True
) -> tuple[list[CommitRecord], str]:
    with open_history_store(tmp_path / "reference.sqlite3") as store:
        result = update_history(store, repo.path, None, MiningSettings(follow_renames))
        assert result.source_id is not None and result.tip is not None
        return stored_commits(store, result.source_id), result.tip


def write_schema_1(
    path: Path, git_dir: str, tip: str, commits: list[CommitRecord], follow_renames: bool
) -> None:
    with open_store(path, "history", MIGRATIONS[:1]) as store, store.transaction() as tx:
        tx.execute(
            "INSERT INTO history_sources (id, git_dir, rev, follow_renames, tip) "
            "VALUES (1, ?, 'HEAD', ?, ?)",
            (git_dir, int(follow_renames), tip),
        )
        for seq, commit in enumerate(commits):
            tx.execute(
                SCHEMA_1_COMMIT,
                (
                    1,
                    commit.id,
                    seq,
                    " ".join(commit.parents),
                    commit.author_name,
                    commit.author_email,
                    commit.author_time,
                    commit.subject,
                    commit.note,
                ),
            )
            for position, change in enumerate(commit.changes):
                tx.execute(
                    SCHEMA_1_CHANGE,
                    (
                        1,
                        commit.id,
                        position,
                        change.path,
                        change.status,
                        change.added,
                        change.deleted,
                        change.old_path,
                        int(change.binary),
                    ),
                )


def test_schema_1_store_is_carried_over_and_updates_from_its_tip(tmp_path: Path) -> None:
    repo = build_team_repo(tmp_path / "repo")
    commits, tip = mined(repo, tmp_path, follow_renames=False)
    git_dir = str((repo.path / ".git").resolve())
    path = tmp_path / "old.sqlite3"
    write_schema_1(path, git_dir, tip, commits, follow_renames=False)

    with open_history_store(path) as store:
        assert store.store.schema_version("history") == len(MIGRATIONS) == 3
        assert stored_commits(store, 1) == commits
        assert store.stored_ids(1) == {commit.id for commit in commits}
        plain = MiningSettings(follow_renames=False)
        assert update_history(store, repo.path, None, plain).new_commits == 0
        repo.lines("late.py", 4)
        late = repo.commit("carol", "Late addition")
        result = update_history(store, repo.path, None, plain)
        assert result.new_commits == 1
        assert [commit.id for commit in stored_commits(store, 1)] == [
            *(c.id for c in commits),
            late,
        ]


def test_a_rename_following_source_of_schema_1_is_mined_again(tmp_path: Path) -> None:
    repo = build_team_repo(tmp_path / "repo")
    commits, tip = mined(repo, tmp_path)
    git_dir = str((repo.path / ".git").resolve())
    path = tmp_path / "old.sqlite3"
    write_schema_1(path, git_dir, tip, commits, follow_renames=True)

    with open_history_store(path) as store:
        assert stored_commits(store, 1) == []
        assert store.source(git_dir, "HEAD", follow_renames=True).tip is None
        assert update_history(store, repo.path).new_commits == len(commits)
        assert stored_commits(store, 1) == commits


def test_a_commit_another_writer_stored_meanwhile_is_kept_once(tmp_path: Path) -> None:
    repo = build_team_repo(tmp_path / "repo")
    commits, _ = mined(repo, tmp_path)
    path = tmp_path / "shared.sqlite3"
    with open_history_store(path) as first, open_history_store(path) as second:
        source = first.source("/some/repo.git", "HEAD", follow_renames=True)
        first.append(source.id, [commit_rows(c) for c in commits[:10]])
        second.append(
            source.id, [commit_rows(c) for c in commits[5:]]
        )  # overlaps the first writer's batch
        assert stored_commits(first, source.id) == commits
        assert stored_commits(second, source.id) == commits
