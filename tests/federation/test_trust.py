"""The numbers a participant derives for itself: noise shares with colluders allowed for."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.federation.governance import (
    collusion_allowance,
    governance_for,
    minimum_threshold,
    noise_shares,
    reconstruction_threshold,
)
from bmad.federation.trust import LocalLimits, check_round
from bmad.federation.wire import round_l2_sensitivity, round_vector_length
from bmad.privacy.accounting import rho_budget
from bmad.privacy.noise import distributed_rho, plan_distributed_gaussian
from bmad.privacy.schemas import schema_for


@given(st.integers(3, 400), st.integers(3, 60))
def test_honest_noise_shares_stay_positive_and_below_the_threshold(size: int, k: int) -> None:
    threshold = reconstruction_threshold(size, k)
    shares = noise_shares(size, threshold)
    assert 1 <= shares <= threshold - collusion_allowance(size)
    assert minimum_threshold(size) - collusion_allowance(size) >= size / 3


@pytest.mark.parametrize("size", [5, 6, 9, 30])
def test_colluders_revealing_their_noise_leave_the_victim_its_charged_guarantee(
    size: int,
) -> None:
    """Up to a third of the group (Sybils included) reveal their own noise to the aggregator:
    what is left of the sum's noise still gives the rho every member was charged. The noise
    the aggregator used to suggest (sized for min_survivors) would not."""
    governance = governance_for("medium")
    schema = schema_for("code_patterns")
    unit = governance.unit("code_patterns")
    sensitivity, dim = round_l2_sensitivity(schema, unit), round_vector_length(schema, unit)
    rho = rho_budget(governance.epsilon_per_round, governance.delta)
    survivors = reconstruction_threshold(size, governance.k_min_participants)
    colluders = collusion_allowance(size)
    honest = survivors - colluders  # the fewest shares whose noise the aggregator cannot remove

    derived = plan_distributed_gaussian(rho, noise_shares(size, survivors), sensitivity, dim)
    assert distributed_rho(derived.scale, honest, sensitivity, dim) <= rho * (1 + 1e-9)

    suggested = plan_distributed_gaussian(rho, survivors, sensitivity, dim)
    if colluders:
        assert distributed_rho(suggested.scale, honest, sensitivity, dim) > 1.2 * rho


def test_the_issues_attack_would_cost_about_fifty_times_the_charged_rho() -> None:
    """3 keys (victim, two colluders), noise said to come from 50: the victim's share alone
    is left once the colluders reveal theirs. Participants now refuse such a group (the
    malicious-aggregator tests); this is what the refusal prevents."""
    schema = schema_for("technology_trends")
    unit = governance_for("medium").unit("technology_trends")
    sensitivity, dim = round_l2_sensitivity(schema, unit), round_vector_length(schema, unit)
    rho = rho_budget(1.0, 1e-5)
    inflated = plan_distributed_gaussian(rho, 50, sensitivity, dim)
    real = distributed_rho(inflated.scale, 1, sensitivity, dim)
    assert math.isclose(real / rho, 50, rel_tol=0.05)


def test_the_local_cap_bounds_a_round_below_the_rules() -> None:
    rules = governance_for("low")  # 2.0 per round
    parameters = {
        "epsilon": 2.0,
        "delta": rules.delta,
        "k": 3,
        "unit": rules.unit("anti_patterns").name,
        "vector_length": round_vector_length(
            schema_for("anti_patterns"), rules.unit("anti_patterns")
        ),
        "modulus_bits": 32,
    }
    accepted = check_round(rules, LocalLimits(3, 2.0), "anti_patterns", parameters)
    assert accepted.rho == rho_budget(2.0, rules.delta)
    with pytest.raises(Exception, match=r"accepts at most 0.5 per round .*local cap 0.5"):
        check_round(rules, LocalLimits(3, 0.5), "anti_patterns", parameters)
