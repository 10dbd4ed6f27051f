"""The built :class:`Architecture` of a repository, kept in the cache store under a digest of
everything it is computed from, so that an unchanged tree skips resolution and the graph.

One row per repository root: a new tree state replaces the old one, so the table stays as
small as the number of repositories analysed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import astuple
from pathlib import Path

from bmad.errors import BmadError
from bmad.extractors.architecture import Architecture, Edge, Module, Unresolved
from bmad.extractors.architecture_graph import LayerViolation
from bmad.extractors.manifests import Dependency
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
CODEC_VERSION = "rows-1"


def encode(architecture: Architecture) -> str:
    """Positional rows, like the scan cache: compact and quick to decode."""
    return json.dumps(
        [
            [astuple(module) for module in architecture.modules.values()],
            [astuple(edge) for edge in architecture.edges],
            architecture.cycles,
            architecture.closing_edges,
            architecture.smallest_cycles,
            architecture.hubs,
            [astuple(violation) for violation in architecture.layer_violations],
            [astuple(dependency) for dependency in architecture.dependencies],
            [astuple(item) for item in architecture.unresolved],
            architecture.status_counts,
            architecture.skipped,
        ],
        separators=(",", ":"),
    )


def decode(payload: str) -> Architecture:
    (
        modules,
        edges,
        cycles,
        closing,
        smallest,
        hubs,
        violations,
        dependencies,
        unresolved,
        counts,
        skipped,
    ) = json.loads(payload)
    return Architecture(
        modules={row[0]: Module(*row) for row in modules},
        edges=[Edge(*row) for row in edges],
        cycles=cycles,
        closing_edges=[[(a, b) for a, b in edges_of_cycle] for edges_of_cycle in closing],
        smallest_cycles=smallest,
        hubs=hubs,
        layer_violations=[LayerViolation(*row) for row in violations],
        dependencies=[Dependency(*row) for row in dependencies],
        unresolved=[Unresolved(*row) for row in unresolved],
        status_counts=counts,
        skipped=[(path, reason) for path, reason in skipped],
    )


class ArchitectureCache:
    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def open(cls, path: Path) -> ArchitectureCache:
        return cls(open_store(path, COMPONENT, MIGRATIONS))

    def close(self) -> None:
        self.store.close()

    def load(self, root: Path, digest: str) -> Architecture | None:
        row = self.store.connection.execute(
            "SELECT payload FROM architecture_results WHERE root = ? AND digest = ?",
            (str(root), digest),
        ).fetchone()
        if row is None:
            return None
        try:
            return decode(row[0])
        except (
            ValueError,
            TypeError,
            IndexError,
        ):  # a damaged row is a miss; the next save replaces it
            return None

    def save(self, root: Path, digest: str, architecture: Architecture) -> None:
        try:
            with self.store.transaction() as connection:
                connection.execute(
                    "INSERT OR REPLACE INTO architecture_results (root, digest, payload) "
                    "VALUES (?, ?, ?)",
                    (str(root), digest, encode(architecture)),
                )
        except sqlite3.Error as exc:
            raise BmadError(
                f"cannot write the architecture cache {self.store.path}: {exc}"
            ) from exc
