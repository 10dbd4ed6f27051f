"""Pure parts of the federation: governance, grouping, robust combination, insights, signing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.federation.governance import (
    MIN_ROBUST_GROUP,
    ROBUST_GROUPS,
    Governance,
    governance_for,
    group_sizes,
    reconstruction_threshold,
)
from bmad.federation.insights import RoundFacts, compute_insights, standing
from bmad.federation.robust import combine_groups
from bmad.federation.signing import (
    RequestRejected,
    decode_key,
    sign_request,
    verify_request,
)
from bmad.federation.wire import PARTICIPATION_WEIGHT, round_contribution, round_schema
from bmad.privacy.identity import _new_identity
from bmad.privacy.schemas import BoundedContribution, schema_for


@given(st.integers(0, 400), st.integers(3, 60))
def test_groups_cover_everyone_and_split_only_into_three_large_groups(
    participants: int, k: int
) -> None:
    sizes = group_sizes(participants, k)
    assert sum(sizes) == participants
    assert max(sizes, default=0) - min(sizes, default=0) <= 1
    assert len(sizes) in ((0,) if participants == 0 else (1, ROBUST_GROUPS))
    if len(sizes) == ROBUST_GROUPS:
        assert min(sizes) >= max(k, MIN_ROBUST_GROUP)
    assert (len(sizes) == ROBUST_GROUPS) == (participants >= ROBUST_GROUPS * max(k, 50))


@given(st.integers(3, 300), st.integers(3, 50))
def test_threshold_is_two_thirds_plus_one_and_never_below_k(size: int, k: int) -> None:
    threshold = reconstruction_threshold(size, k)
    assert 3 * threshold >= 2 * size + 3
    assert threshold >= min(size, k)
    assert threshold <= size


def test_privacy_levels_are_documented_numbers() -> None:
    high, low = governance_for("high"), governance_for("low")
    assert (high.k_min_participants, high.epsilon_per_round, high.consensus_threshold) == (
        5,
        0.5,
        0.8,
    )
    assert low.k_min_participants == 3
    assert governance_for("medium", k_min_participants=7).k_min_participants == 7
    assert Governance.from_dict(high.to_dict()) == high


@pytest.mark.parametrize(
    "overrides",
    [
        {"k_min_participants": 2},
        {"epsilon_per_round": 5.0},
        {"consensus_threshold": 0.0},
        {"robust_combiner": "mean"},
        {"phase_timeout": 0.0},
        {"allowed_learning_types": ("x",)},
    ],
)
def test_bad_governance_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(BmadError):
        governance_for("high", **overrides)


def test_unknown_level_and_malformed_document_are_refused() -> None:
    with pytest.raises(BmadError, match="unknown privacy level"):
        governance_for("extreme")
    with pytest.raises(BmadError, match="malformed"):
        Governance.from_dict({"privacy_level": "high"})


@given(st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=8), st.integers(3, 9))
def test_one_group_is_passed_through_exactly(values: list[int], size: int) -> None:
    assert combine_groups([values], [size]) == [float(v) for v in values]


@given(st.lists(st.integers(0, 1000), min_size=3, max_size=9))
def test_equal_groups_median_resists_one_wild_group(honest: list[int]) -> None:
    sizes = [5] * 5
    sums = [[value * 5] for value in honest[:1]] * 4 + [[10**9]]
    combined = combine_groups(sums, sizes, "median")
    assert combined == [float(honest[0] * 25)]
    trimmed = combine_groups(sums, sizes, "trimmed_mean", 0.2)
    assert trimmed == [float(honest[0] * 25)]


def test_combination_rejects_mismatched_input() -> None:
    with pytest.raises(BmadError):
        combine_groups([[1, 2], [1]], [3, 3])
    with pytest.raises(BmadError):
        combine_groups([[1]], [0])
    with pytest.raises(BmadError):
        combine_groups([[1], [2]], [3, 3], "mode")


def _facts(learning_type: str, participants: int = 10, scale: float = 1.0) -> RoundFacts:
    return RoundFacts(learning_type, 1, participants, 1, scale, 1.0, 1e-5, 0.7, 3)


def _aggregate(learning_type: str, vectors: list[tuple[int, ...]]) -> list[float]:
    schema = schema_for(learning_type)
    extended = [round_contribution(BoundedContribution(schema, v)).vector for v in vectors]
    return [float(sum(column)) for column in zip(*extended, strict=True)]


def test_participation_bits_are_weighted_and_bounded() -> None:
    schema = schema_for("anti_patterns")
    vector = schema.bound([[3] + [0] * 12, [0, 1, 0, 0, 0, 0]])
    extended = round_contribution(BoundedContribution(schema, vector))
    assert extended.vector[schema.dim] == PARTICIPATION_WEIGHT
    assert extended.schema.dim == 2 * schema.dim
    assert round_schema(schema).l2_squared_sensitivity == (
        schema.l2_squared_sensitivity + PARTICIPATION_WEIGHT**2 * schema.dim
    )


def test_code_percentiles_and_standing_from_an_exact_sum() -> None:
    schema = schema_for("code_patterns")
    # every organisation: python functions whose metric values are 2 or 3 (3:1)
    blocks = []
    for block in schema.blocks:
        counts = [0] * len(block.labels)
        counts[block.labels.index("python:2")], counts[block.labels.index("python:3")] = 3, 1
        blocks.append(counts)
    vector = schema.bound(blocks)
    insights = compute_insights(
        _aggregate("code_patterns", [vector] * 10), _facts("code_patterns", scale=1e-9)
    )
    cognitive = insights["percentiles"]["cognitive"]
    assert set(cognitive) == {"python"}  # other languages have no organisations (< k)
    assert cognitive["python"]["percentiles"] == {"p50": "2", "p75": "2", "p90": "3", "p95": "3"}
    assert cognitive["python"]["organisations"] == 10
    assert cognitive["python"]["confidence"] > 0.99
    high = standing(insights, "cognitive", "python", 31)
    assert high is not None and high["above_share"] == pytest.approx(1.0)
    assert "above 100% (+-1) of python functions across 10 organisations" in high["text"]
    middle = standing(insights, "cognitive", "python", 3)
    assert middle is not None and middle["above_share"] == pytest.approx(0.75)
    assert standing(insights, "cognitive", "go", 3) is None


def test_consensus_divergent_and_suppressed_bins() -> None:
    schema = schema_for("anti_patterns")
    smells = schema.blocks[0].labels
    common = [1 if name == "complex_method" else 0 for name in smells]
    split = [1 if name in ("complex_method", "deep_nesting") else 0 for name in smells]
    vectors = [schema.bound([common, [1, 0, 0, 0, 0, 0]])] * 5 + [
        schema.bound([split, [1, 0, 0, 0, 0, 0]])
    ] * 5
    insights = compute_insights(
        _aggregate("anti_patterns", vectors), _facts("anti_patterns", scale=1e-9)
    )
    consensus = {(item["block"], item["label"]) for item in insights["consensus"]}
    divergent = {(item["block"], item["label"]) for item in insights["divergent"]}
    assert ("smells", "complex_method") in consensus
    assert ("smells", "deep_nesting") in divergent
    bins = {row["label"]: row for row in insights["smell_prevalence"]["bins"]}
    assert bins["hotspot"]["suppressed"] and bins["hotspot"]["share"] is None
    assert bins["complex_method"]["share"] == pytest.approx(0.75)


def test_success_factor_lift_and_interval() -> None:
    schema = schema_for("success_patterns")

    def org(practice: bool, outcome: bool) -> tuple[int, ...]:
        cell = [0, 0, 0, 0]
        cell[(0 if practice else 2) + (0 if outcome else 1)] = 1
        return schema.bound([cell] * len(schema.blocks))

    vectors = (
        [org(True, True)] * 8
        + [org(True, False)] * 2
        + [org(False, True)] * 2
        + [org(False, False)] * 8
    )
    insights = compute_insights(
        _aggregate("success_patterns", vectors), _facts("success_patterns", 20, 0.5)
    )
    factor = insights["success_factors"][0]
    assert factor["lift"] == pytest.approx((8 / 10) / (10 / 20))
    low, high = factor["ci95"]
    assert low < factor["lift"] < high
    assert factor["organisations"] == 20
    assert 0.5 < factor["confidence"] <= 1


def test_insights_refuse_a_wrong_length() -> None:
    with pytest.raises(ValueError, match="round layout"):
        compute_insights([1.0, 2.0], _facts("anti_patterns"))


def test_noise_makes_confidence_honest() -> None:
    schema = schema_for("anti_patterns")
    vector = schema.bound([[1] + [0] * 12, [1, 0, 0, 0, 0, 0]])
    exact = compute_insights(
        _aggregate("anti_patterns", [vector] * 5), _facts("anti_patterns", 5, 1e-9)
    )
    noisy = compute_insights(
        _aggregate("anti_patterns", [vector] * 5), _facts("anti_patterns", 5, 500.0)
    )
    assert exact["blocks"]["smells"]["confidence"] > 0.99
    assert noisy["blocks"]["smells"]["confidence"] == 0.0
    assert math.isclose(noisy["count_noise_std"], 500.0 * math.sqrt(5) / PARTICIPATION_WEIGHT)


def test_signed_request_verifies_and_any_change_breaks_it() -> None:
    identity = _new_identity()
    public = identity.public.signing_public
    aggregator, other_aggregator = bytes(range(32)), bytes(range(1, 33))
    headers = sign_request(identity, public, aggregator, "POST", "/v1/x?a=1", b"body")
    verified = verify_request(headers, aggregator, "POST", "/v1/x?a=1", b"body", max_skew=60)
    assert verified.public_key == public
    with pytest.raises(RequestRejected, match="another aggregator"):  # replayed elsewhere
        verify_request(headers, other_aggregator, "POST", "/v1/x?a=1", b"body", max_skew=60)
    for method, target, body in (
        ("GET", "/v1/x?a=1", b"body"),
        ("POST", "/v1/x?a=2", b"body"),
        ("POST", "/v1/x?a=1", b"bodY"),
    ):
        with pytest.raises(RequestRejected):
            verify_request(headers, aggregator, method, target, body, max_skew=60)
    with pytest.raises(RequestRejected, match="stale"):
        verify_request(
            headers,
            aggregator,
            "POST",
            "/v1/x?a=1",
            b"body",
            max_skew=60,
            now=float(headers["x-bmad-timestamp"]) + 120,
        )
    with pytest.raises(RequestRejected, match="unsigned"):
        verify_request({}, aggregator, "GET", "/", b"", max_skew=60)
    with pytest.raises(RequestRejected):
        decode_key("AAAA")
