"""The architecture of a repository on disk: read its project files, scan its sources (sharing
the scan's parse cache) and build the module graph, cached under a digest of every input.

The graph itself is the pure :func:`bmad.extractors.architecture.build_architecture`; the
cache table is :mod:`bmad.store.architecture_cache`, :class:`ArchitectureCache` its typed face.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.extractors.architecture import (
    ARCHITECTURE_CODEC_VERSION,
    Architecture,
    build_architecture,
    decode_architecture,
    encode_architecture,
    merged_settings,
)
from bmad.extractors.architecture_resolve import PROJECT_FILE_NAMES, SourceFile
from bmad.extractors.manifests import manifest_kind
from bmad.store.architecture_cache import ArchitectureTable
from bmad.store.connection import Store

if TYPE_CHECKING:
    from bmad.scanning import ScanOptions
    from bmad.scanning.stat_cache import StatCache

MAX_PROJECT_FILE_SIZE = 4 * 1024 * 1024
# The analysis is a function of these modules' code: their bytes are part of every key, so
# editing the resolver or the graph code can never serve a stale result.
ANALYSIS_MODULES = (
    "architecture.py",
    "architecture_graph.py",
    "architecture_resolve.py",
    "manifests.py",
)


class ArchitectureCache:
    """Architectures by (root, input digest); a damaged row is a miss the next save replaces."""

    def __init__(self, table: ArchitectureTable) -> None:
        self.table = table

    @classmethod
    def open(cls, path: Path) -> ArchitectureCache:
        return cls(ArchitectureTable.open(path))

    @property
    def store(self) -> Store:
        return self.table.store

    def close(self) -> None:
        self.table.close()

    def load(self, root: Path, digest: str) -> Architecture | None:
        payload = self.table.load(root, digest)
        if payload is None:
            return None
        try:
            return decode_architecture(payload)
        except (ValueError, TypeError, IndexError):
            return None

    def save(self, root: Path, digest: str, architecture: Architecture) -> None:
        self.table.save(root, digest, encode_architecture(architecture))


@cache
def analysis_version() -> str:
    """Digest of the analysis code, the Python version (its stdlib module list decides what
    counts as stdlib) and this codec."""
    digest = hashlib.sha256(f"{ARCHITECTURE_CODEC_VERSION}\0{sys.version}".encode())
    folder = Path(__file__).parent.parent / "extractors"
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
    """A digest over every input of :func:`analyse_architecture`: ``files`` are (path, language,
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


def _is_project_file(name: str) -> bool:
    return (
        name in PROJECT_FILE_NAMES
        or manifest_kind(name) is not None
        or (name.startswith("tsconfig") and name.endswith(".json"))
    )


def _project_file_paths(root: Path) -> list[str]:
    """Tracked and unignored project files inside git; a pruned walk outside git."""
    from bmad import git
    from bmad.scanning.discovery import SKIPPED_DIRS

    repository = git.find_work_tree(root)
    if repository is not None and git.work_tree_root(repository) == root.resolve():
        return sorted(
            tree_file.path
            for tree_file in git.work_tree_files(repository)
            if tree_file.mode != git.MODE_GITLINK and _is_project_file(Path(tree_file.path).name)
        )
    found: list[str] = []
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if name not in SKIPPED_DIRS)
        base = Path(current)
        found.extend(
            (base / name).relative_to(root).as_posix()
            for name in sorted(filenames)
            if _is_project_file(name)
        )
    return found


def collect_project_files(root: Path) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """Read every manifest and resolver project file of the repository at ``root``;
    unreadable or oversized ones come back as (path, reason)."""
    contents: dict[str, bytes] = {}
    problems: list[tuple[str, str]] = []
    for relative in _project_file_paths(root):
        location = root / relative
        try:
            if location.stat().st_size > MAX_PROJECT_FILE_SIZE:
                problems.append((relative, "larger than 4 MiB"))
                continue
            contents[relative] = location.read_bytes()
        except OSError as exc:
            problems.append((relative, f"unreadable: {exc.strerror or type(exc).__name__}"))
    return contents, problems


