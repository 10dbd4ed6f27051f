"""Graph algorithms over a module dependency graph: cycles, coupling, hubs, layers.

A graph is a mapping from every node to the nodes it depends on (its successors); every
successor is itself a key. All traversals are iterative, so graphs of any depth work
without touching the recursion limit.

Definitions:

- Ca (afferent coupling, fan-in): how many other modules depend on the module.
- Ce (efferent coupling, fan-out): how many other modules the module depends on.
- Instability I = Ce / (Ca + Ce); an isolated module (Ca = Ce = 0) gets I = 0.0, since
  nothing it depends on can change it. Self-imports count in neither Ca nor Ce.
- A cycle is a strongly connected component of two or more modules, or one module that
  imports itself.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

Graph = Mapping[str, Collection[str]]


def strongly_connected_components(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components in reverse topological order, members in
    discovery order."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(graph[root]))]
        index[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = lowlink[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph[successor])))
                    advanced = True
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component[::-1])
    return components


def cycles(graph: Graph) -> list[list[str]]:
    """The components that hold a cycle, largest first, members sorted."""
    found = [
        sorted(component)
        for component in strongly_connected_components(graph)
        if len(component) > 1 or component[0] in graph[component[0]]
    ]
    return sorted(found, key=lambda members: (-len(members), members))


def closing_edges(graph: Graph, component: Collection[str]) -> list[tuple[str, str]]:
    """The back edges of a depth-first search inside one component, from its smallest
    member in sorted order: removing them leaves the component without a cycle."""
    members = set(component)
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    edges: list[tuple[str, str]] = []
    for root in sorted(members):
        if root in state:
            continue
        state[root] = 1
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(graph[root])))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in members:
                    continue
                seen = state.get(successor)
                if seen is None:
                    state[successor] = 1
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if seen == 1:
                    edges.append((node, successor))
            else:
                state[node] = 2
                work.pop()
    return edges


def smallest_cycle(
    graph: Graph, node: str, within: Collection[str] | None = None
) -> list[str] | None:
    """A shortest cycle through ``node`` (breadth-first), as [node, ..., last] where last
    imports node; None when node is in no cycle. ``within`` restricts the search (pass the
    node's component to make it cheaper). Successors are tried in the order ``graph`` gives
    them: give sorted sequences (not sets, whose order varies between runs with the string
    hash seed) to get the same cycle every run when several are shortest."""
    allowed = within if within is None or isinstance(within, (set, frozenset)) else set(within)
    if node in graph[node]:
        return [node]
    parents: dict[str, str] = {}
    queue: deque[str] = deque([node])
    while queue:
        current = queue.popleft()
        for successor in graph[current]:
            if allowed is not None and successor not in allowed:
                continue
            if successor == node:
                path = [current]
                while path[-1] != node:
                    path.append(parents[path[-1]])
                return path[::-1]
            if successor not in parents:
                parents[successor] = current
                queue.append(successor)
    return None


@dataclass(frozen=True, slots=True)
class Coupling:
    ca: int
    ce: int

    @property
    def instability(self) -> float:
        total = self.ca + self.ce
        return self.ce / total if total else 0.0


def coupling(graph: Graph) -> dict[str, Coupling]:
    fan_in: dict[str, int] = dict.fromkeys(graph, 0)
    for node, successors in graph.items():
        for successor in set(successors):
            if successor != node:
                fan_in[successor] += 1
    return {
        node: Coupling(fan_in[node], len(set(successors) - {node}))
        for node, successors in graph.items()
    }


def _percentile(values: Sequence[int], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 100 * len(ordered)) // 100))
    return float(ordered[min(rank, len(ordered)) - 1])


def hubs(metrics: Mapping[str, Coupling], min_ca: int, min_ce: int, percentile: float) -> list[str]:
    """Modules with both fan-in and fan-out at or above max(absolute minimum, percentile of
    all modules); sorted by Ca + Ce, highest first."""
    ca_floor = max(float(min_ca), _percentile([m.ca for m in metrics.values()], percentile))
    ce_floor = max(float(min_ce), _percentile([m.ce for m in metrics.values()], percentile))
    found = [name for name, m in metrics.items() if m.ca >= ca_floor and m.ce >= ce_floor]
    return sorted(found, key=lambda name: (-(metrics[name].ca + metrics[name].ce), name))


# --- layers -----------------------------------------------------------------------------------


@cache
def glob_pattern(pattern: str) -> re.Pattern[str]:
    """A path glob: ``**`` any number of folders, ``*`` and ``?`` within one name. A pattern
    without wildcards matches that path and everything below it."""
    pattern = pattern.strip("/")
    if not any(char in pattern for char in "*?["):
        return re.compile(re.escape(pattern) + r"(?:/.*)?")
    out: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if pattern.startswith("**/", position):
            out.append(r"(?:.*/)?")
            position += 3
            continue
        if pattern.startswith("**", position):
            out.append(r".*")
            position += 2
            continue
        if char == "*":
            out.append(r"[^/]*")
        elif char == "?":
            out.append(r"[^/]")
        else:
            out.append(re.escape(char))
        position += 1
    return re.compile("".join(out))


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    patterns: tuple[str, ...]


def parse_layers(raw: object) -> list[Layer]:
    """Layers from configuration, highest first. Each entry is a glob, a list of globs, or a
    table ``{name = "...", paths = [...]}``; raises ValueError on anything else."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("architecture.layers must be a list, highest layer first")
    layers: list[Layer] = []
    for position, entry in enumerate(raw):
        if isinstance(entry, str):
            layers.append(Layer(entry, (entry,)))
        elif isinstance(entry, list) and entry and all(isinstance(p, str) for p in entry):
            layers.append(Layer(entry[0], tuple(entry)))
        elif isinstance(entry, Mapping):
            paths = entry.get("paths")
            if isinstance(paths, str):
                paths = [paths]
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise ValueError(f"architecture.layers[{position}].paths must list globs")
            name = entry.get("name", paths[0] if paths else str(position))
            layers.append(Layer(str(name), tuple(paths)))
        else:
            raise ValueError(
                f"architecture.layers[{position}] must be a glob, a list of globs or a table"
            )
    return layers


def layer_index(path: str, layers: Sequence[Layer]) -> int | None:
    """Position of the first layer whose globs match ``path`` (0 = highest)."""
    for position, layer in enumerate(layers):
        if any(glob_pattern(pattern).fullmatch(path) for pattern in layer.patterns):
            return position
    return None


@dataclass(frozen=True, slots=True)
class LayerViolation:
    source: str
    target: str
    line: int
    source_layer: str
    target_layer: str


def layer_violations(
    edges: Iterable[tuple[str, str, int]], layers: Sequence[Layer]
) -> list[LayerViolation]:
    """Imports (source path, target path, line) from a lower layer to a higher one."""
    found: list[LayerViolation] = []
    for source, target, line in edges:
        low = layer_index(source, layers)
        high = layer_index(target, layers)
        if low is not None and high is not None and high < low:
            found.append(LayerViolation(source, target, line, layers[low].name, layers[high].name))
    return found
