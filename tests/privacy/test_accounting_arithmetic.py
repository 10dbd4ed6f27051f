"""zCDP accounting against its documented formulas, with the optimum found independently.

Canonne, Kamath and Steinke 2020 (Corollary 13): rho-zCDP implies (epsilon, delta)-DP for
epsilon = inf_{a > 1} a rho + (ln(1/delta) + (a - 1) ln(1 - 1/a) - ln a) / (a - 1); the test
minimises that objective with scipy's bounded Brent search instead of bmad's golden section.
"""

from __future__ import annotations

import math

import pytest
from scipy import optimize  # type: ignore[import-untyped]

from bmad.errors import BmadError
from bmad.privacy import accounting
from bmad.privacy.accounting import Guarantee, Spend


def cks_epsilon(rho: float, delta: float) -> float:
    def objective(x: float) -> float:
        alpha = 1 + math.exp(x)
        return float(
            alpha * rho
            + (math.log(1 / delta) + (alpha - 1) * math.log1p(-1 / alpha) - math.log(alpha))
            / (alpha - 1)
        )

    found = optimize.minimize_scalar(
        objective,
        bounds=(math.log(1e-9), math.log(1e5)),
        method="bounded",
        options={"xatol": 1e-12},
    )
    # A negative infimum (tiny rho, large delta) means the guarantee already holds at 0.
    return max(0.0, min(float(found.fun), rho + 2 * math.sqrt(rho * math.log(1 / delta))))


# rho 1e-6 at delta 1e-10 puts the optimum order near alpha = 4,800, beyond a fixed bracket.
@pytest.mark.parametrize("rho", [1e-6, 1e-4, 0.0306, 0.5, 2.0, 50.0])
@pytest.mark.parametrize("delta", [1e-10, 1e-5, 0.1])
def test_conversion_is_the_cks20_infimum(rho: float, delta: float) -> None:
    epsilon = accounting.zcdp_to_epsilon(rho, delta)
    assert epsilon == pytest.approx(cks_epsilon(rho, delta), rel=1e-7)
    assert epsilon <= accounting.epsilon_closed_form(rho, delta)


def test_epsilon_one_at_delta_1e5_is_rho_0_0306() -> None:
    # The field notes' figure: (1, 1e-5)-DP is about 0.0306-zCDP.
    assert accounting.rho_budget(1.0, 1e-5) == pytest.approx(0.0306, abs=5e-5)


def test_closed_form_is_bun_steinke() -> None:
    assert accounting.epsilon_closed_form(1.0, math.exp(-4)) == pytest.approx(5.0, rel=1e-12)
    assert accounting.epsilon_closed_form(0.0, 0.5) == 0.0


def test_zero_rho_costs_nothing() -> None:
    assert accounting.zcdp_to_epsilon(0.0, 1e-5) == 0.0


@pytest.mark.parametrize("delta", [0.0, 1.0, -0.1, 1.5])
def test_delta_must_lie_strictly_between_zero_and_one(delta: float) -> None:
    for call in (accounting.zcdp_to_epsilon, accounting.epsilon_closed_form):
        with pytest.raises(BmadError) as raised:
            call(0.1, delta)
        assert str(raised.value) == f"delta must be in (0, 1), got {delta!r}"


@pytest.mark.parametrize("rho", [-1e-12, math.inf, math.nan])
def test_rho_must_be_non_negative_and_finite(rho: float) -> None:
    with pytest.raises(BmadError) as raised:
        accounting.zcdp_to_epsilon(rho, 1e-5)
    assert str(raised.value) == f"rho must be a non-negative finite number, got {rho!r}"
    with pytest.raises(BmadError):
        accounting.compose([Spend(rho)], 1e-5)


@pytest.mark.parametrize(
    ("epsilon", "delta"), [(0.1, 1e-6), (1.0, 1e-5), (8.0, 1e-5), (30.0, 0.01)]
)
def test_rho_budget_is_the_largest_rho_within_epsilon(epsilon: float, delta: float) -> None:
    rho = accounting.rho_budget(epsilon, delta)
    assert accounting.zcdp_to_epsilon(rho, delta) <= epsilon
    assert accounting.zcdp_to_epsilon(rho * (1 + 1e-9), delta) > epsilon


@pytest.mark.parametrize("epsilon", [0.0, -1.0, math.inf])
def test_rho_budget_needs_a_positive_finite_epsilon(epsilon: float) -> None:
    with pytest.raises(BmadError, match=r"^epsilon must be a positive finite number"):
        accounting.rho_budget(epsilon, 1e-5)


def test_pure_dp_is_half_epsilon_squared_zcdp() -> None:
    assert accounting.pure_to_zcdp(2.0) == 2.0
    assert accounting.pure_to_zcdp(0.0) == 0.0
    for bad in (-0.5, math.inf):
        with pytest.raises(BmadError) as raised:
            accounting.pure_to_zcdp(bad)
        assert str(raised.value) == f"epsilon must be a non-negative finite number, got {bad!r}"


def test_composition_adds_rhos_and_pure_epsilons() -> None:
    delta = 1e-5
    pure = accounting.compose([Spend(0.125, 0.5), Spend(0.5, 1.0)], delta)
    assert pure == Guarantee(
        rho=0.625,
        epsilon=min(accounting.zcdp_to_epsilon(0.625, delta), 1.5),
        delta=delta,
        pure_epsilon=1.5,
    )
    # Pure epsilons 0.1 + 0.1 = 0.2 beat the zCDP conversion of rho 0.01 (about 0.69).
    assert accounting.compose([Spend(0.005, 0.1), Spend(0.005, 0.1)], delta).epsilon == 0.2
    mixed = accounting.compose([Spend(0.125, 0.5), Spend(0.25)], delta)
    assert mixed.pure_epsilon is None
    assert mixed.rho == 0.375
    assert mixed.epsilon == accounting.zcdp_to_epsilon(0.375, delta)
    # Once a spend is not pure, a later pure one does not bring the pure total back.
    assert accounting.compose([Spend(0.25), Spend(0.125, 0.5)], delta).pure_epsilon is None


def test_composing_nothing_costs_nothing() -> None:
    assert accounting.compose([], 1e-5) == Guarantee(0.0, 0.0, 1e-5, 0.0)


def test_budget_text_is_parsed_in_any_order_and_case() -> None:
    assert accounting.parse_budget("epsilon=1.0,delta=1e-5") == (1.0, 1e-5)
    assert accounting.parse_budget(" Delta = 0.001 , EPSILON=2 ") == (2.0, 0.001)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epsilon=1", "privacy budget must give both epsilon and delta, got 'epsilon=1'"),
        ("epsilon=1,epsilon=2", "privacy budget must look like"),
        ("epsilon=1,rho=2", "privacy budget must look like"),
        ("epsilon 1,delta=1e-5", "privacy budget must look like"),
        ("epsilon=one,delta=1e-5", "privacy budget value 'one' is not a number"),
        ("epsilon=1=2,delta=1e-5", "privacy budget value '1=2' is not a number"),
        ("epsilon=0,delta=1e-5", "epsilon must be a positive finite number, got 0.0"),
        ("epsilon=inf,delta=1e-5", "epsilon must be a positive finite number, got inf"),
        ("epsilon=1,delta=1", "delta must be in (0, 1), got 1.0"),
    ],
)
def test_bad_budget_text_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(BmadError) as raised:
        accounting.parse_budget(text)
    assert str(raised.value).startswith(message)