def _stat_cache(cache: ArchitectureCache) -> StatCache | None:
    """The scan's stat records, kept in the same cache store."""
    from bmad.errors import BmadError
    from bmad.scanning.stat_cache import StatCache

    try:
        return StatCache(cache.store)
    except BmadError:
        return None  # every file not vouched for by git is read and hashed


def _open_cache(options: ScanOptions) -> ArchitectureCache | None:
    from bmad.errors import BmadError
    from bmad.store.connection import cache_store_path

    if not options.use_cache:
        return None
    try:
        return ArchitectureCache.open(options.cache_path or cache_store_path())
    except BmadError:
        return None  # the analysis still runs, only uncached


def analyse_architecture(
    root: Path, settings: Mapping[str, Any] | None = None, scan_options: ScanOptions | None = None
) -> Architecture:
    """Scan (sharing the scan's parse cache: unchanged files are not parsed again) and
    analyse the repository at ``root``.

    The result is cached under a digest of every input (each file's path, language and blob
    id, the project files, the settings, the analysis code): an unchanged tree is answered
    from the cache without reading the scan's per-file metrics or resolving anything. Blob
    ids come as the scan gets them (git's index, else the scan's stat records, else the
    bytes), so an unchanged file is not read even outside git.
    """
    from bmad import git
    from bmad.errors import BmadError
    from bmad.scanning import ScanOptions
    from bmad.scanning.analyse import analyser_version
    from bmad.scanning.discovery import discover
    from bmad.scanning.pipeline import content_ids

    options = scan_options or ScanOptions()
    repository = git.find_work_tree(root)
    root = git.work_tree_root(repository) if repository is not None else root.resolve()
    merged = merged_settings(settings)
    contents, problems = collect_project_files(root)
    cache = _open_cache(options)
    if cache is None:
        return _analyse(root, merged, options, contents, problems)[0]
    try:
        discovery = discover([root], options.languages)
        candidates = discovery.candidates
        ids = content_ids(
            [(c.location, c.known_blob_id) for c in candidates], options, _stat_cache(cache)
        )
        digest = input_digest(
            analyser_version=analyser_version(),
            settings=merged,
            max_file_size=options.max_file_size,
            files=(
                (c.path, c.language, content_id)
                for c, content_id in zip(candidates, ids, strict=True)
            ),
            discovery_skipped=((s.path, s.reason) for s in discovery.skipped),
            project_files=contents,
            project_problems=problems,
        )
        cached = cache.load(root, digest)
        if cached is not None:
            return cached
        architecture, seen = _analyse(root, merged, options, contents, problems)
        expected = {c.path for c in discovery.candidates} | {s.path for s in discovery.skipped}
        if seen == expected:  # the tree did not change under the scan
            with suppress(BmadError):  # an unwritable cache only costs the next run its speed
                cache.save(root, digest, architecture)
        return architecture
    finally:
        cache.close()


def _analyse(
    root: Path,
    settings: Mapping[str, Any],
    options: ScanOptions,
    contents: Mapping[str, bytes],
    problems: list[tuple[str, str]],
) -> tuple[Architecture, set[str]]:
    """The analysis itself, and the paths the scan saw (analysed or skipped)."""
    from bmad.scanning import scan_paths

    scan = scan_paths([root], options)
    files = [SourceFile(f.path, f.language, f.metrics.imports) for f in scan.files]
    architecture = build_architecture(files, contents, settings)
    syntax = [
        (f.path, "syntax errors (imports read where possible)")
        for f in scan.files
        if f.metrics.has_syntax_errors
    ]
    architecture.skipped = sorted(
        {*architecture.skipped, *problems, *((s.path, s.reason) for s in scan.skipped), *syntax}
    )
    seen = {f.path for f in scan.files} | {s.path for s in scan.skipped}
    return architecture, seen
