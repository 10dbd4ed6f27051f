"""The stat records of files read by scans (absolute path -> stat, blob id, read time).

git's index plays this part inside a work tree; this table does it for files git does not
vouch for (folders outside git, untracked and modified files), so that a warm scan finds an
unchanged file's blob id without reading and hashing it. When a record may be trusted is
``bmad.scanning.freshness``' decision. Lives in the cache store beside the metrics cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from bmad.daemon.store import Store
from bmad.errors import BmadError
from bmad.scanning.freshness import FileStat, StatEntry

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


class StatCache:
    def __init__(self, store: Store) -> None:
        """Uses ``store``'s connection (shared with the metrics cache); the caller closes it."""
        try:
            store.migrate(COMPONENT, MIGRATIONS)
        except sqlite3.Error as exc:
            raise BmadError(f"cannot prepare the stat cache {store.path}: {exc}") from exc
        self.store = store

    def lookup(self, paths: Iterable[str]) -> dict[str, StatEntry]:
        wanted = list(dict.fromkeys(paths))
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
        if not entries:
            return
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
        ]
        try:
            with self.store.transaction() as connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO file_stats (path, size, mtime_ns, ctime_ns, inode, "
                    "device, blob_id, read_started_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as exc:
            raise BmadError(f"cannot write the stat cache {self.store.path}: {exc}") from exc
