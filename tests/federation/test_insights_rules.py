"""Insight arithmetic worked by hand: the simplex projection, interval half-widths, noise
deviations, publication thresholds, bin labels, lifts and a local function's standing."""

from __future__ import annotations

import math

import pytest

from bmad.federation import insights
from bmad.federation.insights import RoundFacts
from bmad.federation.wire import PARTICIPATION_WEIGHT
from bmad.privacy.bounding import BinCap, Block, ContributionSchema
from bmad.privacy.schemas import edge_labels, schema_for


def facts(
    participants: int = 9, groups: int = 1, share_scale: float = 2.0, k: int = 3
) -> RoundFacts:
    return RoundFacts(
        learning_type="code_patterns",
        schema_version=2,
        participants=participants,
        groups=groups,
        share_scale=share_scale,
        epsilon=1.0,
        delta=1e-5,
        consensus_threshold=0.7,
        k=k,
    )


@pytest.mark.parametrize(
    ("values", "total", "projected"),
    [
        # sorted 3, 1, -1: shifts 0 (first), (4 - 3) / 2 = 0.5 (1 - 0.5 > 0), then -1 drops out.
        ([3.0, 1.0, -1.0], 3.0, [2.5, 0.5, 0.0]),
        ([1.0, 2.0], 3.0, [1.0, 2.0]),
        # one value: shifted to the total
        ([7.0], 2.0, [2.0]),
        # a shift that removes all but the largest
        ([10.0, 1.0, 0.0], 5.0, [5.0, 0.0, 0.0]),
        ([1.0, 2.0], 0.0, [0.0, 0.0]),
        ([1.0, 2.0], -1.0, [0.0, 0.0]),
        ([], 3.0, []),
    ],
)
def test_projection_onto_the_scaled_simplex(
    values: list[float], total: float, projected: list[float]
) -> None:
    assert insights.project_to_simplex(values, total) == pytest.approx(projected, abs=1e-12)


def test_a_value_exactly_at_the_shift_is_dropped() -> None:
    # sorted 4, 2, 2 with total 4: index 2 gives candidate (6 - 4) / 2 = 1 (2 - 1 > 0, kept);
    # index 3 gives (8 - 4) / 3 = 4/3 (2 - 4/3 > 0, kept): shift 4/3.
    assert insights.project_to_simplex([4.0, 2.0, 2.0], 4.0) == pytest.approx([8 / 3, 2 / 3, 2 / 3])
    # sorted 3, 1 with total 2: candidate at index 2 is (4 - 2) / 2 = 1 and 1 - 1 = 0 is not > 0,
    # so the shift stays 1 (from index 1): [2, 0].
    assert insights.project_to_simplex([3.0, 1.0], 2.0) == [2.0, 0.0]


def test_share_interval_is_the_delta_method() -> None:
    # share 0.5 over 1 of 2 bins, mass 100, sigma 10: variance 100 (1 - 1 + 0.25 * 2) = 50.
    half = insights.share_interval(0.5, 1, 2, 100.0, 10.0)
    assert half == pytest.approx(insights.Z95 * math.sqrt(50) / 100, rel=1e-12)
    assert insights.share_interval(0.5, 1, 2, 0.0, 10.0) == 1.0
    assert insights.share_interval(0.5, 1, 2, -1.0, 10.0) == 1.0
    # capped at 1
    assert insights.share_interval(0.5, 1, 2, 1.0, 10.0) == 1.0
    # a negative variance (prefix 2, share 1, total 1: 2 - 4 + 1) is read as 0
    assert insights.share_interval(1.0, 2, 1, 10.0, 1.0) == 0.0


def test_noise_deviation_of_the_combined_sum() -> None:
    two_groups = facts(participants=9, groups=2, share_scale=2.0)
    assert two_groups.sum_std == 6.0
    three_groups = facts(participants=9, groups=3, share_scale=2.0)
    assert three_groups.sum_std == pytest.approx(6.0 * math.sqrt(math.pi / 2), rel=1e-12)
    assert three_groups.count_std == three_groups.sum_std / PARTICIPATION_WEIGHT


def test_a_distribution_is_published_from_three_noise_deviations_of_mass() -> None:
    round_facts = facts(participants=4, groups=1, share_scale=1.0)  # sum_std 2
    # threshold 3 * 2 * sqrt(4 bins) = 12
    assert insights._published_mass(12.0, 4, round_facts)
    assert not insights._published_mass(math.nextafter(12.0, 0), 4, round_facts)


