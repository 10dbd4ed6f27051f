"""Contribution bounding: exact mass, caps and the sensitivity constants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.privacy.bounding import (
    BinCap,
    Block,
    ContributionSchema,
    FixedMass,
    cap_bins,
    normalise_to_mass,
)
from bmad.privacy.schemas import (
    LEARNING_TYPES,
    bounded_contribution,
    participation_schema,
    participation_vector,
    schema_for,
)
from tests.privacy.strategies import local_statistics

counts = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30)


@given(counts, st.integers(min_value=1, max_value=1000))
def test_normalised_histogram_has_exactly_the_mass(values: list[int], mass: int) -> None:
    result = normalise_to_mass(values, mass)
    assert len(result) == len(values)
    assert all(v >= 0 for v in result)
    assert sum(result) == (0 if sum(values) == 0 else mass)
    total = sum(values)
    if total:  # each bin is its exact share rounded up or down
        for raw, bounded in zip(values, result, strict=True):
            assert abs(bounded - raw * mass / total) < 1


def test_normalisation_golden_values() -> None:
    assert normalise_to_mass([1, 1, 1], 100) == [34, 33, 33]
    assert normalise_to_mass([0, 0], 100) == [0, 0]
    assert normalise_to_mass([3, 1], 10) == [8, 2]  # 7.5 / 2.5: the tie goes to the lower index
    assert cap_bins([0, 5, 2], 2) == [0, 2, 2]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(BmadError):
        normalise_to_mass([1, -1], 10)
    with pytest.raises(BmadError):
        cap_bins([-1], 1)
    with pytest.raises(BmadError):
        Block("b", ("x", "y"), FixedMass(1)).apply([1])


def test_schema_sensitivity_constants() -> None:
    schema = ContributionSchema(
        "demo",
        1,
        (
            Block("a", ("x", "y", "z"), FixedMass(10)),
            Block("b", ("only",), FixedMass(10)),
            Block("c", ("p", "q"), BinCap(3)),
        ),
    )
    assert schema.l1_sensitivity == 20 + 10 + 6
    assert schema.l2_squared_sensitivity == 200 + 100 + 18
    assert schema.l2_sensitivity == pytest.approx(math.sqrt(318))
    assert schema.dim == 6
    assert schema.labels[3] == "b/only"
    # the bounds are attained: the constants are not loose
    x = schema.bound([[1, 0, 0], [1], [5, 5]])
    y = schema.bound([[0, 1, 0], [0], [0, 0]])
    assert sum(abs(a - b) for a, b in zip(x, y, strict=True)) == schema.l1_sensitivity
    assert sum((a - b) ** 2 for a, b in zip(x, y, strict=True)) == schema.l2_squared_sensitivity


def test_published_sensitivities() -> None:
    expected = {
        "code_patterns": (1000, 5 * 2 * 100**2),
        "anti_patterns": (400, 2 * 2 * 100**2),
        "workflow_patterns": (800, 4 * 2 * 100**2),
        "architecture_patterns": (800, 4 * 2 * 100**2),
        "technology_trends": (200, 2 * 100**2),
        "success_patterns": (16, 16),
    }
    for learning_type, (l1, l2_squared) in expected.items():
        schema = schema_for(learning_type)
        assert (schema.l1_sensitivity, schema.l2_squared_sensitivity) == (l1, l2_squared)


@given(st.sampled_from(LEARNING_TYPES), local_statistics, local_statistics)
def test_one_participant_moves_the_vector_by_at_most_the_sensitivity(
    learning_type: str,
    mine,
    other,  # type: ignore[no-untyped-def]
) -> None:
    schema = schema_for(learning_type)
    zero = (0,) * schema.dim
    first = bounded_contribution(learning_type, mine)
    second = bounded_contribution(learning_type, other)
    a = first.vector if first else zero  # a participant without data contributes nothing
    b = second.vector if second else zero
    assert len(a) == len(b) == schema.dim
    assert all(isinstance(v, int) and v >= 0 for v in a)
    assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) <= schema.l1_sensitivity
    assert sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) <= schema.l2_squared_sensitivity


@given(st.sampled_from(LEARNING_TYPES), local_statistics, local_statistics)
def test_participation_vectors_stay_within_their_sensitivity(
    learning_type: str,
    mine,
    other,  # type: ignore[no-untyped-def]
) -> None:
    schema = schema_for(learning_type)
    presence = participation_schema(schema)
    assert presence.l1_sensitivity == schema.dim
    assert presence.l2_squared_sensitivity == schema.dim
    zero = (0,) * schema.dim
    first = bounded_contribution(learning_type, mine)
    second = bounded_contribution(learning_type, other)
    a = participation_vector(first.vector if first else zero)
    b = participation_vector(second.vector if second else zero)
    assert presence.bound([a[i : i + len(block.labels)] for i, block in _offsets(schema)]) == a
    assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) <= presence.l1_sensitivity


def _offsets(schema):  # type: ignore[no-untyped-def]
    offset = 0
    for block in schema.blocks:
        yield offset, block
        offset += len(block.labels)
