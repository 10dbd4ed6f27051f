"""Each unit of privacy bounds what one unit can change, to exactly the stated sensitivity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.extractors.metrics import FileMetrics, FunctionMetrics
from bmad.federation.wire import round_contribution, round_schema
from bmad.privacy.schemas import CODE_EDGES, CODE_METRICS, schema_for
from bmad.privacy.summaries import LocalStatistics
from bmad.privacy.units import Guarantee, Unit, unit_contribution, unit_for, unit_schema

VALUES = st.integers(0, 500)


def _function(values: tuple[int, ...]) -> FunctionMetrics:
    metrics = dict(zip(CODE_METRICS, values, strict=True))
    return FunctionMetrics(
        "f", "f", 1, 1, metrics["nloc"], 1, metrics["ccn"], metrics["cognitive"],
        metrics["max_nesting"], metrics["params"], 0, 0,
    )  # fmt: skip


FUNCTIONS = st.tuples(*(VALUES for _ in CODE_METRICS)).map(_function)
REPOSITORY = st.lists(st.tuples(st.sampled_from(["python", "go"]), FUNCTIONS), max_size=6)


def _statistics(functions: list[tuple[str, FunctionMetrics]]) -> LocalStatistics:
    files = [
        FileMetrics(language, 1, 1, 0, 0, False, (function,)) for language, function in functions
    ]
    return LocalStatistics(files=files)


def _l2_squared(left: tuple[int, ...], right: tuple[int, ...]) -> int:
    return sum((a - b) ** 2 for a, b in zip(left, right, strict=True))


def _vector(unit: Unit, repositories: list[list[tuple[str, FunctionMetrics]]]) -> tuple[int, ...]:
    schema = schema_for("code_patterns")
    found = unit_contribution("code_patterns", unit, [_statistics(r) for r in repositories])
    return (0,) * schema.dim if found is None else found.vector


UNCAPPED_RECORD = Unit("code_patterns", "record", 10**6)  # no sampling: deterministic


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["python", "go"]), FUNCTIONS), max_size=20),
    st.tuples(st.sampled_from(["python", "go"]), FUNCTIONS),
    st.tuples(st.sampled_from(["python", "go"]), FUNCTIONS),
)
def test_one_function_moves_a_record_round_by_at_most_the_stated_sensitivity(
    others: list[tuple[str, FunctionMetrics]],
    before: tuple[str, FunctionMetrics],
    after: tuple[str, FunctionMetrics],
) -> None:
    bound = unit_schema(schema_for("code_patterns"), UNCAPPED_RECORD).l2_squared_sensitivity
    assert bound == 2 * len(CODE_METRICS)
    left = _vector(UNCAPPED_RECORD, [[*others, before]])
    right = _vector(UNCAPPED_RECORD, [[*others, after]])
    assert _l2_squared(left, right) <= bound


def test_the_record_sensitivity_is_reached() -> None:
    low, high = ("python", _function((0,) * 5)), ("go", _function((500,) * 5))
    bound = unit_schema(schema_for("code_patterns"), UNCAPPED_RECORD).l2_squared_sensitivity
    assert (
        _l2_squared(_vector(UNCAPPED_RECORD, [[low]]), _vector(UNCAPPED_RECORD, [[high]])) == bound
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(REPOSITORY, max_size=3), REPOSITORY, REPOSITORY)
def test_one_repository_moves_a_repository_round_by_at_most_the_stated_sensitivity(
    others: list[list[tuple[str, FunctionMetrics]]],
    before: list[tuple[str, FunctionMetrics]],
    after: list[tuple[str, FunctionMetrics]],
) -> None:
    unit = unit_for("code_patterns", "repository")
    bound = unit_schema(schema_for("code_patterns"), unit).l2_squared_sensitivity
    left, right = _vector(unit, [*others, before]), _vector(unit, [*others, after])
    assert _l2_squared(left, right) <= bound


def test_the_repository_sensitivity_is_reached() -> None:
    unit = unit_for("code_patterns", "repository")
    bound = unit_schema(schema_for("code_patterns"), unit).l2_squared_sensitivity
    low = [("python", _function((0,) * 5))]
    high = [("python", _function((500,) * 5))]
    assert bound == 2 * len(CODE_METRICS) * 100**2
    assert _l2_squared(_vector(unit, [low]), _vector(unit, [high])) == bound


NON_EMPTY = st.lists(
    st.tuples(st.sampled_from(["python", "go"]), FUNCTIONS), min_size=1, max_size=4
)


@settings(max_examples=15, deadline=None)
@given(st.lists(NON_EMPTY, min_size=1, max_size=3), st.lists(NON_EMPTY, min_size=1, max_size=3))
def test_an_organisation_round_moves_by_at_most_its_layout_sensitivity(
    before: list[list[tuple[str, FunctionMetrics]]],
    after: list[list[tuple[str, FunctionMetrics]]],
) -> None:
    unit = unit_for("code_patterns", "organisation")
    schema = schema_for("code_patterns")
    vectors = []
    for repositories in (before, after):
        found = unit_contribution("code_patterns", unit, [_statistics(r) for r in repositories])
        assert found is not None
        vectors.append(round_contribution(found, unit).vector)
    layout = round_schema(schema, unit)
    assert layout.dim == 2 * schema.dim
    assert _l2_squared(*vectors) <= layout.l2_squared_sensitivity


def test_an_organisation_with_more_functions_than_the_cap_sends_exactly_the_cap() -> None:
    unit = Unit("code_patterns", "record", 7)
    functions = [("python", _function((index,) * 5)) for index in range(40)]
    vector = _vector(unit, [functions[:25], functions[25:]])
    schema = schema_for("code_patterns")
    offset = 0
    for block, metric in zip(schema.blocks, CODE_METRICS, strict=True):
        assert sum(vector[offset : offset + len(block.labels)]) == unit.cap
        assert len(CODE_EDGES[metric]) <= len(block.labels)
        offset += len(block.labels)


def test_unsupported_units_are_refused() -> None:
    with pytest.raises(BmadError, match="does not support"):
        unit_for("workflow_patterns", "record")
    with pytest.raises(BmadError, match="does not support"):
        unit_for("anti_patterns", "contributor")


def test_both_guarantees_are_stated() -> None:
    record = Guarantee(unit_for("code_patterns", "record"), rho=0.03, delta=1e-5)
    document = record.to_dict()
    assert document["protects"] == "one function"
    assert document["per_organisation"]["rho"] == pytest.approx(0.03 * 10_000**2)
    assert "secure aggregation" in document["per_organisation"]["note"]
    whole = Guarantee(unit_for("code_patterns", "organisation"), rho=0.03, delta=1e-5)
    assert whole.organisation_epsilon == pytest.approx(whole.epsilon)
    assert math.isclose(whole.to_dict()["per_unit"]["epsilon"], whole.epsilon)