@pytest.mark.parametrize(("noisy", "count"), [(-3.2, 0), (0.4, 0), (2.6, 3), (8.5, 8), (40.0, 9)])
def test_noisy_organisation_counts_are_rounded_and_clipped(noisy: float, count: int) -> None:
    assert insights._organisations(noisy, facts(participants=9)) == count


def test_percentile_labels_take_the_first_bin_reaching_the_share() -> None:
    labels = ["a", "b", "c"]
    assert insights._percentile_label([0.5, 0.9, 1.0], labels, 0.5) == "a"
    assert insights._percentile_label([0.49, 0.9, 1.0], labels, 0.5) == "b"
    assert insights._percentile_label([0.1, 0.2, 0.3], labels, 0.5) == "c"


def test_edge_labels() -> None:
    assert edge_labels([0, 1, 3, 10]) == ("0", "1-2", "3-9", ">=10")
    assert edge_labels([5]) == (">=5",)
    assert edge_labels([0.0, 0.25, 1.0]) == ("[0,0.25)", "[0.25,1)", ">=1")


def test_lift_and_its_interval_by_the_delta_method_on_log_lift() -> None:
    # a=10 (practice and outcome), b=10, c=10, d=30: P(outcome | practice) = 0.5,
    # P(outcome) = 20 / 60, lift 1.5.
    found = insights._lift([10.0, 10.0, 10.0, 30.0], 0.0)
    assert found["lift"] == pytest.approx(1.5, rel=1e-12)
    gradient = (1 / 10 - 1 / 20 - 1 / 20 + 1 / 60, -1 / 20 + 1 / 60, -1 / 20 + 1 / 60, 1 / 60)
    variance = sum(g * g * x for g, x in zip(gradient, (10, 10, 10, 30), strict=True))
    spread = insights.Z95 * math.sqrt(variance)
    assert found["ci95"] == pytest.approx(
        [1.5 * math.exp(-spread), 1.5 * math.exp(spread)], rel=1e-12
    )
    assert found["confidence"] == pytest.approx(
        0.5 * (1 + math.erf(math.log(1.5) / math.sqrt(variance) / math.sqrt(2))), rel=1e-12
    )
    # Noise widens the interval; counts below 0.5 are read as 0.5.
    assert insights._lift([10.0, 10.0, 10.0, 30.0], 3.0)["ci95"][1] > found["ci95"][1]
    assert insights._lift([-4.0, 0.5, 0.5, 0.5], 0.0)["lift"] == pytest.approx(1.0)


def entry() -> dict[str, object]:
    # edges 0, 10, 20: half the functions below 10, 30% in [10, 20), 20% at 20 or more.
    return {
        "edges": [0, 10, 20],
        "shares": [0.5, 0.3, 0.2],
        "share_below": [0.0, 0.5, 0.8],
        "mass": 100.0,
        "noise_std": 1.0,
        "organisations": 7,
        "confidence": 0.9,
    }


def test_standing_interpolates_within_the_bin() -> None:
    document = {"percentiles": {"cognitive": {"python": entry()}}}
    found = insights.standing(document, "cognitive", "python", 15)
    assert found is not None
    # 15 is halfway through [10, 20): 0.5 + 0.5 * 0.3
    assert found["above_share"] == pytest.approx(0.65)
    half = insights.share_interval(0.65, 1.5, 3, 100.0, 1.0)
    assert found["plus_minus"] == pytest.approx(half)
    assert found["interval"] == pytest.approx([0.65 - half, 0.65 + half])
    assert found["confidence"] == pytest.approx(1 - 2 * half)
    assert found["organisations"] == 7
    assert found["text"] == insights.standing_text(
        "cognitive", 15, "python", found["above_share"], half, 7
    )
    # The last bin is open: no interpolation inside it.
    last = insights.standing(document, "cognitive", "python", 45)
    assert last is not None and last["above_share"] == pytest.approx(0.8)
    # Exactly at an edge: the bin's own share below.
    at_edge = insights.standing(document, "cognitive", "python", 10)
    assert at_edge is not None and at_edge["above_share"] == pytest.approx(0.5)
    assert insights.standing(document, "cognitive", "go", 15) is None
    assert insights.standing(document, "nloc", "python", 15) is None
    assert insights.standing({}, "cognitive", "python", 15) is None


