from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bmad.extractors.architecture_graph import (
    Layer,
    closing_edges,
    coupling,
    cycles,
    glob_pattern,
    hubs,
    layer_index,
    layer_violations,
    parse_layers,
    smallest_cycle,
    strongly_connected_components,
)


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, set[str]]:
    size = draw(st.integers(min_value=0, max_value=12))
    nodes = [f"n{i}" for i in range(size)]
    graph: dict[str, set[str]] = {node: set() for node in nodes}
    if nodes:
        edges = draw(st.lists(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes))))
        for source, target in edges:
            graph[source].add(target)
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for successor in graph[todo.pop()]:
            if successor not in seen:
                seen.add(successor)
                todo.append(successor)
    return seen


def shortest_cycle_length(graph: dict[str, set[str]], node: str) -> int | None:
    """Brute force: breadth-first distances from every successor back to node."""
    best = None
    for successor in graph[node]:
        distance = {successor: 0}
        frontier = [successor]
        while frontier and node not in distance:
            following = []
            for current in frontier:
                for nxt in graph[current]:
                    if nxt not in distance:
                        distance[nxt] = distance[current] + 1
                        following.append(nxt)
            frontier = following
        if node in distance:
            length = distance[node] + 1 if successor != node else 1
            best = length if best is None else min(best, length)
    return best


@given(graphs())
@settings(max_examples=200, deadline=None)
def test_tarjan_matches_mutual_reachability(graph: dict[str, set[str]]) -> None:
    components = strongly_connected_components(graph)
    assert sorted(node for component in components for node in component) == sorted(graph)
    reach = {node: reachable(graph, node) for node in graph}
    component_of = {node: i for i, component in enumerate(components) for node in component}
    for a in graph:
        for b in graph:
            same = a in reach[b] and b in reach[a]
            assert same == (component_of[a] == component_of[b])


@given(graphs())
@settings(max_examples=200, deadline=None)
def test_components_come_in_reverse_topological_order(graph: dict[str, set[str]]) -> None:
    components = strongly_connected_components(graph)
    position = {node: i for i, component in enumerate(components) for node in component}
    for source, targets in graph.items():
        for target in targets:
            assert position[target] <= position[source]


@given(graphs())
@settings(max_examples=200, deadline=None)
def test_closing_edges_break_every_cycle(graph: dict[str, set[str]]) -> None:
    pruned = {node: set(targets) for node, targets in graph.items()}
    for members in cycles(graph):
        for source, target in closing_edges(graph, members):
            pruned[source].discard(target)
    assert cycles(pruned) == []


@given(graphs())
@settings(max_examples=200, deadline=None)
def test_smallest_cycle_is_a_shortest_real_cycle(graph: dict[str, set[str]]) -> None:
    for node in graph:
        cycle = smallest_cycle(graph, node)
        expected = shortest_cycle_length(graph, node)
        if expected is None:
            assert cycle is None
            continue
        assert cycle is not None and cycle[0] == node and len(cycle) == expected
        for source, target in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
            assert target in graph[source]


def test_ten_thousand_module_chain_and_random_graph_finish() -> None:
    size = 10_000
    chain = {f"m{i}": {f"m{i + 1}"} for i in range(size - 1)}
    chain[f"m{size - 1}"] = {"m0"}  # one cycle through all 10,000 modules
    assert [len(c) for c in cycles(chain)] == [size]
    assert len(closing_edges(chain, chain)) == 1
    assert len(smallest_cycle(chain, "m0") or []) == size
    generator = random.Random(4)
    sparse = {f"m{i}": {f"m{generator.randrange(size)}" for _ in range(3)} for i in range(size)}
    components = strongly_connected_components(sparse)
    assert sum(len(c) for c in components) == size


def test_coupling_and_instability() -> None:
    graph = {"a": {"b", "a"}, "b": {"c"}, "c": set(), "lonely": set()}
    metrics = coupling(graph)
    assert (metrics["a"].ca, metrics["a"].ce, metrics["a"].instability) == (0, 1, 1.0)
    assert (metrics["b"].ca, metrics["b"].ce, metrics["b"].instability) == (1, 1, 0.5)
    assert (metrics["c"].ca, metrics["c"].ce, metrics["c"].instability) == (1, 0, 0.0)
    assert metrics["lonely"].instability == 0.0
    assert hubs(metrics, 1, 1, 0.0) == ["b"]


def test_globs_and_layers() -> None:
    assert glob_pattern("src/**/api/*.py").fullmatch("src/a/b/api/x.py")
    assert glob_pattern("src/**/api/*.py").fullmatch("src/api/x.py")
    assert not glob_pattern("src/*/x.py").fullmatch("src/a/b/x.py")
    assert glob_pattern("pkg/core").fullmatch("pkg/core/deep/m.py")
    assert not glob_pattern("pkg/core").fullmatch("pkg/corex/m.py")
    layers = parse_layers(["ui/**", ["services/**", "jobs/**"], {"name": "core", "paths": "core"}])
    assert layers[1] == Layer("services/**", ("services/**", "jobs/**"))
    assert layer_index("jobs/run.py", layers) == 1
    assert layer_index("other.py", layers) is None
    edges = [("core/m.py", "ui/v.py", 3), ("ui/v.py", "core/m.py", 4), ("core/m.py", "x.py", 5)]
    found = layer_violations(edges, layers)
    assert [(v.source, v.line, v.target_layer) for v in found] == [("core/m.py", 3, "ui/**")]
