"""Which rounds prove their inputs is the consortium's signed rule ``verify_inputs_up_to``.

The aggregator's engine and every member derive it from the rules in force; a member refuses a
group whose proof setting contradicts them, before it sends anything or spends any budget.
Proving code_patterns' 990 coordinates takes seconds per member (bench/README.md "Validity
proofs"), so the rule's derivation is shown here and the proving itself on shorter vectors
(test_validity_http.py, test_validity_proofs.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bmad.errors import BmadError
from bmad.federation import trust
from bmad.federation.app import GovernanceOverrides
from bmad.federation.governance import VERIFY_INPUTS_UP_TO, Governance, governance_for
from bmad.federation.participant import open_participant_store
from bmad.federation.secagg.round_bounds import MODULUS_BITS, round_input_bounds
from bmad.federation.secagg.validity import InputBounds
from bmad.federation.wire import round_vector_length
from bmad.privacy.identity import load_or_create_identity
from bmad.privacy.schemas import schema_for
from tests.federation.harness import LiveFederation, Tamper
from tests.federation.test_malicious_aggregator import assert_refused_and_nothing_spent, run_round

MEMBERS = 4  # k = 3: one group of 4, threshold 4


def round_parameters(rules: Governance, learning_type: str) -> dict[str, Any]:
    """What an honest aggregator announces for a round of ``learning_type`` under ``rules``."""
    unit = rules.unit(learning_type)
    return {
        "epsilon": rules.epsilon_per_round,
        "delta": rules.delta,
        "k": rules.k_min_participants,
        "unit": unit.name,
        "vector_length": round_vector_length(schema_for(learning_type), unit),
        "modulus_bits": MODULUS_BITS,
    }


def member_bounds(rules: Governance, learning_type: str) -> InputBounds | None:
    """The input bounds a member derives for a group of 5 (4 honest shares) under ``rules``."""
    limits = trust.LocalLimits(3, rules.epsilon_per_round)
    terms = trust.check_round(rules, limits, learning_type, round_parameters(rules, learning_type))
    return round_input_bounds(
        terms.learning_type, terms.unit, terms.rho, 4, 5, terms.verify_inputs_up_to
    )


def test_rules_signed_before_the_setting_keep_their_bytes_and_prove_up_to_256() -> None:
    signed_before = governance_for("medium").to_dict()
    assert "verify_inputs_up_to" not in signed_before  # the signed message is unchanged
    rules = Governance.from_dict(signed_before)
    assert rules.verify_inputs_up_to == VERIFY_INPUTS_UP_TO == 256
    assert member_bounds(rules, "workflow_patterns") is not None  # 60 entries
    assert member_bounds(rules, "code_patterns") is None  # 990 entries at the record unit


def test_rules_that_say_all_make_members_prove_code_patterns() -> None:
    rules = governance_for("medium", verify_inputs_up_to="all")
    document = json.loads(json.dumps(rules.to_dict()))
    assert document["verify_inputs_up_to"] == "all"
    assert Governance.from_dict(document) == rules
    bounds = member_bounds(Governance.from_dict(document), "code_patterns")
    assert bounds is not None and bounds.length == 990
    assert governance_for("medium", verify_inputs_up_to="60").verify_inputs_up_to == 60
    assert member_bounds(governance_for("medium", verify_inputs_up_to=0), "anti_patterns") is None


@pytest.mark.parametrize("value", [-1, "some", "1.5", True, None])
def test_a_limit_that_is_neither_a_length_nor_all_is_refused(value: object) -> None:
    with pytest.raises(BmadError, match="verify_inputs_up_to must be a vector length"):
        Governance.from_dict({**governance_for("low").to_dict(), "verify_inputs_up_to": value})


@pytest.mark.parametrize("value", [-1, "some", 1.5, True])
def test_the_create_route_refuses_a_limit_that_is_neither_a_length_nor_all(value: object) -> None:
    with pytest.raises(ValidationError):  # JSON true would otherwise arrive as 1
        GovernanceOverrides.model_validate({"verify_inputs_up_to": value})
    assert (
        GovernanceOverrides.model_validate({"verify_inputs_up_to": 990}).verify_inputs_up_to == 990
    )


def test_the_setting_is_covered_by_the_admins_signature(tmp_path: Path) -> None:
    store = open_participant_store(tmp_path / "bmad.sqlite3")
    try:
        admin = load_or_create_identity(store, tmp_path / "id.json")
        rules = governance_for("low", verify_inputs_up_to="all")
        signature = trust.sign_rules(admin, rules)
        key = admin.public.signing_public
        assert trust.verify_rules(key, rules.to_dict(), signature) == rules
        stripped = {k: v for k, v in rules.to_dict().items() if k != "verify_inputs_up_to"}
        with pytest.raises(BmadError, match="not signed by its admin's key"):
            trust.verify_rules(key, stripped, signature)  # back to 256: refused
    finally:
        store.close()


@pytest.fixture(scope="module")
def proving_all(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveFederation]:
    with LiveFederation.served(
        tmp_path_factory.mktemp("proving-all"),
        MEMBERS,
        governance={"verify_inputs_up_to": "all"},
    ) as world:
        yield world


@pytest.fixture(scope="module")
def proving_default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveFederation]:
    with LiveFederation.served(tmp_path_factory.mktemp("proving-default"), MEMBERS) as world:
        yield world


def claiming(proves: bool, seen: list[bool]) -> Tamper:
    """The aggregator tells each member its group proves (or not), keeping what it derived."""

    def tamper(you: dict[str, Any]) -> None:
        seen.append(bool(you["proves_inputs"]))
        you["proves_inputs"] = proves

    return tamper


def test_a_code_patterns_round_under_all_runs_with_proofs_and_members_refuse_it_without(
    proving_all: LiveFederation,
) -> None:
    derived: list[bool] = []
    round_id = run_round(proving_all, claiming(False, derived), None)
    assert derived and all(derived)  # the aggregator's engine read the signed rule
    assert_refused_and_nothing_spent(
        proving_all,
        round_id,
        "the aggregator runs the group without input proofs; the rules in force "
        "(verify_inputs_up_to all) say with",
    )


def test_a_round_with_proofs_the_rules_do_not_ask_for_is_refused(
    proving_default: LiveFederation,
) -> None:
    derived: list[bool] = []
    round_id = run_round(proving_default, claiming(True, derived), None)
    assert derived and not any(derived)
    assert_refused_and_nothing_spent(
        proving_default,
        round_id,
        "the aggregator runs the group with input proofs; the rules in force "
        "(verify_inputs_up_to 256) say without",
    )