def test_standing_in_a_format_1_document_is_the_share_below_the_bin() -> None:
    below = [i / 10 for i in range(10)]
    document = {
        "percentiles": {
            "ccn": {"python": {"share_below": below, "organisations": 5, "confidence": 0.8}}
        }
    }
    found = insights.standing(document, "ccn", "python", 9)  # log2 bin [8, 16): index 4
    assert found is not None
    assert (found["above_share"], found["plus_minus"], found["interval"]) == (0.4, None, None)
    assert found["confidence"] == 0.8
    assert found["text"] == "ccn 9: above 40% of python functions across 5 organisations"


@pytest.mark.parametrize(
    ("above", "half", "text"),
    [
        (0.97, None, "97%"),
        (0.97, 0.004, "97% (+-1)"),
        (0.5, 0.026, "50% (+-3)"),
        (0.0, 0.0, "0% (+-1)"),
    ],
)
def test_above_text(above: float, half: float | None, text: str) -> None:
    assert insights.above_text(above, half) == text


def test_standing_text() -> None:
    assert (
        insights.standing_text("cognitive", 31.0, "python", 0.97, 0.02, 41)
        == "cognitive 31: above 97% (+-2) of python functions across 41 organisations"
    )


def test_an_aggregate_of_the_wrong_length_is_refused() -> None:
    round_facts = facts()
    expected = insights.round_layout_length(schema_for("code_patterns"), round_facts)
    with pytest.raises(ValueError) as raised:
        insights.compute_insights([0.0] * (expected - 1), round_facts)
    assert str(raised.value) == f"aggregate has {expected - 1} entries, the round layout {expected}"


def small_schema() -> ContributionSchema:
    return ContributionSchema("demo", 1, (Block("flags", ("a", "b", "c", "d", "e"), BinCap(1)),))


def test_consensus_and_divergence_at_their_thresholds() -> None:
    # 8 organisations, threshold 0.75: consensus from 6 of 8, divergent strictly between 2 and 6.
    round_facts = RoundFacts("code_patterns", 2, 8, 1, 0.5, 1.0, 1e-5, 0.75, k=2)
    counts = {"flags": [6.0, 2.0, 3.0, 1.0, 5.9]}
    consensus, divergent = insights._patterns(small_schema(), counts, round_facts)
    half = min(1.0, insights.Z95 * round_facts.count_std / 8)
    assert [(item["label"], item["share_of_organisations"]) for item in consensus] == [("a", 0.75)]
    assert [(item["label"], item["organisations"]) for item in divergent] == [("c", 3), ("e", 6)]
    (first,) = consensus
    assert first["interval"] == pytest.approx([0.75 - half, 0.75 + half])
    assert first["confidence"] == pytest.approx(1 - 2 * half)
    assert (first["block"], first["of"]) == ("flags", 8)


def test_a_suppressed_bin_cannot_be_recovered_from_the_published_ones() -> None:
    round_facts = facts(participants=4, groups=1, share_scale=0.01, k=2)
    for hidden in (1.0, 3.0, 0.2):  # whatever the suppressed bin holds, the release is the same
        found = insights._block_insight(
            ["x", "y", "z"], [6.0, 3.0, hidden], [4.0, 2.0, 1.0], round_facts
        )
        assert [b["share"] for b in found["bins"]] == pytest.approx([6 / 9, 3 / 9, None])
        assert all("mass" not in b for b in found["bins"])


def test_a_block_publishes_bins_held_by_k_organisations() -> None:
    round_facts = facts(participants=4, groups=1, share_scale=0.01, k=2)  # sum_std 0.02
    labels = ["x", "y", "z"]
    found = insights._block_insight(labels, [6.0, 3.0, 1.0], [4.0, 2.0, 1.0], round_facts)
    shares = [bin_["share"] for bin_ in found["bins"]]
    # shares of the published bins: 1 minus them says nothing about the suppressed bin z
    assert shares[:2] == pytest.approx([6 / 9, 3 / 9])
    assert found["shares_of"] == "published_bins"
    assert [bin_["suppressed"] for bin_ in found["bins"]] == [False, False, True]
    assert found["bins"][2]["share"] is None and found["bins"][2]["interval"] is None
    assert [bin_["organisations"] for bin_ in found["bins"]] == [4, 2, None]
    widest = 2 * max(insights.share_interval(s, 1, 2, 9.0, 0.02) for s in (6 / 9, 3 / 9))
    assert found["confidence"] == pytest.approx(1 - widest)
    # Too little mass for its noise: nothing is published and the confidence is 0.
    faint = insights._block_insight(labels, [0.1, 0.0, 0.0], [4.0, 4.0, 4.0], round_facts)
    assert all(bin_["suppressed"] for bin_ in faint["bins"]) and faint["confidence"] == 0.0


