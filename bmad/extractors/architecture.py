"""bmad's architecture lens: the module dependency graph of a repository and what it shows.

:func:`build_architecture` is pure: files with their imports (as the scan extracted them
from the shared parse) plus the contents of the project files -> :class:`Architecture`.
:func:`collect_project_files` and :func:`analyse_repository` are the I/O edges.

Public entry points for other components (the anti-pattern detector):
``Architecture.cycles`` / ``.closing_edges`` / ``.smallest_cycles``, ``.hubs``,
``.layer_violations`` and ``.modules`` (Ca, Ce, instability per module id).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.extractors.architecture_graph import (
    Coupling,
    LayerViolation,
    closing_edges,
    coupling,
    cycles,
    hubs,
    layer_violations,
    parse_layers,
    smallest_cycle,
)
from bmad.extractors.architecture_resolve import (
    EXTERNAL,
    INTERNAL,
    PROJECT_FILE_NAMES,
    Resolver,
    SourceFile,
    read_project_files,
)
from bmad.extractors.manifests import Dependency, ManifestError, manifest_kind, parse_manifest

if TYPE_CHECKING:
    from bmad.extractors.architecture_cache import ArchitectureCache
    from bmad.scanning import ScanOptions
    from bmad.scanning.stat_cache import StatCache

JSON_VERSION = 1
MAX_PROJECT_FILE_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Module:
    id: str  # file path, or the package folder for Go
    name: str
    language: str
    ca: int
    ce: int
    instability: float
    in_cycle: bool


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # module ids
    target: str
    path: str  # the importing file
    line: int  # first import of target in that file


@dataclass(frozen=True, slots=True)
class Unresolved:
    path: str
    line: int
    target: str
    kind: str
    dynamic: bool


@dataclass
class Architecture:
    modules: dict[str, Module]
    edges: list[Edge]
    cycles: list[list[str]]  # module ids, largest first
    closing_edges: list[list[tuple[str, str]]]  # per cycle
    smallest_cycles: dict[str, list[str]]  # module id -> a shortest cycle through it
    hubs: list[str]
    layer_violations: list[LayerViolation]
    dependencies: list[Dependency]
    unresolved: list[Unresolved]
    status_counts: dict[str, int]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def graph(self) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {module: set() for module in self.modules}
        for edge in self.edges:
            result[edge.source].add(edge.target)
        return result

    def to_json(self) -> dict[str, Any]:
        name = {module_id: module.name for module_id, module in self.modules.items()}
        return {
            "version": JSON_VERSION,
            "modules": [
                {
                    "name": module.name,
                    "path": module.id,
                    "language": module.language,
                    "ca": module.ca,
                    "ce": module.ce,
                    "instability": round(module.instability, 4),
                    "in_cycle": module.in_cycle,
                }
                for module in self.modules.values()
            ],
            "edges": [
                {"from": name[edge.source], "to": name[edge.target], "line": edge.line}
                for edge in self.edges
            ],
            "cycles": [[name[member] for member in members] for members in self.cycles],
            "hubs": [name[hub] for hub in self.hubs],
            "layer_violations": [
                {
                    "from": name[violation.source],
                    "to": name[violation.target],
                    "path": self._edge_path(violation.source, violation.target),
                    "line": violation.line,
                    "from_layer": violation.source_layer,
                    "to_layer": violation.target_layer,
                }
                for violation in self.layer_violations
            ],
            "dependencies": [dependency.to_dict() for dependency in self.dependencies],
            "cycle_details": [
                {
                    "members": [name[member] for member in members],
                    "closing_edges": [[name[a], name[b]] for a, b in edges],
                }
                for members, edges in zip(self.cycles, self.closing_edges, strict=True)
            ],
            "smallest_cycles": {
                name[module]: [name[member] for member in cycle]
                for module, cycle in sorted(self.smallest_cycles.items())
            },
            "summary": {
                "modules": len(self.modules),
                "edges": len(self.edges),
                "cycles": len(self.cycles),
                "modules_in_cycles": sum(module.in_cycle for module in self.modules.values()),
                "imports": dict(sorted(self.status_counts.items())),
            },
            "unresolved": [
                {"path": u.path, "line": u.line, "target": u.target, "kind": u.kind}
                for u in self.unresolved
            ],
            "skipped": [{"path": path, "reason": reason} for path, reason in self.skipped],
        }

    def _edge_path(self, source: str, target: str) -> str:
        for edge in self.edges:
            if edge.source == source and edge.target == target:
                return edge.path
        return source


def _settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    from bmad.config import DEFAULTS

    merged = dict(DEFAULTS["architecture"])
    merged.update(settings or {})
    return merged


def build_architecture(
    files: Iterable[SourceFile],
    project_files: Mapping[str, bytes],
    settings: Mapping[str, Any] | None = None,
) -> Architecture:
    """The whole architecture analysis over already-extracted imports; raises ValueError on
    an invalid ``layers`` setting."""
    options = _settings(settings)
    layers = parse_layers(options.get("layers"))
    project = read_project_files(project_files)
    resolver = Resolver(files, project)
    module_info = resolver.modules()

    edges: dict[tuple[str, str], Edge] = {}
    unresolved: list[Unresolved] = []
    counts: Counter[str] = Counter()
    imported: set[tuple[str, str]] = set()
    for item in resolver.resolve_all():
        resolution = item.resolution
        counts[resolution.status] += 1
        if resolution.status == INTERNAL:
            for target in resolution.targets:
                if target == item.source and module_info[target][1] in ("go", "rust"):
                    # a Go external test package (package x_test) in x's folder, a Rust
                    # path into the file's own (inline) modules: not imports of itself
                    continue
                key = (item.source, target)
                if key not in edges:  # files in path order, imports in line order
                    edges[key] = Edge(item.source, target, item.path, item.ref.line)
        elif resolution.status == EXTERNAL:
            imported.add((resolution.package, resolution.ecosystem))
        elif resolution.status == "unresolved":
            ref = item.ref
            unresolved.append(Unresolved(item.path, ref.line, ref.target, ref.kind, ref.dynamic))

    graph: dict[str, set[str]] = {module: set() for module in module_info}
    for source, target in edges:
        graph[source].add(target)
    found_cycles = cycles(graph)
    in_cycle = {member for members in found_cycles for member in members}
    limit = int(options["max_cycle_search"])
    smallest: dict[str, list[str]] = {}
    ordered_graph = {module: sorted(targets) for module, targets in graph.items()}
    for members in found_cycles:
        if len(members) <= limit:
            component = set(members)
            for member in members:
                cycle = smallest_cycle(ordered_graph, member, component)
                if cycle is not None:
                    smallest[member] = cycle
    metrics: dict[str, Coupling] = coupling(graph)
    modules = {
        module_id: Module(
            module_id,
            name,
            language,
            metrics[module_id].ca,
            metrics[module_id].ce,
            metrics[module_id].instability,
            module_id in in_cycle,
        )
        for module_id, (name, language) in module_info.items()
    }
    ordered_edges = sorted(edges.values(), key=lambda e: (e.source, e.target))
    violations = layer_violations(
        ((edge.source, edge.target, edge.line) for edge in ordered_edges), layers
    )
    dependencies, skipped = _dependencies(imported, project_files)
    skipped.extend(project.errors)
    return Architecture(
        modules=modules,
        edges=ordered_edges,
        cycles=found_cycles,
        closing_edges=[closing_edges(graph, members) for members in found_cycles],
        smallest_cycles=smallest,
        hubs=hubs(
            metrics,
            int(options["hub_min_ca"]),
            int(options["hub_min_ce"]),
            float(options["hub_percentile"]),
        ),
        layer_violations=violations,
        dependencies=dependencies,
        unresolved=unresolved,
        status_counts=dict(counts),
        skipped=sorted(set(skipped)),
    )


def _dependencies(
    imported: set[tuple[str, str]], project_files: Mapping[str, bytes]
) -> tuple[list[Dependency], list[tuple[str, str]]]:
    found = {Dependency(name, ecosystem, "import") for name, ecosystem in imported if name}
    skipped: list[tuple[str, str]] = []
    for path, data in sorted(project_files.items()):
        if manifest_kind(path) is None:
            continue
        try:
            found.update(parse_manifest(path, data))
        except ManifestError as exc:
            skipped.append((path, str(exc).splitlines()[0]))
    return sorted(found, key=lambda d: (d.ecosystem, d.name, d.source)), skipped


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
    from bmad.daemon.store import cache_store_path
    from bmad.errors import BmadError
    from bmad.extractors.architecture_cache import ArchitectureCache

    if not options.use_cache:
        return None
    try:
        return ArchitectureCache.open(options.cache_path or cache_store_path())
    except BmadError:
        return None  # the analysis still runs, only uncached


def analyse_repository(
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
    from bmad.extractors.architecture_cache import input_digest
    from bmad.scanning import ScanOptions
    from bmad.scanning.analyse import analyser_version
    from bmad.scanning.discovery import discover
    from bmad.scanning.pipeline import content_ids

    options = scan_options or ScanOptions()
    repository = git.find_work_tree(root)
    root = git.work_tree_root(repository) if repository is not None else root.resolve()
    merged = _settings(settings)
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
