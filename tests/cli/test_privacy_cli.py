"""`bmad privacy budget|audit|keys`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.federation import membership
from bmad.privacy.accounting import Spend, rho_budget
from bmad.privacy.db import open_privacy_store
from bmad.privacy.ledger import Budget, Ledger
from bmad.store.connection import data_store_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _spend(repo: str, learning_type: str, rho: float, commit: bool) -> None:
    with open_privacy_store() as store:
        ledger = Ledger(store, Budget(1.0, 1e-5), Budget(4.0, 1e-5))
        reservation = ledger.reserve(repo, "local", learning_type, Spend(rho))
        if commit:
            ledger.commit(reservation.id)


def test_budget_reports_total_spent_reserved_remaining(tmp_path: Path) -> None:
    repo = str(tmp_path.resolve())
    _spend(repo, "code_patterns", 0.01, commit=True)
    _spend(repo, "anti_patterns", 0.005, commit=False)
    code, out, err = invoke("privacy", "budget", str(tmp_path), "--json")
    assert code == 0, err
    document = json.loads(out)
    repository, organisation = document["usage"]
    assert repository["subject"] == repo
    assert repository["total_rho"] == rho_budget(1.0, 1e-5)
    assert repository["spent_rho"] == 0.01
    assert repository["reserved_rho"] == 0.005
    assert abs(repository["remaining_rho"] - (rho_budget(1.0, 1e-5) - 0.015)) < 1e-12
    assert repository["by_learning_type"]["code_patterns"] == {
        "spent_rho": 0.01,
        "reserved_rho": 0.0,
    }
    assert 0 < repository["used_epsilon"] < 1
    assert organisation["scope"] == "organisation"
    assert organisation["spent_rho"] == 0.01
    code, out, _ = invoke(
        "privacy", "budget", str(tmp_path), "--privacy-budget", "epsilon=2,delta=1e-6", "--json"
    )
    assert json.loads(out)["usage"][0]["budget"] == {"epsilon": 2.0, "delta": 1e-6}
    code, out, _ = invoke("privacy", "budget")
    assert code == 0 and "code_patterns" in out
    code, out, _ = invoke("privacy", "budget", str(tmp_path), "--period", "2001-01", "--json")
    past = json.loads(out)
    assert past["period"] == "2001-01" and past["usage"][0]["spent_rho"] == 0


def test_budget_refuses_a_malformed_budget() -> None:
    code, _, err = invoke("privacy", "budget", "--privacy-budget", "epsilon=lots")
    assert code == 2 and "privacy budget" in err


def test_budget_refuses_a_period_that_is_not_one() -> None:
    for typo in ("bogus", "2026-13", "2026-Q3", "26-10"):
        code, out, err = invoke("privacy", "budget", "--period", typo, "--json")
        assert (code, out) == (2, "")
        assert err == (
            "bmad: error: budget periods are months here: give one as YYYY-MM, e.g. 2026-10, "
            f"got {typo!r}\n"
        )


def test_budget_takes_a_quarter_when_periods_are_quarters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMAD_PRIVACY__PERIOD", '"quarter"')
    code, out, _ = invoke("privacy", "budget", "--period", "2001-Q2", "--json")
    assert code == 0 and json.loads(out)["period"] == "2001-Q2"
    code, _, err = invoke("privacy", "budget", "--period", "2001-04")
    assert code == 2 and "give one as YYYY-Qn" in err


def test_budget_refuses_bad_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BMAD_PRIVACY__PERIOD", '"fortnight"')
    code, _, err = invoke("privacy", "budget")
    assert code == 2 and "privacy.period" in err


def test_audit_verify_passes_then_detects_tampering(tmp_path: Path) -> None:
    _spend(str(tmp_path), "code_patterns", 0.01, commit=True)
    code, out, _ = invoke("privacy", "audit", "--verify", "--json")
    document = json.loads(out)
    assert code == 0
    assert document["verification"] == {"ok": True, "entries": 2, "problems": []}
    assert [e["kind"] for e in document["entries"]] == ["budget_reserved", "budget_committed"]
    code, out, _ = invoke("privacy", "audit", "--verify")
    assert code == 0 and "audit log intact: 2 entries" in out
    connection = sqlite3.connect(data_store_path())
    connection.execute("UPDATE privacy_audit SET detail = '{}' WHERE seq = 1")
    connection.commit()
    connection.close()
    code, out, err = invoke("privacy", "audit", "--verify")
    assert code == 1
    assert "entry 1 was modified" in err
    code, out, _ = invoke("privacy", "audit", "--json")
    assert code == 0 and "verification" not in json.loads(out)


def test_keys_create_show_and_rotate() -> None:
    code, out, _ = invoke("privacy", "keys", "--json")
    first = json.loads(out)
    assert code == 0 and len(first["fingerprint"]) == 32 and first["rotations"] == 0
    code, out, _ = invoke("privacy", "keys", "--json")
    assert json.loads(out)["fingerprint"] == first["fingerprint"]
    code, out, _ = invoke("privacy", "keys", "--rotate", "--json")
    rotated = json.loads(out)
    assert rotated["fingerprint"] != first["fingerprint"] and rotated["rotations"] == 1
    code, out, _ = invoke("privacy", "keys")
    assert rotated["fingerprint"] in out
    assert "signing_key" not in out and "PRIVATE" not in out


def test_keys_are_not_rotated_while_registered_in_a_federation() -> None:
    code, out, _ = invoke("privacy", "keys", "--json")
    before = json.loads(out)["fingerprint"]
    with membership.open_federation_store() as store:
        membership.remember(store, "f00d", "http://127.0.0.1:9", "acme", "admin")

    code, out, err = invoke("privacy", "keys", "--rotate")

    assert (code, out) == (2, "")
    assert err == (
        "bmad: error: not rotated: this machine's key is registered as acme (admin) in "
        "federation f00d at http://127.0.0.1:9, which accepts no rotated key, so the new key "
        "would be locked out of it\n"
    )
    assert json.loads(invoke("privacy", "keys", "--json")[1])["fingerprint"] == before
