"""A round's manifest on its own: what a member finds wrong with a round the aggregator
describes, against the rules in force and its local policy."""

from __future__ import annotations

from typing import Any

from bmad.federation.consortium.manifest import signed_manifest, violations
from bmad.federation.consortium.policy import LocalPolicy
from bmad.federation.consortium.rules import ConsortiumRules
from bmad.federation.trust import certify_machine
from tests.federation.consortium.conftest import FEDERATION, World, new_key


def opened(log_world: World, by: str, **options: Any) -> dict[str, Any]:
    """The round as an honest aggregator describes it, opened by ``by``'s machine."""
    rules = log_world.entries[-1].rules
    machine = log_world.machines[by]
    signed = signed_manifest(machine, machine.public, FEDERATION, "code_patterns", options)
    certificate = certify_machine(
        log_world.organisations[by],
        log_world.organisations[by].public,
        FEDERATION,
        by,
        machine.public,
        1.0,
    )
    governance = rules.governance
    return {
        "learning_type": "code_patterns",
        "parameters": {
            "epsilon": options.get("epsilon") or governance.epsilon_per_round,
            "delta": options.get("delta") or governance.delta,
            "k": options.get("min_participants") or governance.k_min_participants,
            "manifest": {**signed, "certificate": certificate.to_dict()},
        },
    }


def messages(rules: ConsortiumRules, state: dict[str, Any], **policy: Any) -> list[str]:
    local = LocalPolicy(**policy) if policy else None
    return [f"{v.source}: {v.message}" for v in violations(rules, state, local)]


def test_an_honest_round_by_the_founder_breaks_nothing(log_world: World) -> None:
    rules = log_world.entries[-1].rules
    assert messages(rules, opened(log_world, "coordinator")) == []
    assert (
        messages(rules, opened(log_world, "coordinator", epsilon=1.0), max_epsilon_per_round=1)
        == []
    )


def test_numbers_the_aggregator_changed_after_signing_are_named(log_world: World) -> None:
    rules = log_world.entries[-1].rules
    state = opened(log_world, "coordinator", epsilon=1.0)
    state["parameters"]["epsilon"] = 2.0  # within the rules, but not what was signed
    assert messages(rules, state) == [
        "manifest: the round's epsilon 2 is not the 1 its opener signed"
    ]
    state = opened(log_world, "coordinator")
    state["parameters"]["manifest"]["manifest"]["learning_type"] = "anti_patterns"
    assert messages(rules, state) == [
        "manifest: the round's manifest is not signed by the key it names"
    ]
    del state["parameters"]["manifest"]
    assert messages(rules, state) == [
        "manifest: the round carries no manifest signed by its opener"
    ]


def test_an_opener_without_a_seat_or_not_allowed_to_open_is_refused(log_world: World) -> None:
    rules = log_world.entries[-1].rules
    assert messages(rules, opened(log_world, "org1")) == [
        "rules: the consortium rules do not let org1 open rounds"
    ]
    log_world.organisations["org1"] = new_key()  # a key that holds no seat
    (problem,) = messages(rules, opened(log_world, "org1"))
    assert "holds no seat in the consortium rules" in problem


def test_local_policy_refusals_name_the_setting(log_world: World) -> None:
    rules = log_world.entries[-1].rules
    state = opened(log_world, "coordinator")
    assert messages(rules, state, max_epsilon_per_round=0.5, min_organisations=4) == [
        "policy: epsilon 2 per round is above this organisation's policy (0.5)",
        "policy: the round needs 3 organisations; this organisation's policy requires 4",
    ]
