"""Beta reputation in-process, every figure worked by hand in the test's comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bmad.federation.reputation.model import (
    Event,
    WeightedRating,
    fading,
    history,
    rater_weight,
    reputation,
    rounds_to_reach_levels,
    tenure,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def completed(count: int, at: datetime = NOW) -> list[Event]:
    return [Event("round_completed", at, f"r{index}", "code_patterns") for index in range(count)]


def test_the_prior_is_neutral_and_new() -> None:
    state = reputation([], [], NOW)
    assert (state.alpha, state.beta, state.score) == (1.0, 1.0, 0.5)
    assert state.interval == pytest.approx((0.05, 0.95))  # Beta(1, 1) is uniform
    assert state.level == "new"


def test_reputation_rises_with_completed_rounds_and_falls_with_dropouts() -> None:
    # 4 rounds: Beta(5, 1), mean 5/6, lower bound 0.05^(1/5) = 0.5493 -> established
    four = reputation(completed(4), [], NOW)
    assert four.score == pytest.approx(5 / 6)
    assert four.interval[0] == pytest.approx(0.05 ** (1 / 5))
    assert four.level == "established"
    # 8 rounds: Beta(9, 1), lower bound 0.05^(1/9) = 0.7169 -> trusted
    assert reputation(completed(8), [], NOW).level == "trusted"
    assert rounds_to_reach_levels() == {"established": 4, "trusted": 8}
    # 4 rounds then 4 dropouts: Beta(5, 5), mean 1/2 -> new; a fifth dropout: 5/11 -> untrusted
    dropouts = [Event("dropped_out", NOW, f"d{index}") for index in range(5)]
    assert reputation(completed(4) + dropouts[:4], [], NOW).score == pytest.approx(0.5)
    fallen = reputation(completed(4) + dropouts, [], NOW)
    assert fallen.score == pytest.approx(5 / 11)
    assert fallen.level == "untrusted"


def test_evidence_fades_by_the_forgetting_factor() -> None:
    # 60 days old: 0.9^2 = 0.81 of a round each
    old = reputation(completed(4, NOW - timedelta(days=60)), [], NOW)
    assert old.positive_events == pytest.approx(4 * 0.81)
    assert fading(NOW - timedelta(days=15), NOW) == pytest.approx(0.9**0.5)
    assert fading(NOW + timedelta(days=1), NOW) == 1.0  # never above one


def test_ratings_are_fractional_evidence_weighted_by_the_rater() -> None:
    # target: 6 rounds (r = 6, cap 3); one rating 0.2 at weight 0.5 -> r += 0.1, s += 0.4
    state = reputation(completed(6), [WeightedRating("a", 0.2, NOW, 0.5)], NOW)
    assert (state.positive_ratings, state.negative_ratings) == pytest.approx((0.1, 0.4))
    assert state.score == pytest.approx(7.1 / 8.5)
    assert state.rating_scale == 1.0


def test_a_raters_weight_is_its_event_score_times_its_tenure() -> None:
    # 2 rounds: score 3/4, tenure 2/4 -> 0.375; 6 rounds: 7/8 x 1; none: 0
    assert rater_weight(completed(2), NOW) == pytest.approx(0.375)
    assert rater_weight(completed(6), NOW) == pytest.approx(7 / 8)
    assert rater_weight([], NOW) == 0.0
    assert tenure(completed(9)) == 1.0


def test_many_sybils_rating_once_cannot_outweigh_the_events() -> None:
    # Target: 4 rounds (r = 4, event evidence 4, rating cap 0.5 x 4 = 2).
    # 20 freshly admitted Sybils rate it 0: tenure 0, weight 0 -> no evidence at all.
    sybils = [WeightedRating(f"s{index}", 0.0, NOW, rater_weight([], NOW)) for index in range(20)]
    assert reputation(completed(4), sybils, NOW).score == pytest.approx(5 / 6)
    # 20 Sybils that each saw one round through (weight 2/3 x 1/4 = 1/6) rate it 0:
    # 20/6 = 3.33 negative evidence, capped at 2 -> Beta(5, 3), mean 5/8 (not untrusted)
    seasoned = rater_weight(completed(1), NOW)
    assert seasoned == pytest.approx(1 / 6)
    state = reputation(
        completed(4), [WeightedRating(f"s{i}", 0.0, NOW, seasoned) for i in range(20)], NOW
    )
    assert state.rating_scale == pytest.approx(2 / (20 / 6))
    assert (state.alpha, state.beta) == pytest.approx((5.0, 3.0))
    assert state.score == pytest.approx(5 / 8)
    assert state.level == "new"


def test_ratings_alone_cannot_make_a_reputation() -> None:
    # no events: cap 0 -> a perfect rating from a trusted rater adds nothing
    state = reputation([], [WeightedRating("a", 1.0, NOW, 0.9)], NOW)
    assert (state.alpha, state.beta, state.rating_scale) == (1.0, 1.0, 0.0)


def test_history_gives_the_score_after_each_item_and_now() -> None:
    events = [
        Event("round_completed", NOW - timedelta(days=30), "r1"),
        Event("dropped_out", NOW - timedelta(days=10), "r2"),
    ]
    points = history(events, [], NOW)
    assert [point["after"] for point in points] == [
        "event round_completed",
        "event dropped_out",
        "now (faded)",
    ]
    assert points[0]["score"] == pytest.approx(2 / 3)  # Beta(2, 1)
    # at the dropout the round is 20 days old: 0.9^(2/3) positive, 1 negative
    faded = 0.9 ** (20 / 30)
    assert points[1]["score"] == pytest.approx((1 + faded) / (3 + faded))
    assert history([], [], NOW) == []
