"""SQLite store shared by the CLI, the daemon and the privacy ledger.

Each component owns its tables and declares its own ordered list of migrations; the store
records one schema version per component, so components evolve independently.
Databases are created owner-only (0600) in owner-only folders; WAL journaling lets the CLI
and the daemon read while one of them writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bmad import dirs
from bmad.errors import BmadError

BUSY_TIMEOUT_MS = 10_000


def data_store_path() -> Path:
    """Durable state: registry, mined history, findings, privacy ledger."""
    return dirs.data_dir() / "bmad.sqlite3"


def cache_store_path() -> Path:
    """Re-derivable state: content-addressed metrics. Safe to delete."""
    return dirs.cache_dir() / "cache.sqlite3"


def _create_private_file(path: Path) -> None:
    dirs.ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            if not path.exists():
                _create_private_file(path)
            self.connection = sqlite3.connect(
                path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA foreign_keys=ON")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions "
                "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise BmadError(f"cannot open the bmad store at {path}: {exc}") from exc

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One unit of work: everything inside commits together or not at all."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def schema_version(self, component: str) -> int:
        row = self.connection.execute(
            "SELECT version FROM schema_versions WHERE component = ?", (component,)
        ).fetchone()
        return int(row[0]) if row else 0

    def migrate(self, component: str, migrations: Sequence[str]) -> None:
        """Apply the component's migrations that this database has not seen yet.

        ``migrations[i]`` takes the component from version i to i + 1; released entries are
        never edited, only appended to.
        """
        if self.schema_version(component) == len(migrations):
            return
        with self.transaction() as connection:
            current = self.schema_version(component)
            if current > len(migrations):
                raise BmadError(
                    f"the store at {self.path} was written by a newer bmad "
                    f"({component} schema {current}, this version knows {len(migrations)})"
                )
            for script in migrations[current:]:
                for statement in _split_statements(script):
                    connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, len(migrations)),
            )


def _split_statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def open_store(path: Path, component: str, migrations: Sequence[str]) -> Store:
    store = Store(path)
    try:
        store.migrate(component, migrations)
    except BaseException:
        store.close()
        raise
    return store
