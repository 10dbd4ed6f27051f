"""Statistical tests of the noise: goodness of fit and an empirical privacy audit.

Each test has a false-failure probability of about 1e-6 (alpha) when the sampler is right.
"""

from __future__ import annotations

import numpy as np
import pytest

from bmad.privacy import accounting, noise
from tests.privacy.stats import (
    best_threshold_event,
    chi_square_rejects,
    discrete_gaussian_pmf,
    discrete_laplace_pmf,
    epsilon_lower_bound,
    parallel_draws,
)

ALPHA = 1e-6
GOF_SAMPLES = 100_000
AUDIT_SAMPLES = 1_000_000
# The discrete Gaussian sampler is ~2x slower than the Laplace one; its audit uses 300k draws
# (150k two-share sums) to keep the statistical tests under a minute.
GAUSSIAN_AUDIT_DRAWS = 300_000

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("sampler", "pmf_at"),
    [
        (noise.discrete_gaussian_noise, discrete_gaussian_pmf),
        (noise.discrete_laplace_noise, discrete_laplace_pmf),
    ],
    ids=["gaussian", "laplace"],
)
def test_sampler_fits_its_scale_and_rejects_a_wrong_one(sampler, pmf_at) -> None:  # type: ignore[no-untyped-def]
    scale = 3.0
    samples = parallel_draws(sampler, scale, GOF_SAMPLES)
    assert not chi_square_rejects(samples, pmf_at(scale), ALPHA)
    assert chi_square_rejects(samples, pmf_at(0.7 * scale), ALPHA)
    assert chi_square_rejects(samples, pmf_at(1.3 * scale), ALPHA)


def test_sum_of_distributed_shares_carries_the_full_gaussian_noise() -> None:
    participants, share_scale = 4, 1.5
    draws = parallel_draws(noise.discrete_gaussian_noise, share_scale, GOF_SAMPLES)
    sums = draws.reshape(-1, participants).sum(axis=1)
    full = share_scale * participants**0.5
    assert not chi_square_rejects(sums, discrete_gaussian_pmf(full), ALPHA)
    assert chi_square_rejects(sums, discrete_gaussian_pmf(0.7 * full), ALPHA)
    assert chi_square_rejects(sums, discrete_gaussian_pmf(1.3 * full), ALPHA)


def _audit(outputs_in: np.ndarray, outputs_out: np.ndarray, delta: float) -> float:
    """Lower bound on epsilon (both directions); event chosen on one half, used on the other."""
    bounds = []
    for first, second in ((outputs_in, outputs_out), (outputs_out, outputs_in)):
        cut_first, cut_second = len(first) // 2, len(second) // 2
        event = best_threshold_event(first[:cut_first], second[:cut_second])
        evaluation_first, evaluation_second = first[cut_first:], second[cut_second:]
        bounds.append(
            epsilon_lower_bound(
                event.count(evaluation_first),
                len(evaluation_first),
                event.count(evaluation_second),
                len(evaluation_second),
                delta,
                ALPHA,
            )
        )
    return max(bounds)


def test_laplace_one_bin_plus_one_stays_within_its_epsilon() -> None:
    epsilon = 1.0
    plan = noise.plan_laplace(epsilon, l1_sensitivity=1)
    draws = parallel_draws(noise.discrete_laplace_noise, plan.scale, AUDIT_SAMPLES)
    half = AUDIT_SAMPLES // 2
    base, plus_one = draws[:half], draws[half:] + 1
    lower = _audit(plus_one, base, delta=0.0)
    assert lower <= epsilon
    assert lower > 0.5 * epsilon  # the audit is sharp enough to notice half the noise


def test_audit_catches_a_mechanism_with_too_little_noise() -> None:
    claimed = 0.5
    draws = parallel_draws(noise.discrete_laplace_noise, 1.0, 100_000)  # scale for eps = 1
    half = len(draws) // 2
    assert _audit(draws[half:] + 1, draws[:half], delta=0.0) > claimed


def test_distributed_gaussian_one_participant_removed_stays_within_its_epsilon() -> None:
    # Two survivors each holding a fixed-mass-1 histogram over two bins; removing one
    # participant whose vector is (1, 0) shifts the sum's first coordinate by one.
    delta = 1e-6
    plan = noise.plan_distributed_gaussian(rho=0.5, min_survivors=2, l2_sensitivity=2**0.5, dim=2)
    claimed = accounting.zcdp_to_epsilon(plan.rho, delta)
    draws = parallel_draws(noise.discrete_gaussian_noise, plan.scale, GAUSSIAN_AUDIT_DRAWS)
    sums = draws[0::2] + draws[1::2]
    half = len(sums) // 2
    with_participant, without = sums[:half] + 1, sums[half:]
    lower = _audit(with_participant, without, delta)
    assert 0 < lower <= claimed
