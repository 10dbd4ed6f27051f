"""The synthetic population reproduces the released marginals and serves as a reference."""

from __future__ import annotations

import pytest

from bmad.analysis.reference import LocalReference
from bmad.federation.insights import RoundFacts, compute_insights, standing
from bmad.federation.synthetic import SyntheticSource, released_quantile, synthetic_population
from bmad.privacy.schemas import CODE_EDGES, CODE_METRICS, schema_for


def _insights() -> dict[str, object]:
    schema = schema_for("code_patterns")
    aggregate: list[float] = []
    for block in schema.blocks:
        counts = [0.0] * len(block.labels)
        for index in range(min(8, len(CODE_EDGES[block.name]))):
            counts[index] = 300.0 / (1 + index)
        aggregate.extend(counts)
    facts = RoundFacts("code_patterns", 2, 10, 1, 1e-9, 1.0, 1e-5, 0.7, 3, "record")
    return compute_insights(aggregate, facts)


def test_the_population_follows_every_released_marginal() -> None:
    insights = _insights()
    population = synthetic_population(insights, "python", size=1_000)
    assert set(population) == set(CODE_METRICS)
    for metric, values in population.items():
        entry = insights["percentiles"][metric]["python"]  # type: ignore[index]
        edges = CODE_EDGES[metric]
        for index, edge in enumerate(edges):
            below = sum(value < edge for value in values) / len(values)
            assert below == pytest.approx(entry["share_below"][index], abs=2e-3)
        assert all(float(value).is_integer() for value in values)


def test_languages_without_a_release_have_no_population() -> None:
    assert synthetic_population(_insights(), "go") == {}


def test_released_quantiles_invert_the_standing() -> None:
    insights = _insights()
    entry = insights["percentiles"]["cognitive"]["python"]  # type: ignore[index]
    for q in (0.2, 0.5, 0.8):
        value = released_quantile(entry, q)
        found = standing(insights, "cognitive", "python", value)  # type: ignore[arg-type]
        assert found is not None and found["above_share"] == pytest.approx(q, abs=1e-9)


def test_the_source_refers_released_metrics_to_the_population_and_the_rest_locally() -> None:
    source = SyntheticSource(_insights(), size=1_000)
    local = LocalReference({"cognitive": [0.0] * 50, "tokens": [1.0, 2.0, 3.0]})
    python = source.reference("python", local)
    assert python.percentile("cognitive", 0.0) < 50  # globally, 0 is not every function
    assert local.percentile("cognitive", 0.0) == 50.0
    assert python.quantile("tokens", 0.5) == local.quantile("tokens", 0.5)
    assert source.reference(None, local) is local
    assert source.reference("go", local) is local
