"""The risk_model step vector: each record is clipped and fixed-point bounded, so one record
moves an organisation's vector by at most the stated sensitivity."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from bmad.privacy.risk_schema import (
    CLIP,
    FIXED_POINT,
    MAX_ROWS,
    ROWS_WEIGHT,
    Record,
    RiskSchema,
    organisation_vector,
    read_sum,
    record_vectors,
    records_of,
)

SCHEMA = RiskSchema(("churn", "authors"))

centred = st.floats(min_value=-0.5, max_value=0.5, allow_nan=False)
rows = st.lists(st.tuples(centred, centred).map(lambda pair: [1.0, *pair]), max_size=10)
records = st.builds(
    lambda found, labels: Record(found, [labels[i % len(labels)] for i in range(len(found))]),
    rows,
    st.lists(st.booleans(), min_size=1, max_size=10),
)
weights = st.lists(st.floats(min_value=-50, max_value=50), min_size=3, max_size=3)


def test_the_sensitivity_is_stated_from_the_bounds() -> None:
    assert SCHEMA.dim == 4
    assert SCHEMA.labels == (
        "rows/rows",
        "gradient/intercept",
        "gradient/churn",
        "gradient/authors",
    )
    assert SCHEMA.record_bound == 2000
    assert SCHEMA.l2_squared_sensitivity == (250 * 7) ** 2 + 4000**2
    assert math.isclose(SCHEMA.l1_sensitivity, SCHEMA.l2_sensitivity * 2)


def test_a_short_gradient_is_sent_in_fixed_point_and_a_long_one_clipped() -> None:
    short = Record([[1.0, 0.5, -0.5]], [True])  # residual 1/2 at the zero model
    long = Record([[1.0, 0.5, 0.5]] * 9, [True] * 9)  # 7 rows count: (3.5, 1.75, 1.75)
    found = record_vectors(SCHEMA, [short, long], [0.0, 0.0, 0.0]).tolist()
    assert found[0] == [250, 500, 250, -250]
    norm = math.sqrt(3.5**2 + 2 * 1.75**2)
    assert found[1] == [
        ROWS_WEIGHT * MAX_ROWS,
        math.trunc(3.5 / norm * CLIP * FIXED_POINT),
        math.trunc(1.75 / norm * CLIP * FIXED_POINT),
        math.trunc(1.75 / norm * CLIP * FIXED_POINT),
    ]
    assert found[1][1:] == [1632, 816, 816]


@given(st.lists(records, max_size=6), weights)
def test_every_record_stays_within_its_bound(found: list[Record], model: list[float]) -> None:
    for vector in record_vectors(SCHEMA, found, model).tolist():
        assert 0 <= vector[0] <= ROWS_WEIGHT * MAX_ROWS
        assert sum(v * v for v in vector[1:]) <= SCHEMA.record_bound**2


@given(st.lists(records, max_size=5), records, records, weights)
def test_replacing_one_record_moves_the_vector_by_at_most_the_sensitivity(
    shared: list[Record], mine: Record, other: Record, model: list[float]
) -> None:
    first = organisation_vector(SCHEMA, [*shared, mine], model)
    second = organisation_vector(SCHEMA, [*shared, other], model)
    moved = sum((a - b) ** 2 for a, b in zip(first, second, strict=True))
    assert moved <= SCHEMA.l2_squared_sensitivity


def test_a_records_rows_are_its_keys_across_snapshots_and_the_sum_reads_back() -> None:
    newer = (["a.py", "b.py"], [[1.0, 0.25, 0.0], [1.0, -0.25, 0.0]], [True, False])
    older = (["a.py"], [[1.0, 0.0, 0.0]], [False])
    a, b = records_of([newer, older])
    assert a == Record([[1.0, 0.25, 0.0], [1.0, 0.0, 0.0]], [True, False])
    assert b == Record([[1.0, -0.25, 0.0]], [False])
    summed = organisation_vector(SCHEMA, [a, b], [0.0, 0.0, 0.0])
    read = read_sum(SCHEMA, summed)
    assert read.rows == 3
    # residuals +1/2, -1/2, -1/2: intercept -1/2, churn 0.125 + 0 + 0.125
    assert read.gradient == (-0.5, 0.25, 0.0)
