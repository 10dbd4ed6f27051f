"""Content-addressed cache of file analyses: (git blob id, language, analyser version) -> payload.

It lives in the cache store (re-derivable, safe to delete). A file whose bytes did not change
is never parsed twice, whichever path or commit it appears under. The table holds encoded
text; :class:`bmad.scanning.metrics_cache.MetricsCache` is its typed face.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from bmad.errors import BmadError
from bmad.store.connection import Store, open_store

COMPONENT = "metrics_cache"
MIGRATIONS = [
    """
    CREATE TABLE file_metrics (
        blob_id TEXT NOT NULL,
        language TEXT NOT NULL,
        analyser_version TEXT NOT NULL,
        metrics TEXT NOT NULL,
        PRIMARY KEY (blob_id, language, analyser_version)
    ) WITHOUT ROWID;
    """,
]
LOOKUP_BATCH = 500
SELECT_BY_BLOB = (
    "SELECT blob_id, language, metrics FROM file_metrics WHERE analyser_version = ? AND blob_id IN"
)


class MetricsTable:
    """Payloads by (blob id, language) under one version (the analyser's and the codec's)."""

    def __init__(self, store: Store, version: str) -> None:
        self.store = store
        self.version = version

    @classmethod
    def open(cls, path: Path, version: str) -> MetricsTable:
        return cls(open_store(path, COMPONENT, MIGRATIONS), version)

    def close(self) -> None:
        self.store.close()

    def lookup(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Stored payloads for the (blob id, language) pairs that have one."""
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], str] = {}
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            placeholders = ",".join("?" * len(batch))
            query = f"{SELECT_BY_BLOB} ({placeholders})"  # only "?" placeholders are formatted
            rows = self.store.connection.execute(
                query, [self.version, *(blob_id for blob_id, _ in batch)]
            )
            requested = set(batch)
            for blob_id, language, payload in rows:
                if (blob_id, language) in requested:
                    found[(blob_id, language)] = payload
        return found

    def save(self, payloads: Mapping[tuple[str, str], str]) -> None:
        if not payloads:
            return
        rows = [
            (blob_id, language, self.version, payload)
            for (blob_id, language), payload in payloads.items()
        ]
        try:
            with self.store.transaction() as connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO file_metrics "
                    "(blob_id, language, analyser_version, metrics) VALUES (?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as exc:
            raise BmadError(f"cannot write the metrics cache {self.store.path}: {exc}") from exc
