"""bmad's architecture lens: the module dependency graph of a repository and what it shows.

:func:`build_architecture` is pure: files with their imports (as the scan extracted them
from the shared parse) plus the contents of the project files -> :class:`Architecture`.
Reading a repository's files and caching the result is :mod:`bmad.scanning.architecture`.

Public entry points for other components (the anti-pattern detector):
``Architecture.cycles`` / ``.closing_edges`` / ``.smallest_cycles``, ``.hubs``,
``.layer_violations`` and ``.modules`` (Ca, Ce, instability per module id).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, field
from typing import Any

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
    Resolver,
    SourceFile,
    read_project_files,
)
from bmad.extractors.manifests import Dependency, ManifestError, manifest_kind, parse_manifest

JSON_VERSION = 1


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


def merged_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``[architecture]`` defaults overlaid with ``settings``."""
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
    options = merged_settings(settings)
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


ARCHITECTURE_CODEC_VERSION = "rows-1"  # part of a cache key: a new encoding invalidates


def encode_architecture(architecture: Architecture) -> str:
    """Positional rows, like the metrics cache: compact and quick to decode."""
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


def decode_architecture(payload: str) -> Architecture:
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
