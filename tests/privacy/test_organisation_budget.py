"""One organisation budget across its machines: each spends within its certified share."""

from __future__ import annotations

from pathlib import Path

import pytest

from bmad import config
from bmad.errors import BmadError
from bmad.federation import enrolment
from bmad.federation.participant import open_participant_store
from bmad.privacy.accounting import Spend
from bmad.privacy.identity import load_or_create_identity
from bmad.privacy.ledger import BudgetExceeded
from bmad.privacy.sharing import PrivacySettings, record_organisation
from bmad.store.connection import Store

FEDERATION = "7d0c4a52-3f55-4a0e-9c43-0c6e4cbb1f10"


def machine(tmp_path: Path, name: str) -> Store:
    return open_participant_store(tmp_path / name / "bmad.sqlite3")


def settings() -> PrivacySettings:
    """Defaults, with repository budgets large enough that the organisation's binds."""
    section = {**config.DEFAULTS["privacy"], "budget": "epsilon=100.0,delta=1e-5"}
    return PrivacySettings.from_section(section)


def test_two_machines_of_one_organisation_cannot_spend_twice_its_budget(tmp_path: Path) -> None:
    holder = machine(tmp_path, "laptop")  # holds the organisation key
    organisation_key = enrolment.organisation_identity(holder, tmp_path / "org.json")
    stores = [holder, machine(tmp_path, "server")]
    for index, store in enumerate(stores):
        key = load_or_create_identity(store, tmp_path / f"id{index}.json")
        certificate = enrolment.certify(
            holder, organisation_key, FEDERATION, "acme", key.public.signing_public, 0.5
        )
        record_organisation(store, certificate.organisation, certificate.budget_share)
    whole = settings().organisation_budget.rho
    spent = 0.0
    for index, store in enumerate(stores):
        local = settings().for_machine(store)
        assert local.organisation == "acme"  # one ledger name, whatever [privacy] organisation says
        ledger = local.ledger(store)
        with pytest.raises(BudgetExceeded, match="organisation"):
            ledger.reserve(f"repo{index}", local.organisation, "code_patterns", Spend(0.6 * whole))
        ledger.reserve(f"repo{index}", local.organisation, "code_patterns", Spend(0.5 * whole))
        spent += ledger.usage("organisation", "acme").reserved_rho
        with pytest.raises(BudgetExceeded):
            ledger.reserve(f"repo{index}", "acme", "code_patterns", Spend(0.01 * whole))
    assert spent == pytest.approx(whole)


def test_the_organisation_key_never_certifies_more_than_the_whole_budget(tmp_path: Path) -> None:
    holder = machine(tmp_path, "laptop")
    organisation_key = enrolment.organisation_identity(holder, tmp_path / "org.json")
    keys = [bytes([index]) * 32 for index in range(3)]
    enrolment.certify(holder, organisation_key, FEDERATION, "acme", keys[0], 0.5)
    enrolment.certify(holder, organisation_key, FEDERATION, "acme", keys[1], 0.5)
    with pytest.raises(BmadError, match="at most 0 is left"):
        enrolment.certify(holder, organisation_key, FEDERATION, "acme", keys[2], 0.25)
    # re-certifying a machine replaces its share instead of adding to it
    enrolment.certify(holder, organisation_key, FEDERATION, "acme", keys[1], 0.25)
    enrolment.certify(holder, organisation_key, FEDERATION, "acme", keys[2], 0.25)
