"""The signed manifest covers the model a risk_model round starts from: a member finds a
round whose starting model the aggregator swapped after the opener signed it."""

from __future__ import annotations

from typing import Any

from bmad.federation.consortium.manifest import signed_manifest, violations
from bmad.federation.trust import certify_machine
from bmad.privacy.risk_schema import FEDERATED_SCHEMA, LEARNING_TYPE, opening_weights
from tests.federation.consortium.conftest import FEDERATION, World

SWAPPED = "manifest: the round starts from a model its opener did not sign"


def risk_round(log_world: World, weights: list[float] | None, started: list[float]) -> Any:
    """A risk_model round opened by the coordinator at ``weights`` (as signed) whose
    parameters say it starts from ``started``."""
    rules = log_world.entries[-1].rules
    machine = log_world.machines["coordinator"]
    signed = signed_manifest(
        machine, machine.public, FEDERATION, LEARNING_TYPE, {"weights": weights}
    )
    certificate = certify_machine(
        log_world.organisations["coordinator"],
        log_world.organisations["coordinator"].public,
        FEDERATION,
        "coordinator",
        machine.public,
        1.0,
    )
    governance = rules.governance
    state = {
        "learning_type": LEARNING_TYPE,
        "parameters": {
            "epsilon": governance.epsilon_per_round,
            "delta": governance.delta,
            "k": governance.k_min_participants,
            "weights": started,
            "manifest": {**signed, "certificate": certificate.to_dict()},
        },
    }
    return [f"{v.source}: {v.message}" for v in violations(rules, state)]


def test_a_starting_model_swapped_after_signing_is_named(log_world: World) -> None:
    model = [0.1 * (index % 5) - 0.2 for index in range(FEDERATED_SCHEMA.dim - 1)]
    assert SWAPPED not in risk_round(log_world, model, model)
    swapped = [-value for value in model]
    assert SWAPPED in risk_round(log_world, model, swapped)


def test_a_first_step_signs_no_model_and_must_start_from_zeros(log_world: World) -> None:
    zeros = opening_weights(None)
    assert SWAPPED not in risk_round(log_world, None, zeros)
    assert SWAPPED in risk_round(log_world, None, [0.5, *zeros[1:]])
    assert SWAPPED in risk_round(log_world, None, [])  # a risk round that names no model
