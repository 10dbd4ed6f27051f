"""`bmad insights export --learning-outcomes --privacy-preserved`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.privacy import audit
from bmad.privacy.db import open_privacy_store
from bmad.privacy.payloads import Payload, digest, serialise
from bmad.privacy.sharing import cache_global_insights
from tests.privacy.canary import build_canary_repo, leaks


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_writes_consented_payloads_charges_budget_and_audits(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    other = build_canary_repo(tmp_path / "not-consented")
    assert invoke("share", "enable", str(repo), "--types", "code_patterns,success_patterns")[0] == 0
    with open_privacy_store() as store:
        cache_global_insights(store, "code_patterns", 1, {"ccn_p97": 14})
    target = tmp_path / "export.json"
    code, out, err = invoke(
        "insights",
        "export",
        "--learning-outcomes",
        "--privacy-preserved",
        "-o",
        str(target),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out) == {"output": str(target), "payloads": 2, "skipped": []}
    text = target.read_text()
    assert leaks(text, repo) == [] and leaks(text, other) == []
    document = json.loads(text)
    assert document["privacy_preserved"] is True
    outcomes = document["learning_outcomes"]
    assert [o["learning_type"] for o in outcomes] == ["code_patterns", "success_patterns"]
    for outcome in outcomes:
        recorded = outcome.pop("digest")
        assert recorded == digest(serialise(Payload.from_dict(outcome)))
    assert document["global_insights"][0]["insights"] == {"ccn_p97": 14}
    with open_privacy_store() as store:
        sent = [e.detail for e in audit.entries(store) if e.kind == "payload_sent"]
        assert audit.verify(store).ok
    assert sorted(e["digest"] for e in sent) == sorted(
        digest(serialise(Payload.from_dict(o))) for o in outcomes
    )
    code, out, _ = invoke("privacy", "budget", str(repo), "--json")
    assert json.loads(out)["usage"][0]["spent_rho"] > 0


def test_export_without_learning_outcomes_spends_nothing(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo))
    code, out, err = invoke("insights", "export", "--privacy-preserved")
    assert code == 0, err
    assert json.loads(out)["learning_outcomes"] == []
    code, out, _ = invoke("privacy", "budget", str(repo), "--json")
    assert json.loads(out)["usage"][0]["spent_rho"] == 0


def test_export_to_a_file_says_what_was_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo), "--types", "code_patterns")
    monkeypatch.setenv("BMAD_PRIVACY__BUDGET", '"epsilon=0.01,delta=1e-5"')
    target = tmp_path / "export.json"

    code, out, err = invoke(
        "insights", "export", "--learning-outcomes", "--privacy-preserved", "-o", str(target)
    )

    assert (code, out) == (0, "")
    assert err == (
        f"wrote 0 privacy-preserved payloads to {target}\n"
        "not exported: code_patterns (budget exhausted)\n"
    )


def test_export_requires_privacy_preserved() -> None:
    code, _, err = invoke("insights", "export", "--learning-outcomes")
    assert code == 2 and "--privacy-preserved" in err


def test_an_unwritable_target_releases_the_budget(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo), "--types", "code_patterns")
    target = tmp_path / "missing-folder" / "export.json"
    code, _, err = invoke(
        "insights", "export", "--learning-outcomes", "--privacy-preserved", "-o", str(target)
    )
    assert code == 2 and "cannot write" in err
    code, out, _ = invoke("privacy", "budget", str(repo), "--json")
    usage = json.loads(out)["usage"][0]
    assert usage["spent_rho"] == 0 and usage["reserved_rho"] == 0