def test_a_distribution_by_hand() -> None:
    round_facts = facts(participants=4, groups=1, share_scale=0.01, k=2)
    found = insights._distribution([5.0, 3.0, 2.0], [0, 10, 20], 4, round_facts)
    assert found is not None
    assert found["bins"] == ["0-9", "10-19", ">=20"]
    assert found["shares"] == pytest.approx([0.5, 0.3, 0.2])
    assert found["share_below"] == pytest.approx([0.0, 0.5, 0.8])
    assert found["percentiles"] == {"p50": "0-9", "p75": "10-19", "p90": ">=20", "p95": ">=20"}
    assert (found["mass"], found["organisations"]) == (10.0, 4)
    halves = [
        insights.share_interval(below, i, 3, 10.0, 0.02) for i, below in enumerate([0, 0.5, 0.8])
    ]
    assert found["share_below_plus_minus"] == pytest.approx(halves)
    assert found["confidence"] == pytest.approx(1 - 2 * max(halves))
    # Fewer than k organisations, or too little mass: not released.
    assert insights._distribution([5.0, 3.0, 2.0], [0, 10, 20], 1, round_facts) is None
    assert insights._distribution([0.01, 0.0, 0.0], [0, 10, 20], 4, round_facts) is None


def release(shares: list[float], mass: float, noise_std: float) -> dict[str, object]:
    below = [sum(shares[:i]) for i in range(len(shares))]
    return {
        "edges": [0, 10, 20],
        "bins": ["0-9", "10-19", ">=20"],
        "shares": shares,
        "share_below": below,
        "mass": mass,
        "noise_std": noise_std,
        "organisations": 7,
    }


def test_successive_releases_average_by_precision_with_the_older_halved() -> None:
    # Both releases: noise std / mass = 0.1, so precisions 1 / 0.01 = 100 each; the previous
    # one weighs 0.5 * 100 = 50 against 100: shares (50 a + 100 b) / 150.
    before = release([0.6, 0.3, 0.1], 100.0, 10.0)
    latest = release([0.3, 0.3, 0.4], 200.0, 20.0)
    combined = insights.combine_releases(
        {"percentiles": {"cognitive": {"python": before}}, "releases_combined": 2},
        {"percentiles": {"cognitive": {"python": latest}}, "format": 2},
    )
    entry = combined["percentiles"]["cognitive"]["python"]
    assert entry["shares"] == pytest.approx([0.4, 0.3, 0.3])
    assert entry["share_below"] == pytest.approx([0.0, 0.4, 0.7])
    # variance ratio: sqrt(50^2 0.01 + 100^2 0.01) / 150 = sqrt(125) / 150
    sigma = math.sqrt(125) / 150 * 200.0
    assert entry["noise_std"] == pytest.approx(sigma)
    halves = [insights.share_interval(b, i, 3, 200.0, sigma) for i, b in enumerate([0, 0.4, 0.7])]
    assert entry["share_below_plus_minus"] == pytest.approx(halves)
    assert entry["confidence"] == pytest.approx(1 - 2 * max(halves))
    assert entry["percentiles"] == {"p50": "10-19", "p75": ">=20", "p90": ">=20", "p95": ">=20"}
    assert (entry["mass"], entry["organisations"]) == (200.0, 7)
    assert combined["releases_combined"] == 3 and combined["format"] == 2


def test_a_release_without_a_comparable_predecessor_is_kept_as_it_is() -> None:
    latest = release([0.3, 0.3, 0.4], 200.0, 20.0)
    other_edges = {**release([1.0, 0.0, 0.0], 100.0, 10.0), "edges": [0, 5, 20]}
    for previous in ({}, {"percentiles": {"cognitive": {"python": other_edges}}}):
        combined = insights.combine_releases(
            previous, {"percentiles": {"cognitive": {"python": latest}}}
        )
        assert combined["percentiles"]["cognitive"]["python"] == latest
    assert insights.combine_releases({}, {})["releases_combined"] == 2


