"""Mined history in the bmad store: commits, as table rows, per *source*.

One source is a (git directory, revision, rename mode); it remembers the tip it was mined
up to. The incremental miner that fills it is :func:`bmad.scanning.history.update_history`.
Commits are written in batches, one transaction each; a run that dies part-way leaves whole
batches behind and the next run skips the commits already stored.

Rows are keyed by each commit's position in the source (``seq``), so a batch lands at the end
of the tables' B-trees and a read is one ordered scan of each; keyed by commit id (schema 1)
every row went to a random place, which cost more than the rest of storing and reading.
Schema 3 adds a merge's renames against each parent; the rename-following sources stored
before it lack them, so it empties those sources (they are mined again on their next update).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from bmad.store.connection import Store, data_store_path, open_store

COMPONENT = "history"
_IDS_PER_QUERY = 500  # bound variables per statement: old SQLite builds allow 999

MIGRATIONS: list[str] = [
    """
    CREATE TABLE history_sources (
        id INTEGER PRIMARY KEY,
        git_dir TEXT NOT NULL,
        rev TEXT NOT NULL,
        follow_renames INTEGER NOT NULL,
        tip TEXT,
        updated_at INTEGER,
        UNIQUE (git_dir, rev, follow_renames)
    );
    CREATE TABLE history_commits (
        source_id INTEGER NOT NULL REFERENCES history_sources (id),
        commit_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        parents TEXT NOT NULL,
        author_name TEXT NOT NULL,
        author_email TEXT NOT NULL,
        author_time INTEGER NOT NULL,
        subject TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (source_id, commit_id)
    ) WITHOUT ROWID;
    CREATE INDEX history_commits_order ON history_commits (source_id, seq);
    CREATE TABLE history_changes (
        source_id INTEGER NOT NULL,
        commit_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        path TEXT NOT NULL,
        status TEXT NOT NULL,
        added INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        old_path TEXT,
        is_binary INTEGER NOT NULL,
        PRIMARY KEY (source_id, commit_id, position)
    ) WITHOUT ROWID;
    """,
    """
    CREATE TABLE history_commits_by_seq (
        source_id INTEGER NOT NULL REFERENCES history_sources (id),
        seq INTEGER NOT NULL,
        commit_id TEXT NOT NULL,
        parents TEXT NOT NULL,
        author_name TEXT NOT NULL,
        author_email TEXT NOT NULL,
        author_time INTEGER NOT NULL,
        subject TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (source_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE history_changes_by_seq (
        source_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        position INTEGER NOT NULL,
        path TEXT NOT NULL,
        status TEXT NOT NULL,
        added INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        old_path TEXT,
        is_binary INTEGER NOT NULL,
        PRIMARY KEY (source_id, seq, position)
    ) WITHOUT ROWID;
    INSERT INTO history_commits_by_seq
        SELECT source_id, seq, commit_id, parents, author_name, author_email, author_time,
               subject, note
        FROM history_commits;
    INSERT INTO history_changes_by_seq
        SELECT changes.source_id, commits.seq, changes.position, changes.path, changes.status,
               changes.added, changes.deleted, changes.old_path, changes.is_binary
        FROM history_changes AS changes
        JOIN history_commits AS commits
          ON commits.source_id = changes.source_id AND commits.commit_id = changes.commit_id;
    DROP TABLE history_changes;
    DROP TABLE history_commits;
    ALTER TABLE history_commits_by_seq RENAME TO history_commits;
    ALTER TABLE history_changes_by_seq RENAME TO history_changes;
    CREATE UNIQUE INDEX history_commits_id ON history_commits (source_id, commit_id);
    """,
    """
    CREATE TABLE history_merge_renames (
        source_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        position INTEGER NOT NULL,
        parent INTEGER NOT NULL,
        old_path TEXT NOT NULL,
        new_path TEXT NOT NULL,
        PRIMARY KEY (source_id, seq, position)
    ) WITHOUT ROWID;
    DELETE FROM history_changes
        WHERE source_id IN (SELECT id FROM history_sources WHERE follow_renames = 1);
    DELETE FROM history_commits
        WHERE source_id IN (SELECT id FROM history_sources WHERE follow_renames = 1);
    UPDATE history_sources SET tip = NULL WHERE follow_renames = 1;
    """,
]


# commit_id, parents (space-separated), author_name, author_email, author_time, subject, note
CommitRow = tuple[str, str, str, str, int, str, str]
# path, status, added, deleted, old_path, is_binary (0 or 1)
ChangeRow = tuple[str, str, int, int, str | None, int]
# parent (index into the merge's parents), old_path, new_path
RenameRow = tuple[int, str, str]


class CommitRows(NamedTuple):
    """One commit as the tables hold it (records are built from these in
    :mod:`bmad.scanning.history`)."""

    commit: CommitRow
    changes: tuple[ChangeRow, ...]
    renames: tuple[RenameRow, ...]


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    tip: str | None


def open_history_store(path: Path | None = None) -> HistoryStore:
    return HistoryStore(open_store(path or data_store_path(), COMPONENT, MIGRATIONS))


class HistoryStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def source(self, git_dir: str, rev: str, follow_renames: bool) -> Source:
        connection = self.store.connection
        key = (git_dir, rev, int(follow_renames))
        row = connection.execute(
            "SELECT id, tip FROM history_sources "
            "WHERE git_dir = ? AND rev = ? AND follow_renames = ?",
            key,
        ).fetchone()
        if row is None:
            with self.store.transaction() as tx:
                tx.execute(
                    "INSERT INTO history_sources (git_dir, rev, follow_renames) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    key,
                )
            row = connection.execute(
                "SELECT id, tip FROM history_sources "
                "WHERE git_dir = ? AND rev = ? AND follow_renames = ?",
                key,
            ).fetchone()
        return Source(id=int(row[0]), tip=row[1])

    def stored_ids(self, source_id: int) -> set[str]:
        rows = self.store.connection.execute(
            "SELECT commit_id FROM history_commits WHERE source_id = ?", (source_id,)
        )
        return {row[0] for row in rows}

    def append(self, source_id: int, commits: Sequence[CommitRows]) -> None:
        """Store one batch of commits (after those already stored) in one transaction.
        Commits already there (another process stored them meanwhile) are left as they are."""
        if not commits:
            return
        with self.store.transaction() as tx:
            (last,) = tx.execute(
                "SELECT COALESCE(MAX(seq), -1) FROM history_commits WHERE source_id = ?",
                (source_id,),
            ).fetchone()
            ids = [rows.commit[0] for rows in commits]
            known: set[str] = set()
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start : start + _IDS_PER_QUERY]
                known.update(
                    row[0]
                    for row in tx.execute(
                        "SELECT commit_id FROM history_commits WHERE source_id = ? "  # noqa: S608 - only placeholders are formatted in
                        f"AND commit_id IN ({', '.join('?' * len(chunk))})",
                        (source_id, *chunk),
                    )
                )
            fresh = [rows for rows in commits if rows.commit[0] not in known]
            tx.executemany(
                "INSERT INTO history_commits (source_id, seq, commit_id, parents, "
                "author_name, author_email, author_time, subject, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((source_id, last + 1 + offset, *rows.commit) for offset, rows in enumerate(fresh)),
            )
            tx.executemany(
                "INSERT INTO history_changes (source_id, seq, position, path, status, added, "
                "deleted, old_path, is_binary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (source_id, last + 1 + offset, position, *change)
                    for offset, rows in enumerate(fresh)
                    for position, change in enumerate(rows.changes)
                ),
            )
            tx.executemany(
                "INSERT INTO history_merge_renames (source_id, seq, position, parent, old_path, "
                "new_path) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (source_id, last + 1 + offset, position, *rename)
                    for offset, rows in enumerate(fresh)
                    for position, rename in enumerate(rows.renames)
                ),
            )

    def set_tip(self, source_id: int, tip: str) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE history_sources SET tip = ?, updated_at = ? WHERE id = ?",
                (tip, int(time.time()), source_id),
            )

    def reset(self, source_id: int) -> None:
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM history_changes WHERE source_id = ?", (source_id,))
            tx.execute("DELETE FROM history_merge_renames WHERE source_id = ?", (source_id,))
            tx.execute("DELETE FROM history_commits WHERE source_id = ?", (source_id,))
            tx.execute("UPDATE history_sources SET tip = NULL WHERE id = ?", (source_id,))

    def commits(self, source_id: int) -> list[CommitRows]:
        """Every stored commit of the source, oldest first (parents before children)."""
        connection = self.store.connection
        changes: dict[int, list[ChangeRow]] = {}
        for seq, *change in connection.execute(
            "SELECT seq, path, status, added, deleted, old_path, is_binary "
            "FROM history_changes WHERE source_id = ? ORDER BY seq, position",
            (source_id,),
        ):
            changes.setdefault(seq, []).append(tuple(change))
        renames: dict[int, list[RenameRow]] = {}
        for seq, *rename in connection.execute(
            "SELECT seq, parent, old_path, new_path FROM history_merge_renames "
            "WHERE source_id = ? ORDER BY seq, position",
            (source_id,),
        ):
            renames.setdefault(seq, []).append(tuple(rename))
        return [
            CommitRows(tuple(commit), tuple(changes.get(seq, ())), tuple(renames.get(seq, ())))
            for seq, *commit in connection.execute(
                "SELECT seq, commit_id, parents, author_name, author_email, author_time, "
                "subject, note FROM history_commits WHERE source_id = ? ORDER BY seq",
                (source_id,),
            )
        ]
