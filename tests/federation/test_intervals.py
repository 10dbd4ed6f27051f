"""Post-processing, 95% intervals and the confidence threshold of released insights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.federation.insights import (
    RoundFacts,
    combine_releases,
    compute_insights,
    project_to_simplex,
    standing,
)
from bmad.federation.learning import compare_functions, confident
from bmad.privacy.noise import discrete_gaussian_noise
from bmad.privacy.schemas import CODE_EDGES, schema_for

NOISY = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=40)


@given(NOISY, st.floats(0, 1e5, allow_nan=False))
def test_the_projection_is_a_non_negative_histogram_with_the_given_total(
    values: list[float], total: float
) -> None:
    projected = project_to_simplex(values, total)
    assert all(value >= 0 for value in projected)
    assert sum(projected) == pytest.approx(total, rel=1e-9, abs=1e-6)


@given(NOISY, st.floats(1, 1e5, allow_nan=False))
def test_the_projection_is_the_least_squares_one(values: list[float], total: float) -> None:
    # Optimality (KKT): one common shift separates kept bins from those clipped to zero.
    projected = project_to_simplex(values, total)
    shifts = [value - kept for value, kept in zip(values, projected, strict=True) if kept > 0]
    assert max(shifts) - min(shifts) <= 1e-6 * max(1.0, abs(max(shifts)))
    clipped = [value for value, kept in zip(values, projected, strict=True) if kept == 0]
    assert all(value <= min(shifts) + 1e-6 * max(1.0, abs(min(shifts))) for value in clipped)


def test_a_feasible_histogram_is_left_as_it_is() -> None:
    assert project_to_simplex([1.0, 0.0, 3.0], 4.0) == [1.0, 0.0, 3.0]


def _record_facts(scale: float, participants: int = 10) -> RoundFacts:
    return RoundFacts("code_patterns", 2, participants, 1, scale, 1.0, 1e-5, 0.7, 3, "record")


def _exact_aggregate() -> list[float]:
    """Ten organisations' python functions: cognitive spread over its first bins."""
    schema = schema_for("code_patterns")
    aggregate: list[float] = []
    for block in schema.blocks:
        counts = [0.0] * len(block.labels)
        for index in range(12):
            counts[index] = 400.0 / (1 + index)
        aggregate.extend(counts)
    return aggregate


def test_the_95_percent_interval_covers_the_noise_free_standing_in_about_95_percent() -> None:
    schema = schema_for("code_patterns")
    exact = _exact_aggregate()
    facts = _record_facts(scale=4.0)
    # Only python's bins get noise: the other languages' (exactly zero) bins would only be
    # suppressed, and this keeps the test to a few thousand exact draws.
    python = [
        offset + index
        for offset, block in zip(
            [sum(len(b.labels) for b in schema.blocks[:i]) for i in range(len(schema.blocks))],
            schema.blocks,
            strict=True,
        )
        for index in range(len(CODE_EDGES[block.name]))
    ]
    truth_document = compute_insights(exact, _record_facts(scale=1e-9))
    values = (1, 3, 6, 11)
    truths = {v: standing(truth_document, "cognitive", "python", v) for v in values}
    rounds, covered, total = 200, 0, 0
    noise = discrete_gaussian_noise(facts.sum_std, rounds * len(python))
    for round_number in range(rounds):
        noisy = list(exact)
        for position, index in enumerate(python):
            noisy[index] += noise[round_number * len(python) + position]
        document = compute_insights(noisy, facts)
        for value in values:
            found = standing(document, "cognitive", "python", value)
            truth = truths[value]
            assert found is not None and truth is not None
            low, high = found["interval"]
            covered += low <= truth["above_share"] <= high
            total += 1
    # 800 interval checks; a binomial at 95% has a standard deviation of 0.77 points.
    assert 0.91 <= covered / total <= 0.99


def test_the_confidence_threshold_hides_wide_insights_and_standings() -> None:
    exact = _exact_aggregate()
    precise = compute_insights(exact, _record_facts(scale=0.5))
    vague = compute_insights(exact, _record_facts(scale=15.0))
    functions = [("f", "python", {"cognitive": 6.0})]
    kept = compare_functions(precise, functions, threshold=0.9)
    assert kept and kept[0]["global"][0]["plus_minus"] < 0.05
    assert "(+-" in kept[0]["global"][0]["text"]
    assert compare_functions(vague, functions, threshold=0.9) == []
    assert compare_functions(vague, functions, threshold=0.0) != []
    assert "cognitive" in confident(precise, 0.9)["percentiles"]
    assert "cognitive" not in confident(vague, 0.9)["percentiles"]
    widest = max(vague["percentiles"]["cognitive"]["python"]["share_below_plus_minus"])
    assert vague["percentiles"]["cognitive"]["python"]["confidence"] == pytest.approx(
        max(0.0, 1 - 2 * widest)
    )


def test_released_documents_state_the_unit_and_both_guarantees() -> None:
    document = compute_insights(_exact_aggregate(), _record_facts(scale=1.0))
    privacy = document["privacy"]
    assert privacy["unit"] == "record" and privacy["protects"] == "one function"
    assert privacy["per_unit"]["epsilon"] == pytest.approx(1.0, rel=1e-6)
    assert "k-organisation rule" in privacy["per_organisation"]["note"]


def test_successive_releases_combine_into_a_narrower_interval(tmp_path: Path) -> None:
    from bmad.federation.learning import cache_insights
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import cached_global_insights

    first = compute_insights(_exact_aggregate(), _record_facts(scale=6.0))
    second = compute_insights(_exact_aggregate(), _record_facts(scale=6.0))
    combined = combine_releases(first, second)
    entry = combined["percentiles"]["cognitive"]["python"]
    single = second["percentiles"]["cognitive"]["python"]
    assert entry["shares"] == pytest.approx(single["shares"])  # same data, no noise drawn
    assert max(entry["share_below_plus_minus"]) < max(single["share_below_plus_minus"])
    assert combined["releases_combined"] == 2

    with open_privacy_store(tmp_path / "data.sqlite3") as store:
        for round_id, released_at in (("r1", "2026-11-01"), ("r2", "2026-12-01"), ("r2", "x")):
            item = {"learning_type": "code_patterns", "round": round_id}
            cache_insights(store, {**item, "released_at": released_at, "insights": first})
        cached = cached_global_insights(store)[0]["insights"]
    assert cached["round"] == "r2" and cached["releases_combined"] == 2  # r2 counted once


def test_a_success_lift_under_noise_far_above_its_counts_has_a_finite_interval() -> None:
    schema = schema_for("success_patterns")
    facts = RoundFacts("success_patterns", 1, 7, 1, 1e6, 1.0, 1e-5, 0.7, 3, "repository")
    insights = compute_insights([0.0] * schema.dim, facts)
    for factor in insights["success_factors"]:
        low, high = factor["ci95"]
        assert 0 <= low <= factor["lift"] <= high < float("inf")
    json.dumps(insights, allow_nan=False)  # every number is finite JSON
