"""Noise plans equal the documented formulas exactly, at boundary inputs.

bmad/privacy/noise.py documents: the discrete Gaussian is rho-zCDP with rho = D2^2 / (2 s^2),
the discrete Laplace eps-DP with eps = D1 / s, and a sum of n discrete Gaussian shares of scale
s >= 1/2 is (eps^2 / 2)-zCDP with eps = D2 / (sqrt(n) s) + tau sqrt(d),
tau = 10 sum_{k=1}^{n-1} exp(-2 pi^2 s^2 k / (k + 1)) (Kairouz, Liu and Steinke 2021). The
formulas are written out again here, independently of the module, and compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from bmad.errors import BmadError
from bmad.privacy import noise
from bmad.privacy.noise import NoisePlan


def kls21_tau(scale: float, shares: int) -> float:
    return 10 * math.fsum(
        math.exp(-2 * math.pi**2 * scale**2 * k / (k + 1)) for k in range(1, shares)
    )


def kls21_rho(scale: float, shares: int, l2: float, dim: int) -> float:
    eps = l2 / (math.sqrt(shares) * scale) + kls21_tau(scale, shares) * math.sqrt(dim)
    return eps**2 / 2


@pytest.mark.parametrize(
    ("rho", "l2", "scale"), [(0.5, 1.0, 1.0), (2.0, 2.0, 1.0), (0.125, 1.0, 2.0), (8.0, 2.0, 0.5)]
)
def test_gaussian_plan_scale_is_sensitivity_over_root_two_rho(
    rho: float, l2: float, scale: float
) -> None:
    assert noise.gaussian_scale_for_rho(rho, l2) == scale
    assert noise.gaussian_rho(scale, l2) == rho
    assert noise.plan_gaussian(rho, l2) == NoisePlan("gaussian", scale, rho, None, 1)


@pytest.mark.parametrize(
    ("epsilon", "l1", "scale"), [(1.0, 1.0, 1.0), (0.5, 2.0, 4.0), (4, 1, 0.25)]
)
def test_laplace_plan_scale_is_sensitivity_over_epsilon(
    epsilon: float, l1: float, scale: float
) -> None:
    assert noise.laplace_scale_for_epsilon(epsilon, l1) == scale
    assert noise.laplace_epsilon(scale, l1) == epsilon
    assert noise.plan_laplace(epsilon, l1) == NoisePlan("laplace", scale, epsilon**2 / 2, epsilon)


@pytest.mark.parametrize("bad", [0.0, -0.0, -1.0, math.inf, math.nan])
def test_budgets_and_sensitivities_must_be_positive_and_finite(bad: float) -> None:
    cases: list[tuple[str, Callable[[], float]]] = [
        ("rho", lambda: noise.gaussian_scale_for_rho(bad, 1.0)),
        ("L2 sensitivity", lambda: noise.gaussian_scale_for_rho(1.0, bad)),
        ("epsilon", lambda: noise.laplace_scale_for_epsilon(bad, 1.0)),
        ("L1 sensitivity", lambda: noise.laplace_scale_for_epsilon(1.0, bad)),
        ("scale", lambda: noise.gaussian_rho(bad, 1.0)),
        ("scale", lambda: noise.laplace_epsilon(bad, 1.0)),
        ("rho", lambda: noise.distributed_share_scale(bad, 3, 1.0, 1)),
        ("L2 sensitivity", lambda: noise.distributed_share_scale(1.0, 3, bad, 1)),
    ]
    for name, call in cases:
        with pytest.raises(BmadError) as raised:
            call()
        assert str(raised.value) == f"{name} must be a positive finite number, got {bad!r}"


def test_the_smallest_positive_budget_is_accepted() -> None:
    tiny = 5e-324
    assert noise.laplace_scale_for_epsilon(1.0, tiny) == tiny
    assert noise.laplace_epsilon(tiny, tiny) == 1.0


@pytest.mark.parametrize("shares", [1, 2, 3, 7])
@pytest.mark.parametrize("scale", [0.5, 1.0, 1.5])
def test_tau_is_kls21s_sum(scale: float, shares: int) -> None:
    assert noise.distributed_tau(scale, shares) == pytest.approx(
        kls21_tau(scale, shares), rel=1e-12
    )
    if shares == 1:
        assert noise.distributed_tau(scale, shares) == 0


def test_tau_of_two_shares_is_one_term() -> None:
    assert noise.distributed_tau(1.0, 2) == pytest.approx(10 * math.exp(-(math.pi**2)), rel=1e-12)


@pytest.mark.parametrize(
    ("scale", "shares", "l2", "dim"),
    [(0.5, 1, 1.0, 1), (0.5, 2, 1.0, 1), (1.0, 1, 1.0, 1), (2.0, 4, 2.0, 1), (1.0, 5, 3.0, 100)],
)
def test_distributed_rho_is_kls21s_bound(scale: float, shares: int, l2: float, dim: int) -> None:
    expected = kls21_rho(scale, shares, l2, dim)
    assert noise.distributed_rho(scale, shares, l2, dim) == pytest.approx(expected, rel=1e-12)


def test_one_share_is_the_central_gaussian() -> None:
    assert noise.distributed_rho(2.0, 1, 2.0, 50) == noise.gaussian_rho(2.0, 2.0) == 0.5


def test_distributed_rho_refuses_inputs_outside_the_theorem() -> None:
    with pytest.raises(BmadError, match=r"^KLS21's bound needs a share scale of at least 1/2$"):
        noise.distributed_rho(math.nextafter(0.5, 0), 2, 1.0, 1)
    for shares, dim in ((0, 1), (1, 0)):
        with pytest.raises(BmadError, match=r"^participants and dimension must be at least 1$"):
            noise.distributed_rho(1.0, shares, 1.0, dim)


def test_share_scale_is_the_floor_when_the_floor_is_private_enough() -> None:
    # Exactly the floor's cost: the floor is returned as it is.
    floor_cost = kls21_rho(noise.MIN_SHARE_SCALE, 4, 1.0, 8)
    assert noise.distributed_share_scale(floor_cost, 4, 1.0, 8) == noise.MIN_SHARE_SCALE
    assert noise.distributed_share_scale(2 * floor_cost, 4, 1.0, 8) == noise.MIN_SHARE_SCALE
    # A hair below it needs a larger scale.
    assert noise.distributed_share_scale(floor_cost * (1 - 1e-9), 4, 1.0, 8) > 1.0


@pytest.mark.parametrize(
    ("rho", "survivors", "l2", "dim"),
    [(0.01, 5, 1.0, 1), (0.0306, 10, math.sqrt(2), 20), (1e-4, 3, 1.0, 5), (0.001, 1, 2.0, 1)],
)
def test_share_scale_is_the_smallest_that_meets_rho(
    rho: float, survivors: int, l2: float, dim: int
) -> None:
    scale = noise.distributed_share_scale(rho, survivors, l2, dim)
    assert scale > noise.MIN_SHARE_SCALE
    assert kls21_rho(scale, survivors, l2, dim) <= rho
    assert kls21_rho(scale * (1 - 1e-9), survivors, l2, dim) > rho
    plan = noise.plan_distributed_gaussian(rho, survivors, l2, dim)
    assert plan == NoisePlan(
        "gaussian", scale, noise.distributed_rho(scale, survivors, l2, dim), None, survivors
    )
    assert plan.rho == pytest.approx(rho, rel=1e-9)


def test_one_survivor_needs_the_central_scale() -> None:
    # tau is 0 with one share: the share is the whole noise, scale = D2 / sqrt(2 rho) = 10.
    assert noise.distributed_share_scale(0.005, 1, 1.0, 1) == pytest.approx(10.0, rel=1e-9)


def test_the_minimum_number_of_survivors_is_at_least_one() -> None:
    with pytest.raises(BmadError, match=r"^the minimum number of survivors must be at least 1$"):
        noise.distributed_share_scale(1.0, 0, 1.0, 1)


def test_a_plan_as_a_dict() -> None:
    plan = NoisePlan("laplace", 2.0, 0.125, 0.5, participants=3)
    assert plan.to_dict() == {
        "mechanism": "laplace",
        "scale": 2.0,
        "rho": 0.125,
        "epsilon": 0.5,
        "participants": 3,
    }


def test_no_draws_for_an_empty_vector_and_none_for_a_negative_size() -> None:
    assert noise.add_noise([], noise.plan_gaussian(1.0, 1.0)) == []
    assert noise.discrete_laplace_noise(1.0, 0) == []
    with pytest.raises(BmadError, match=r"^the number of noise draws cannot be negative$"):
        noise.discrete_gaussian_noise(1.0, -1)
    with pytest.raises(BmadError, match=r"^scale must be a positive finite number, got 0.0$"):
        noise.discrete_gaussian_noise(0.0, 3)


def sample_variance(draws: list[int]) -> float:
    mean = sum(draws) / len(draws)
    return sum((draw - mean) ** 2 for draw in draws) / (len(draws) - 1)


def test_each_plan_draws_from_its_own_sampler() -> None:
    # Scale 10: the discrete Gaussian's variance is 100, the discrete Laplace's
    # 2 e^-0.1 / (1 - e^-0.1)^2 = 199.7. Over 4,000 draws the variance estimates have relative
    # standard errors of about 2% and 4%, so the cut at 150 sits more than 10 of them from both.
    gaussian = noise.sample_noise(noise.plan_gaussian(0.005, 1.0), 4_000)  # scale 10
    laplace = noise.sample_noise(noise.plan_laplace(0.1, 1.0), 4_000)  # scale 10
    assert all(isinstance(draw, int) for draw in gaussian + laplace)
    assert 70 < sample_variance(gaussian) < 150 < sample_variance(laplace) < 280


def test_noise_is_added_entry_by_entry() -> None:
    vector = list(range(0, 3_000, 3))
    noisy = noise.add_noise(vector, noise.plan_laplace(0.5, 1.0))  # scale 2
    assert len(noisy) == len(vector)
    differences = [after - before for after, before in zip(noisy, vector, strict=True)]
    # Discrete Laplace of scale 2: variance 2 e^-0.5 / (1 - e^-0.5)^2 = 7.83, mean 0.
    assert abs(sum(differences) / len(differences)) < 6 * (7.83 / len(differences)) ** 0.5
    assert 4 < sample_variance(differences) < 12


def test_one_draw_is_one_draw() -> None:
    assert len(noise.discrete_gaussian_noise(1.0, 1)) == 1
    assert len(noise.discrete_laplace_noise(1.0, 1)) == 1