def test_a_released_document_states_its_round() -> None:
    # Unit "repository": no per-bin organisation counts, so no consensus and no count noise.
    round_facts = RoundFacts("anti_patterns", 3, 6, 2, 0.25, 1.0, 1e-5, 0.7, k=3, unit="repository")
    schema = schema_for("anti_patterns")
    assert insights.round_layout_length(schema, round_facts) == schema.dim
    document = insights.compute_insights([0.0] * schema.dim, round_facts)
    assert {key: document[key] for key in ("format", "learning_type", "schema_version")} == {
        "format": insights.INSIGHTS_FORMAT,
        "learning_type": "anti_patterns",
        "schema_version": 3,
    }
    assert (document["organisations"], document["groups"], document["k"]) == (6, 2, 3)
    assert (document["privacy"]["epsilon"], document["privacy"]["delta"]) == (1.0, 1e-5)
    assert document["noise_std"] == round_facts.sum_std == 0.25 * math.sqrt(6)
    assert document["count_noise_std"] is None
    assert document["consensus_threshold"] == 0.7
    assert (document["consensus"], document["divergent"]) == ([], [])
    assert document["smell_prevalence"] == document["blocks"]["smells"]


def test_published_bins_carry_their_clipped_interval() -> None:
    round_facts = facts(participants=4, groups=1, share_scale=0.01, k=2)
    found = insights._block_insight(["x", "y"], [0.5, 0.25], None, round_facts)
    # mass 0.75 (below 1): shares 2/3 and 1/3, no organisation counts (not a participation unit)
    shares = [bin_["share"] for bin_ in found["bins"]]
    assert shares == pytest.approx([2 / 3, 1 / 3])
    for bin_, share in zip(found["bins"], (2 / 3, 1 / 3), strict=True):
        half = insights.share_interval(share, 1, 2, 0.75, 0.02)
        assert bin_["interval"] == pytest.approx([share - half, share + half])
        assert bin_["organisations"] is None
    wide = insights._block_insight(["x", "y"], [1.0, 0.0], None, facts(share_scale=0.01))
    assert wide["bins"][0]["interval"][1] == 1.0 and wide["bins"][1]["interval"][0] == 0.0
    # A block with no mass publishes nothing (and divides by nothing).
    empty = insights._block_insight(["x", "y"], [0.0, 0.0], None, round_facts)
    assert all(bin_["suppressed"] for bin_ in empty["bins"])


def test_small_totals_and_masses_are_still_projected_and_measured() -> None:
    assert insights.project_to_simplex([3.0, 1.0], 0.5) == pytest.approx([0.5, 0.0])
    half = insights.share_interval(0.5, 1, 2, 0.5, 0.01)
    assert half == pytest.approx(insights.Z95 * math.sqrt(0.0001 * 0.5) / 0.5)


def test_lift_uses_each_cell_and_the_half_count_floor() -> None:
    # a=2, b=3, c=5, d=10: P(outcome | practice) = 2/5, P(outcome) = 7/20, lift 8/7.
    found = insights._lift([2.0, 3.0, 5.0, 10.0], 0.0)
    assert found["lift"] == pytest.approx(8 / 7)
    gradient = (1 / 2 - 1 / 5 - 1 / 7 + 1 / 20, -1 / 5 + 1 / 20, -1 / 7 + 1 / 20, 1 / 20)
    variance = sum(g * g * x for g, x in zip(gradient, (2, 3, 5, 10), strict=True))
    spread = insights.Z95 * math.sqrt(variance)
    assert found["ci95"] == pytest.approx([8 / 7 * math.exp(-spread), 8 / 7 * math.exp(spread)])
    # cells of 1 stay 1 (only counts below 0.5 are raised): lift (1/2) / (2/6) = 1.5
    assert insights._lift([1.0, 1.0, 1.0, 3.0], 0.0)["lift"] == pytest.approx(1.5)


def test_exactly_k_organisations_are_enough() -> None:
    round_facts = RoundFacts("code_patterns", 2, 8, 1, 0.5, 1.0, 1e-5, 0.75, k=3)
    counts = {"flags": [3.0, 9.0, 0.0, 0.0, 0.0]}
    consensus, divergent = insights._patterns(small_schema(), counts, round_facts)
    assert [item["organisations"] for item in divergent] == [3]
    # a noisy count above the round's size reads as every organisation
    (everyone,) = consensus
    assert everyone["share_of_organisations"] == 1.0 and everyone["interval"][1] == 1.0
    distribution_facts = facts(participants=4, groups=1, share_scale=0.01, k=4)
    assert insights._distribution([5.0, 3.0, 2.0], [0, 10, 20], 4, distribution_facts) is not None
