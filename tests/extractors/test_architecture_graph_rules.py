"""Module-graph algorithms on graphs small enough to work by hand: components and their order,
the edges that close a cycle, shortest cycles, Ca/Ce/instability, hubs at their thresholds,
layer globs and violations."""

from __future__ import annotations

import pytest

from bmad.extractors.architecture_graph import (
    Coupling,
    Layer,
    LayerViolation,
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

# a -> b -> c -> a is a cycle; c -> d leaves it; e imports itself; f stands alone.
GRAPH = {
    "a": ["b"],
    "b": ["c"],
    "c": ["a", "d"],
    "d": [],
    "e": ["e"],
    "f": [],
}


def test_components_come_in_reverse_topological_order_members_in_discovery_order() -> None:
    assert strongly_connected_components(GRAPH) == [["d"], ["a", "b", "c"], ["e"], ["f"]]


def test_a_component_reached_through_a_finished_one_is_its_own() -> None:
    # x -> y -> x and z -> x: z is not in x's cycle even though it reaches it.
    graph = {"z": ["x"], "x": ["y"], "y": ["x"]}
    assert strongly_connected_components(graph) == [["x", "y"], ["z"]]


def test_cycles_are_the_components_of_two_or_more_and_self_imports() -> None:
    graph = {**GRAPH, "p": ["q"], "q": ["p"]}
    # Largest first, then by members.
    assert cycles(graph) == [["a", "b", "c"], ["p", "q"], ["e"]]


def test_closing_edges_are_the_back_edges_from_the_smallest_member() -> None:
    assert closing_edges(GRAPH, ["a", "b", "c"]) == [("c", "a")]
    # a <-> b and a <-> c: the search from a closes both through a.
    twin = {"a": ["b", "c"], "b": ["a"], "c": ["a"]}
    assert closing_edges(twin, ["a", "b", "c"]) == [("b", "a"), ("c", "a")]
    assert closing_edges(GRAPH, ["e"]) == [("e", "e")]
    # Edges that leave the component are not considered.
    assert closing_edges(GRAPH, ["d"]) == []


def test_smallest_cycle_is_found_breadth_first() -> None:
    # a -> b -> a (length 2) and a -> c -> d -> a (length 3).
    graph = {"a": ["c", "b"], "b": ["a"], "c": ["d"], "d": ["a"], "x": []}
    assert smallest_cycle(graph, "a") == ["a", "b"]
    assert smallest_cycle(graph, "a", within=["a", "c", "d"]) == ["a", "c", "d"]
    assert smallest_cycle(graph, "a", within={"a", "c", "d"}) == ["a", "c", "d"]
    assert smallest_cycle(graph, "d") == ["d", "a", "c"]
    assert smallest_cycle(graph, "x") is None
    assert smallest_cycle(GRAPH, "e") == ["e"]
    assert smallest_cycle(GRAPH, "d") is None


def test_fan_in_and_fan_out_ignore_self_imports_and_repeats() -> None:
    graph = {"a": ["b", "b", "a"], "b": ["c"], "c": [], "d": ["b"]}
    assert coupling(graph) == {
        "a": Coupling(ca=0, ce=1),
        "b": Coupling(ca=2, ce=1),
        "c": Coupling(ca=1, ce=0),
        "d": Coupling(ca=0, ce=1),
    }


@pytest.mark.parametrize(
    ("ca", "ce", "instability"), [(0, 0, 0.0), (0, 3, 1.0), (3, 0, 0.0), (1, 3, 0.75)]
)
def test_instability_is_fan_out_over_total(ca: int, ce: int, instability: float) -> None:
    assert Coupling(ca, ce).instability == instability


def metrics(*pairs: tuple[int, int]) -> dict[str, Coupling]:
    return {f"m{i}": Coupling(ca, ce) for i, (ca, ce) in enumerate(pairs)}


def test_hubs_need_both_fan_in_and_fan_out_at_the_floor() -> None:
    modules = metrics((5, 5), (4, 5), (5, 4), (9, 9), (0, 0))
    # Absolute minimums 5 and 5 (the percentile floor of 0.0 is lower): exactly 5 counts.
    assert hubs(modules, 5, 5, 0.0) == ["m3", "m0"]
    assert hubs(modules, 6, 5, 0.0) == ["m3"]


def test_hub_floors_rise_to_the_nearest_rank_percentile() -> None:
    # Ca values 1..10: the 90th percentile by nearest rank is the 9th smallest, 9.
    modules = metrics(*[(value, value) for value in range(1, 11)])
    assert hubs(modules, 0, 0, 0.9) == ["m9", "m8"]
    # The 95th is the 10th smallest (rank 9.5 rounds up).
    assert hubs(modules, 0, 0, 0.95) == ["m9"]
    # The 0th percentile is the smallest value.
    assert len(hubs(modules, 0, 0, 0.0)) == 10
    assert hubs({}, 0, 0, 0.9) == []


def test_hubs_are_ordered_by_total_coupling_then_name() -> None:
    modules = {"b": Coupling(3, 3), "a": Coupling(3, 3), "c": Coupling(4, 3)}
    assert hubs(modules, 1, 1, 0.0) == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("app/cli", ["app/cli", "app/cli/main.py"], ["app/client", "app"]),
        ("/app/cli/", ["app/cli/x.py"], ["x/app/cli"]),
        ("app/**", ["app/", "app/x", "app/x/y.py"], ["ap/x", "application/x"]),
        ("**/test_*.py", ["test_a.py", "a/b/test_a.py"], ["a/test_a.pyc", "a/xtest_a.py"]),
        ("src/*.py", ["src/a.py"], ["src/a/b.py", "src/a.pyc"]),
        ("a?c", ["abc"], ["a/c", "ac", "abbc"]),
        ("lib/**/core", ["lib/core", "lib/x/y/core"], ["lib/core/x", "libcore"]),
        ("a+b[1].py", ["a+b[1].py"], ["aab1.py"]),
    ],
)
def test_layer_globs(pattern: str, matches: list[str], misses: list[str]) -> None:
    compiled = glob_pattern(pattern)
    for path in matches:
        assert compiled.fullmatch(path), path
    for path in misses:
        assert not compiled.fullmatch(path), path


