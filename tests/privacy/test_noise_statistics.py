"""Statistical tests of the noise: goodness of fit and an empirical privacy audit.

Each test has a false-failure probability of about 1e-6 (alpha) when the sampler is right.
OpenDP's exact samplers cost 10-25 us of CPU per draw, so each audit's draws are made once per
module and the smaller tests at the same scale take a slice of them (each test on its own still
fails wrongly with probability at most alpha).
"""

from __future__ import annotations

import numpy as np
import pytest

from bmad.privacy import accounting, noise
from tests.privacy.stats import (
    audit_epsilon,
    chi_square_rejects,
    discrete_gaussian_pmf,
    discrete_laplace_pmf,
    parallel_draws,
)

ALPHA = 1e-6
GOF_SAMPLES = 100_000
# Mechanism outputs per audit, half on each neighbouring input; within each half the
# distinguishing event is chosen on one half and evaluated on the other.
AUDIT_SAMPLES = 1_000_000

pytestmark = pytest.mark.slow

Draws = tuple[noise.NoisePlan, np.ndarray]


def laplace_audit_plan() -> noise.NoisePlan:
    """A central discrete Laplace release with epsilon = 1."""
    return noise.plan_laplace(epsilon=1.0, l1_sensitivity=1)


def distributed_audit_plan() -> noise.NoisePlan:
    """Shares of a distributed discrete Gaussian with two survivors.

    Each participant holds a fixed-mass-1 histogram over two bins (L2 sensitivity sqrt 2 under
    replacement). rho = 2/9 sizes each share at scale 1.5: there OpenDP's sampler costs about
    three quarters of what it does at scale 1 (rho = 0.5), and the audit's lower bound is the same
    fraction (~0.32) of the claimed epsilon.
    """
    return noise.plan_distributed_gaussian(rho=2 / 9, min_survivors=2, l2_sensitivity=2**0.5, dim=2)


@pytest.fixture(scope="module")
def laplace_audit() -> Draws:
    """AUDIT_SAMPLES draws of the Laplace release."""
    plan = laplace_audit_plan()
    return plan, parallel_draws(noise.discrete_laplace_noise, plan.scale, AUDIT_SAMPLES)


@pytest.fixture(scope="module")
def distributed_audit() -> Draws:
    """The shares of AUDIT_SAMPLES sums of the distributed Gaussian."""
    plan = distributed_audit_plan()
    shares = AUDIT_SAMPLES * plan.participants
    return plan, parallel_draws(noise.discrete_gaussian_noise, plan.scale, shares)


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


def test_sum_of_distributed_shares_carries_the_full_gaussian_noise(
    distributed_audit: Draws,
) -> None:
    plan, shares = distributed_audit
    participants = 4
    sums = shares[:GOF_SAMPLES].reshape(-1, participants).sum(axis=1)
    full = plan.scale * participants**0.5
    assert not chi_square_rejects(sums, discrete_gaussian_pmf(full), ALPHA)
    assert chi_square_rejects(sums, discrete_gaussian_pmf(0.7 * full), ALPHA)
    assert chi_square_rejects(sums, discrete_gaussian_pmf(1.3 * full), ALPHA)


def test_laplace_one_bin_plus_one_stays_within_its_epsilon(laplace_audit: Draws) -> None:
    plan, draws = laplace_audit
    assert len(draws) >= 1_000_000
    half = len(draws) // 2
    base, plus_one = draws[:half], draws[half:] + 1
    lower = audit_epsilon(plus_one, base, delta=0.0, alpha=ALPHA)
    assert plan.epsilon is not None
    assert lower <= plan.epsilon
    assert lower > 0.9 * plan.epsilon  # the audit is sharp enough to notice 10% too little noise


def test_audit_catches_a_mechanism_with_too_little_noise(laplace_audit: Draws) -> None:
    plan, draws = laplace_audit
    claimed = 0.5  # the draws carry the noise for epsilon = 1
    assert plan.epsilon == 1.0
    sample = draws[:GOF_SAMPLES]
    half = len(sample) // 2
    assert audit_epsilon(sample[half:] + 1, sample[:half], delta=0.0, alpha=ALPHA) > claimed


def test_distributed_gaussian_one_participant_removed_stays_within_its_epsilon(
    distributed_audit: Draws,
) -> None:
    # Removing one participant whose vector is (1, 0) shifts the sum's first coordinate by one.
    delta = 1e-6
    plan, shares = distributed_audit
    claimed = accounting.zcdp_to_epsilon(plan.rho, delta)
    sums = shares.reshape(-1, plan.participants).sum(axis=1)
    assert len(sums) >= 1_000_000
    half = len(sums) // 2
    with_participant, without = sums[:half] + 1, sums[half:]
    lower = audit_epsilon(with_participant, without, delta, ALPHA)
    assert 0 < lower <= claimed
