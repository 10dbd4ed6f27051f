"""The Beta CDF and quantiles against closed forms and the binomial sum."""

from __future__ import annotations

import math

import pytest

from bmad.errors import BmadError
from bmad.federation.reputation.beta import beta_cdf, beta_quantile


def binomial_tail(x: float, a: int, b: int) -> float:
    """I_x(a, b) for whole a, b: P(at least a successes in a + b - 1 trials of chance x)."""
    n = a + b - 1
    return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))


@pytest.mark.parametrize(("a", "b"), [(1, 1), (2, 3), (5, 1), (1, 7), (9, 4), (30, 12)])
@pytest.mark.parametrize("x", [0.01, 0.2, 0.5, 0.73, 0.99])
def test_the_cdf_of_whole_parameters_is_the_binomial_tail(a: int, b: int, x: float) -> None:
    assert beta_cdf(x, a, b) == pytest.approx(binomial_tail(x, a, b), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("p", [0.0, 0.025, 0.05, 0.5, 0.95, 0.975, 1.0])
@pytest.mark.parametrize("shape", [1.0, 2.5, 7.3])
def test_quantiles_match_the_closed_forms_of_one_sided_betas(p: float, shape: float) -> None:
    assert beta_quantile(p, shape, 1.0) == pytest.approx(p ** (1 / shape), abs=1e-12)
    assert beta_quantile(p, 1.0, shape) == pytest.approx(1 - (1 - p) ** (1 / shape), abs=1e-12)


@pytest.mark.parametrize(("a", "b"), [(1.4, 2.6), (3.25, 0.5), (12.9, 40.1)])
def test_the_quantile_inverts_the_cdf_and_the_cdf_is_symmetric(a: float, b: float) -> None:
    for p in (0.05, 0.5, 0.95):
        assert beta_cdf(beta_quantile(p, a, b), a, b) == pytest.approx(p, abs=1e-12)
    for x in (0.1, 0.6):
        assert beta_cdf(x, a, b) == pytest.approx(1 - beta_cdf(1 - x, b, a), abs=1e-13)


def test_parameters_outside_the_distribution_are_refused() -> None:
    with pytest.raises(BmadError, match="must be positive"):
        beta_cdf(0.5, 0.0, 1.0)
    with pytest.raises(BmadError, match=r"must be in \[0, 1\]"):
        beta_quantile(1.5, 1.0, 1.0)
