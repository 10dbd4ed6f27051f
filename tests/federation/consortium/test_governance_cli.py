"""`bmad governance` and `bmad federation invite` through the CLI against a real aggregator:
JSON on stdout, exit 0 / 1 on a violation / 2 on a usage error."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from tests.federation.harness import Aggregator, running_aggregator

COMPLIANT = (
    '[privacy]\norganisation_budget = "epsilon=4.0,delta=1e-5"\nk_min_participants = 3\n'
    "[federation]\npoll_interval = 0.1\n"
)


@pytest.fixture(scope="module")
def aggregator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path_factory.mktemp("governance-cli")) as running:
        yield running


def bmad(home: Path, *args: str, code: int = 0, **environment: str) -> str:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(COMPLIANT, encoding="utf-8")
    env = {**os.environ, "BMAD_HOME": str(home), **environment}
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, (args, result.output, result.stderr)
    return result.stderr if code == 2 else result.stdout


def as_json(home: Path, *args: str, code: int = 0, **environment: str) -> Any:
    return json.loads(bmad(home, *args, "--json", code=code, **environment))


def found(tmp_path: Path, url: str) -> dict[str, Path]:
    """A coordinator and two organisations, every seat taken (quorum: 2 of 3)."""
    homes = {name: tmp_path / name for name in ("coordinator", "acme", "beta")}
    created = as_json(
        homes["coordinator"],
        "federation",
        "create",
        "--participants",
        "acme,beta",
        "--privacy-level",
        "low",
        "--aggregator",
        url,
    )
    for name in ("acme", "beta"):
        joined = as_json(
            homes[name],
            "federation",
            "join",
            "--consortium-id",
            created["federation"],
            "--organization",
            name,
            "--aggregator",
            url,
            "--token",
            created["tokens"][name],
        )
        bmad(
            homes["coordinator"],
            "federation",
            "admit",
            "--organization",
            name,
            "--fingerprint",
            joined["organisation_key_fingerprint"],
        )
    return homes


def test_review_propose_approve_through_the_cli(tmp_path: Path, aggregator: Aggregator) -> None:
    homes = found(tmp_path, aggregator.url)
    acme, beta, coordinator = homes["acme"], homes["beta"], homes["coordinator"]
    reviewed = as_json(acme, "governance", "review")
    assert reviewed["violations"] == [] and reviewed["version"] == 3
    assert [row["kind"] for row in reviewed["history"]] == ["found", "bind", "bind"]
    assert reviewed["rules"]["quorum_needed"] == 2
    assert reviewed["rules"]["governance"]["verify_inputs_up_to"] == 256  # signed by default
    assert {f["area"] for f in reviewed["findings"]} == {"settings", "ledger"}
    assert "nothing to propose" in bmad(acme, "governance", "propose", code=2)
    proposed = as_json(
        acme,
        "governance",
        "propose",
        "--set",
        "epsilon_per_round=1",
        "--set",
        "verify_inputs_up_to=all",
    )
    assert proposed["state"] == "open" and proposed["approvals"] == ["acme"]
    assert proposed["needed"] == 2 and "entry" not in proposed
    (listed,) = as_json(beta, "governance", "proposals")
    assert listed["id"] == proposed["id"]
    assert "governance.epsilon_per_round 2.0 -> 1.0" in listed["summary"]
    assert 'governance.verify_inputs_up_to - -> "all"' in listed["summary"]
    accepted = as_json(beta, "governance", "approve", proposed["id"])
    assert accepted["state"] == "accepted" and accepted["approvals"] == ["acme", "beta"]
    rules = as_json(coordinator, "governance", "review", "--consortium-rules")
    assert rules["rules"]["governance"]["epsilon_per_round"] == 1.0
    assert rules["rules"]["governance"]["verify_inputs_up_to"] == "all"
    assert rules["history"][-1]["kind"] == "rules"
    assert {s["signer"] for s in rules["signatures"]} == {"acme", "beta"}
    assert "findings" in rules and rules["findings"] == []
    text = bmad(coordinator, "governance", "review")
    assert "v4" in text and "epsilon 1/round" in text
    assert "inputs proved in range: every round" in text
    again = bmad(coordinator, "governance", "approve", proposed["id"], code=2)
    assert "accepted" in again
    # A machine whose settings are weaker than the rules fails the compliance check.
    weak = as_json(
        acme,
        "governance",
        "review",
        "--compliance-check",
        code=1,
        BMAD_PRIVACY__ORGANISATION_BUDGET="epsilon=100.0,delta=1e-5",
    )
    (violation,) = weak["violations"]
    assert violation["subject"] == "[privacy] organisation_budget"
    assert "above the rules' 8" in violation["message"]


def test_invite_proposes_a_new_organisation_and_its_token_comes_with_quorum(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    homes = found(tmp_path, aggregator.url)
    invited = as_json(homes["coordinator"], "federation", "invite", "--organization", "newco")
    assert invited["state"] == "open" and "token" not in invited
    text = bmad(homes["coordinator"], "governance", "token", invited["proposal"], code=2)
    assert "no quorum yet" in text
    as_json(homes["acme"], "governance", "approve", invited["proposal"])
    issued = as_json(homes["coordinator"], "governance", "token", invited["proposal"])
    assert issued["organisation"] == "newco" and issued["role"] == "member"
    observer = as_json(
        homes["coordinator"],
        "federation",
        "invite",
        "--organization",
        "auditors",
        "--role",
        "observer",
    )
    assert observer["token"] and observer["role"] == "observer"
    assert "no federation is configured" in bmad(
        tmp_path / "lonely", "governance", "review", code=2
    )
