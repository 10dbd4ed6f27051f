"""The built architecture of a repository, kept in the cache store under a digest of
everything it is computed from, so that an unchanged tree skips resolution and the graph.

One row per repository root: a new tree state replaces the old one, so the table stays as
small as the number of repositories analysed. The table holds encoded text;
:class:`bmad.scanning.architecture.ArchitectureCache` is its typed face.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bmad.errors import BmadError
from bmad.store.connection import Store, open_store

COMPONENT = "architecture_cache"
MIGRATIONS = [
    """
    CREATE TABLE architecture_results (
        root TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        payload TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
]


class ArchitectureTable:
    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def open(cls, path: Path) -> ArchitectureTable:
        return cls(open_store(path, COMPONENT, MIGRATIONS))

    def close(self) -> None:
        self.store.close()

    def load(self, root: Path, digest: str) -> str | None:
        row = self.store.connection.execute(
            "SELECT payload FROM architecture_results WHERE root = ? AND digest = ?",
            (str(root), digest),
        ).fetchone()
        return None if row is None else str(row[0])

    def save(self, root: Path, digest: str, payload: str) -> None:
        try:
            with self.store.transaction() as connection:
                connection.execute(
                    "INSERT OR REPLACE INTO architecture_results (root, digest, payload) "
                    "VALUES (?, ?, ?)",
                    (str(root), digest, payload),
                )
        except sqlite3.Error as exc:
            raise BmadError(
                f"cannot write the architecture cache {self.store.path}: {exc}"
            ) from exc
