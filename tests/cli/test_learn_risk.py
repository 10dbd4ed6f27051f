"""``bmad learn anti-patterns`` with the defect-risk model: --risk trains on the repository's
past and stores the risks, the default then ranks by them from the store (no training), and
--json and SARIF carry the one priority and each file's risk."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bmad.analysis.risk_ranking import DEFECT_RISK_RULE, TODAY, WITH_RISK
from bmad.analysis.risk_store import open_risk_store, stored_local_model, stored_run
from bmad.cli.main import cli
from tests.risk_history import FRAGILE, build_risky_history, release_global_model


def anti_patterns(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["learn", "anti-patterns", *args, "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_risk_trains_once_then_every_run_ranks_by_the_stored_risks(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    head = str(build_risky_history(repo).head.target)
    untrained = anti_patterns(str(repo))
    assert untrained["priority"] == TODAY
    assert "--risk" in untrained["rules_without_data"][DEFECT_RISK_RULE]  # type: ignore[index]

    sarif = tmp_path / "out.sarif"
    trained = anti_patterns(str(repo), "--risk", "--sarif", str(sarif))
    assert trained["priority"] == WITH_RISK
    risk = trained["risk"]
    assert risk["source"] == "local"  # type: ignore[index]
    items = trained["items"]
    assert isinstance(items, list)
    top = items[0]
    assert top["path"] in FRAGILE and DEFECT_RISK_RULE in [f["rule_id"] for f in top["findings"]]
    assert top["risk_explanation"].startswith("risk of a fix within a year: ")
    with open_risk_store() as store:
        run = stored_run(store, repo)
    assert run is not None and run.head == head and run.source == "local"

    results = json.loads(sarif.read_text())["runs"][0]["results"]
    properties = [r["properties"] for r in results if r["ruleId"] == DEFECT_RISK_RULE]
    assert properties and all(0 < p["risk"] < 1 and p["priority"] > 4 for p in properties)

    from_store = anti_patterns(str(repo))
    assert from_store["priority"] == WITH_RISK
    assert from_store["items"] == items
    assert anti_patterns(str(repo), "--no-risk")["priority"] == TODAY


def test_success_factors_local_names_what_predicts_fixes_with_intervals(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_risky_history(repo)
    result = CliRunner().invoke(
        cli, ["learn", "success-factors", "--local", str(repo), "--resamples", "20", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    local = document["local"]
    assert local["resamples"] == 20 and local["positives"] >= 20
    by_feature = {factor["feature"]: factor for factor in local["factors"]}
    revisions = by_feature["revisions"]
    assert revisions["effect"] == "more fixes" and revisions["ci95"][0] > 0
    assert document["global"] is None  # no federation here

    neither = CliRunner().invoke(cli, ["learn", "success-factors"])
    assert neither.exit_code == 2 and "--local REPO" in neither.output


def test_a_new_federated_model_makes_the_stored_risks_stale_until_risk_recomputes_them(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    build_risky_history(repo, months=30, modules=8)
    anti_patterns(str(repo), "--risk")
    with open_risk_store() as store:
        model = stored_local_model(store, repo)
    digest = release_global_model()
    stale = anti_patterns(str(repo))["risk"]
    assert "stale: the federation released a new model since" in stale["reason"]  # type: ignore[index]
    fresh = anti_patterns(str(repo), "--risk")["risk"]
    assert fresh["models"]["global"] == digest and "stale" not in fresh["reason"]  # type: ignore[index]
    with open_risk_store() as store:
        run = stored_run(store, repo)
        assert stored_local_model(store, repo) == model  # served again, not trained again
    assert run is not None and run.global_model == digest and run.source == "blend"
    assert "stale" not in anti_patterns(str(repo))["risk"]["reason"]  # type: ignore[index]
