"""The stat records of files read by scans (absolute path -> stat, blob id, read time).

git's index plays this part inside a work tree; this table does it for files git does not
vouch for (folders outside git, untracked and modified files), so that a warm scan finds an
unchanged file's blob id without reading and hashing it. When a record may be trusted is
``bmad.scanning.freshness``' decision. Lives in the cache store beside the metrics cache.

Paths are stored as text, and SQLite text is UTF-8: a file whose name is not valid UTF-8 (which
Python holds with surrogate escapes) is never recorded, and is read on every scan.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from bmad.errors import BmadError
from bmad.scanning.freshness import FileStat, StatEntry
from bmad.store.connection import Store

COMPONENT = "stat_cache"
MIGRATIONS = [
    """
    CREATE TABLE file_stats (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        ctime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        device INTEGER NOT NULL,
        blob_id TEXT NOT NULL,
        read_started_ns INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
]
LOOKUP_BATCH = 500
SELECT_BY_PATH = (
    "SELECT path, size, mtime_ns, ctime_ns, inode, device, blob_id, read_started_ns "
    "FROM file_stats WHERE path IN"
)


def storable(path: str) -> bool:
    if path.isascii():
        return True
    try:
        path.encode()
    except UnicodeEncodeError:
        return False
    return True


class StatCache:
    def __init__(self, store: Store) -> None:
        """Uses ``store``'s connection (shared with the metrics cache); the caller closes it."""
        try:
            store.migrate(COMPONENT, MIGRATIONS)
        except sqlite3.Error as exc:
            raise BmadError(f"cannot prepare the stat cache {store.path}: {exc}") from exc
        self.store = store

    def lookup(self, paths: Iterable[str]) -> dict[str, StatEntry]:
        wanted = [path for path in dict.fromkeys(paths) if storable(path)]
        found: dict[str, StatEntry] = {}
        try:
            for start in range(0, len(wanted), LOOKUP_BATCH):
                batch = wanted[start : start + LOOKUP_BATCH]
                query = f"{SELECT_BY_PATH} ({','.join('?' * len(batch))})"  # only "?" formatted
                for (
                    path,
                    size,
                    mtime,
                    ctime,
                    inode,
                    device,
                    blob_id,
                    started,
                ) in self.store.connection.execute(query, batch):
                    stat = FileStat(size, mtime, ctime, inode, device)
                    found[path] = StatEntry(stat, blob_id, started)
        except sqlite3.Error as exc:
            raise BmadError(f"cannot read the stat cache {self.store.path}: {exc}") from exc
        return found

    def record(self, entries: Mapping[str, StatEntry]) -> None:
        rows = [
            (
                path,
                entry.stat.size,
                entry.stat.mtime_ns,
                entry.stat.ctime_ns,
                entry.stat.inode,
                entry.stat.device,
                entry.blob_id,
                entry.read_started_ns,
            )
            for path, entry in entries.items()
            if storable(path)
        ]
        if not rows:
            return
        try:
            with self.store.transaction() as connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO file_stats (path, size, mtime_ns, ctime_ns, inode, "
                    "device, blob_id, read_started_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as exc:
            raise BmadError(f"cannot write the stat cache {self.store.path}: {exc}") from exc

    def paths_under(self, folders: Iterable[Path]) -> set[str]:
        """The recorded paths inside any of ``folders`` (absolute), at any depth."""
        found: set[str] = set()
        try:
            for folder in folders:
                prefix = os.path.join(str(folder), "")
                if not storable(prefix):
                    continue  # no recorded path can lie under it
                # Every path starting with the prefix sorts between it and the prefix with its
                # final separator raised by one: a range scan of the primary key.
                upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                found.update(
                    path
                    for (path,) in self.store.connection.execute(
                        "SELECT path FROM file_stats WHERE path >= ? AND path < ?",
                        (prefix, upper),
                    )
                )
        except sqlite3.Error as exc:
            raise BmadError(f"cannot read the stat cache {self.store.path}: {exc}") from exc
        return found

    def forget(self, paths: Iterable[str]) -> None:
        rows = [(path,) for path in paths]
        if not rows:
            return
        try:
            with self.store.transaction() as connection:
                connection.executemany("DELETE FROM file_stats WHERE path = ?", rows)
        except sqlite3.Error as exc:
            raise BmadError(f"cannot write the stat cache {self.store.path}: {exc}") from exc
