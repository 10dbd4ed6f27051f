"""The built :class:`Architecture` of a repository, kept in the cache store under a digest of
everything it is computed from, so that an unchanged tree skips resolution and the graph.

One row per repository root: a new tree state replaces the old one, so the table stays as
small as the number of repositories analysed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import astuple
from functools import cache
from pathlib import Path
from typing import Any

from bmad.daemon.store import Store, open_store
from bmad.errors import BmadError
from bmad.extractors.architecture import Architecture, Edge, Module, Unresolved
from bmad.extractors.architecture_graph import LayerViolation
from bmad.extractors.manifests import Dependency

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
# The analysis is a function of these modules' code: their bytes are part of every key, so
# editing the resolver or the graph code can never serve a stale result.
ANALYSIS_MODULES = (
    "architecture.py",
    "architecture_graph.py",
    "architecture_resolve.py",
    "manifests.py",
)


@cache
def analysis_version() -> str:
    """Digest of the analysis code, the Python version (its stdlib module list decides what
    counts as stdlib) and this codec."""
    digest = hashlib.sha256(f"{CODEC_VERSION}\0{sys.version}".encode())
    folder = Path(__file__).parent
    for name in ANALYSIS_MODULES:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return digest.hexdigest()


def input_digest(
    *,
    analyser_version: str,
    settings: Mapping[str, Any],
    max_file_size: int,
    files: Iterable[tuple[str, str, str]],
    discovery_skipped: Iterable[tuple[str, str]],
    project_files: Mapping[str, bytes],
    project_problems: Iterable[tuple[str, str]],
) -> str:
    """A digest over every input of :func:`analyse_repository`: ``files`` are (path, language,
    content id) where the content id is the file's blob id, or for a file the scan would not
    read (over the size limit, unreadable, gone) the reason it would skip it."""
    digest = hashlib.sha256()

    def add(value: object) -> None:
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())
        digest.update(b"\n")

    add([analysis_version(), analyser_version, max_file_size])
    add(dict(settings))
    for file_entry in files:
        add(file_entry)
    add("skipped")
    for skipped_entry in discovery_skipped:
        add(skipped_entry)
    add("project")
    for path, data in sorted(project_files.items()):
        add([path, hashlib.sha256(data).hexdigest()])
    for problem in project_problems:
        add(problem)
    return digest.hexdigest()


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
