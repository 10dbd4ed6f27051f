"""Accountant golden values (OpenDP 0.16's CKS20 conversion) and closed forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.privacy import accounting
from bmad.privacy.accounting import Spend

# (rho, delta) -> epsilon, from opendp.combinators.make_zCDP_to_approxDP in OpenDP 0.16.0
GOLDEN = [
    (1e-4, 1e-5, 0.04504746208777724),
    (0.005, 1e-5, 0.3752612356990232),
    (0.02, 1e-9, 1.1632873262978878),
    (0.02, 0.1, 0.03983720269413703),
    (0.5, 1e-5, 4.728386984943315),
    (1.0, 1e-9, 9.521463671792235),
    (5.0, 0.1, 10.073252367680904),
    (20.0, 1e-5, 48.75452228343617),
]


@pytest.mark.parametrize(("rho", "delta", "expected"), GOLDEN)
def test_conversion_matches_opendp(rho: float, delta: float, expected: float) -> None:
    assert accounting.zcdp_to_epsilon(rho, delta) == pytest.approx(expected, rel=1e-9)


def test_closed_form_golden_value() -> None:
    # 0.5 + 2 sqrt(0.5 ln 1e5)
    assert accounting.epsilon_closed_form(0.5, 1e-5) == pytest.approx(5.298525912188081, rel=1e-12)


@given(
    rho=st.floats(min_value=1e-6, max_value=50),
    delta=st.floats(min_value=1e-12, max_value=0.5),
)
def test_tight_conversion_never_exceeds_the_closed_form(rho: float, delta: float) -> None:
    tight = accounting.zcdp_to_epsilon(rho, delta)
    assert 0 <= tight <= accounting.epsilon_closed_form(rho, delta) + 1e-12


def test_rho_budget_inverts_the_conversion() -> None:
    rho = accounting.rho_budget(1.0, 1e-5)
    assert accounting.zcdp_to_epsilon(rho, 1e-5) == pytest.approx(1.0, rel=1e-9)
    assert accounting.zcdp_to_epsilon(rho, 1e-5) <= 1.0
    assert accounting.zcdp_to_epsilon(rho * 1.001, 1e-5) > 1.0


def test_composition_adds_rho_and_pure_epsilons() -> None:
    pure = accounting.compose([Spend(0.5**2 / 2, 0.5), Spend(0.25**2 / 2, 0.25)], 1e-5)
    assert pure.pure_epsilon == pytest.approx(0.75)
    assert pure.rho == pytest.approx(0.125 + 0.03125)
    assert pure.epsilon == pytest.approx(0.75)  # pure composition is tighter here
    mixed = accounting.compose([Spend(0.125, 0.5), Spend(0.01)], 1e-5)
    assert mixed.pure_epsilon is None
    assert mixed.epsilon == pytest.approx(accounting.zcdp_to_epsilon(0.135, 1e-5))
    assert accounting.pure_to_zcdp(0.5) == 0.125


def test_parse_budget() -> None:
    assert accounting.parse_budget("epsilon=1.0,delta=1e-5") == (1.0, 1e-5)
    assert accounting.parse_budget(" delta = 1e-6 , epsilon = 2 ") == (2.0, 1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "epsilon=1.0",
        "epsilon=1,delta=2",
        "epsilon=-1,delta=1e-5",
        "eps=1,delta=1e-5",
        "epsilon=x,delta=1e-5",
        "epsilon=1,epsilon=2",
        "epsilon=inf,delta=1e-5",
    ],
)
def test_parse_budget_rejects_bad_input(text: str) -> None:
    with pytest.raises(BmadError):
        accounting.parse_budget(text)


def test_bad_parameters_are_refused() -> None:
    for call in (
        lambda: accounting.zcdp_to_epsilon(-1, 1e-5),
        lambda: accounting.zcdp_to_epsilon(1, 0),
        lambda: accounting.zcdp_to_epsilon(math.nan, 1e-5),
        lambda: accounting.rho_budget(0, 1e-5),
    ):
        with pytest.raises(BmadError):
            call()
    assert accounting.zcdp_to_epsilon(0, 1e-5) == 0