def test_layers_from_configuration() -> None:
    assert parse_layers(None) == []
    assert parse_layers(
        [
            "app/cli/**",
            ["app/services/**", "app/jobs/**"],
            {"name": "core", "paths": ["app/core/**"]},
            {"paths": "app/util/**"},
            {"paths": []},
        ]
    ) == [
        Layer("app/cli/**", ("app/cli/**",)),
        Layer("app/services/**", ("app/services/**", "app/jobs/**")),
        Layer("core", ("app/core/**",)),
        Layer("app/util/**", ("app/util/**",)),
        Layer("4", ()),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("app/**", "architecture.layers must be a list, highest layer first"),
        ([3], "architecture.layers[0] must be a glob, a list of globs or a table"),
        (["a", []], "architecture.layers[1] must be a glob, a list of globs or a table"),
        (["a", ["b", 1]], "architecture.layers[1] must be a glob, a list of globs or a table"),
        ([{"name": "x"}], "architecture.layers[0].paths must list globs"),
        ([{"paths": ["a", 2]}], "architecture.layers[0].paths must list globs"),
    ],
)
def test_bad_layer_configuration_says_where(raw: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_layers(raw)
    assert str(raised.value) == message


def test_imports_from_a_lower_layer_to_a_higher_one_are_violations() -> None:
    layers = [Layer("cli", ("app/cli/**",)), Layer("core", ("app/core/**", "app/base.py"))]
    assert layer_index("app/cli/main.py", layers) == 0
    assert layer_index("app/base.py", layers) == 1
    assert layer_index("docs/x.py", layers) is None
    edges = [
        ("app/core/a.py", "app/cli/main.py", 3),  # core -> cli: up, a violation
        ("app/cli/main.py", "app/core/a.py", 4),  # down: fine
        ("app/core/a.py", "app/base.py", 5),  # same layer: fine
        ("docs/x.py", "app/cli/main.py", 6),  # outside every layer: ignored
        ("app/base.py", "docs/x.py", 7),
    ]
    assert layer_violations(edges, layers) == [
        LayerViolation("app/core/a.py", "app/cli/main.py", 3, "core", "cli")
    ]


def test_each_floor_uses_its_own_coupling() -> None:
    # Fan-in 1..10 with fan-out 10 everywhere: only the fan-in floor (9) selects.
    by_fan_in = metrics(*[(value, 10) for value in range(1, 11)])
    assert hubs(by_fan_in, 0, 0, 0.9) == ["m9", "m8"]
    by_fan_out = metrics(*[(10, value) for value in range(1, 11)])
    assert hubs(by_fan_out, 0, 0, 0.9) == ["m9", "m8"]


def test_nearest_rank_rounds_up_in_hundredths() -> None:
    # 101 modules, 10th percentile: rank ceil(0.1 * 101) = 11, the floor is the 11th value.
    modules = metrics(*[(value, value) for value in range(1, 102)])
    assert len(hubs(modules, 0, 0, 0.1)) == 101 - 10


def test_a_successor_outside_the_component_does_not_end_the_search() -> None:
    graph = {"a": ["0-outside", "b"], "b": ["a"], "0-outside": []}
    assert closing_edges(graph, ["a", "b"]) == [("b", "a")]
    # likewise for the shortest cycle: a successor outside ``within`` is skipped, not a stop
    assert smallest_cycle(graph, "a", within={"a", "b"}) == ["a", "b"]
