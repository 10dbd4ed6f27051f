"""The statistics used by the sampler tests, checked against published values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.privacy.stats import (
    ThresholdEvent,
    best_threshold_event,
    chi_square_pooled,
    clopper_pearson,
    discrete_gaussian_pmf,
    discrete_laplace_pmf,
    epsilon_lower_bound,
)


def test_clopper_pearson_matches_the_textbook_interval() -> None:
    # 95% two-sided exact interval for 5 successes in 10 trials: 0.187086 .. 0.812914
    low, high = clopper_pearson(5, 10, 0.025)
    assert low == pytest.approx(0.187086, abs=1e-6)
    assert high == pytest.approx(0.812914, abs=1e-6)
    assert clopper_pearson(0, 10, 0.025)[0] == 0.0
    assert clopper_pearson(10, 10, 0.025)[1] == 1.0


def test_pmfs_sum_to_one() -> None:
    for pmf in (discrete_gaussian_pmf(3.0), discrete_laplace_pmf(3.0)):
        assert math.fsum(pmf(k) for k in range(-400, 401)) == pytest.approx(1.0, abs=1e-12)


def test_chi_square_is_zero_on_exact_counts_and_large_on_wrong_ones() -> None:
    pmf = discrete_laplace_pmf(2.0)
    exact = [k for k in range(-40, 41) for _ in range(round(100_000 * pmf(k)))]
    statistic, dof = chi_square_pooled(exact, pmf)
    assert dof > 10
    assert statistic < dof  # rounding only
    shifted = [value + 1 for value in exact]
    assert chi_square_pooled(shifted, pmf)[0] > 1000


def test_epsilon_lower_bound_is_below_the_true_ratio() -> None:
    # p_in = 0.2, p_out = 0.1 exactly observed on 1e6 trials: the bound sits just under ln 2
    bound = epsilon_lower_bound(200_000, 1_000_000, 100_000, 1_000_000, 0.0, 1e-6)
    assert 0.6 < bound < math.log(2)


def test_event_selection_prefers_the_best_supported_event_over_a_thin_tail() -> None:
    # Exact counts of a discrete Laplace (scale 1) and of it shifted by one: every {y >= t} with
    # t >= 1 has the true ratio e, so only the amount of data behind an event can rank them.
    pmf = discrete_laplace_pmf(1.0)
    exact = np.array([k for k in range(-30, 31) for _ in range(round(100_000 * pmf(k)))])
    event = best_threshold_event(exact + 1, exact, 0.0, 1e-6)
    assert event == ThresholdEvent(1, True)
    bound = epsilon_lower_bound(
        event.count(exact + 1), len(exact), event.count(exact), len(exact), 0.0, 1e-6
    )
    assert 0.9 < bound < 1.0
