"""The daemon keeps each repository's defect risks current: it trains in a spawned child when
HEAD moved, stores the risks keyed by the mined HEAD and the models' digests, skips an
unchanged HEAD, computes them again (without training) when the federation releases a new
model, ranks the stored findings by them, and stores a too-young repository's reason without
a child."""

from __future__ import annotations

from pathlib import Path

import pygit2

from bmad.analysis.risk_ranking import DEFECT_RISK_RULE
from bmad.analysis.risk_store import (
    open_risk_store,
    stored_file_risks,
    stored_local_model,
    stored_report,
)
from bmad.analysis.store import load_items, ranked_with
from bmad.daemon.miner import FindingsStep, MiningStep, default_steps, mine_repository
from bmad.daemon.risk_step import TOO_YOUNG, RiskStep
from bmad.store.registry import add_repository, open_registry
from tests.gitrepo import git, write_files
from tests.risk_history import FRAGILE, build_risky_history, release_global_model


def test_the_daemon_trains_in_a_child_and_stores_risks_keyed_by_the_mined_head(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    build_risky_history(repo, months=30, modules=8)  # three snapshots: a quick training
    step = RiskStep()  # at most hourly
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        first = mine_repository(store, repository, [], followups=[step])
        assert (first.reports[0].units, first.reports[0].items) == (1, 16)
        found = stored_report(store, repo)
        assert found is not None
        run, report = found
        assert run.head == first.head_commit and report.source == "local"
        assert max(report.files.values(), key=lambda f: f.risk).path in FRAGILE
        assert mine_repository(store, repository, [], followups=[step]).reports[0].units == 0

        write_files(repo, {"fragile00.py": "def fragile00(x):\n    return x\n"})
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "fix fragile00 again")
        later = mine_repository(store, repository, [], followups=[step])
        assert later.reports[0].units == 0  # trained less than an hour ago: not yet
        assert later.head_commit is not None and later.head_commit != run.head
        assert step.should_train(run, later.head_commit, run.computed_at + 3600)
        assert not step.should_train(run, run.head, run.computed_at + 10 * 3600)
    risks = stored_file_risks(repo, ["fragile00.py", "calm00.py"])
    assert risks["fragile00.py"].risk > risks["calm00.py"].risk


def test_a_young_repository_gets_its_reason_without_training(tmp_path: Path) -> None:
    repo = tmp_path / "young"
    pygit2.init_repository(str(repo), initial_head="main")
    write_files(repo, {"app.py": "def main():\n    return 1\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial import")
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        mined = mine_repository(store, repository, [], followups=[RiskStep(retrain_seconds=0)])
        assert (mined.reports[0].units, mined.reports[0].items) == (1, 0)
    with open_risk_store() as store:
        found = stored_report(store, repo)
    assert found is not None and found[1].source == "none" and found[1].reason == TOO_YOUNG


def test_a_new_federated_model_makes_the_risks_stale_and_the_next_cycle_recomputes_them(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    build_risky_history(repo, months=30, modules=8)  # no validation window: blends a global
    followups: list[MiningStep] = [FindingsStep(), RiskStep()]
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        first = mine_repository(store, repository, default_steps(), followups=followups)
        assert [report.units for report in first.reports[-2:]] == [1, 1]
        found = stored_report(store, repo)
        assert found is not None
        run, report = found
        assert (run.source, run.global_model) == ("local", "")
        assert run.local_model and ranked_with(store, repo) == run.identity
        model = stored_local_model(store, repo)
        assert model is not None and model.digest == run.local_model and model.document
        items = load_items(store, repo)
        assert any(DEFECT_RISK_RULE in {f.rule_id for f in i.findings} for i in items)
        assert {i.risk_explanation for i in items if i.path in report.files} == {
            report.files[i.path].explanation() for i in items if i.path in report.files
        }

        digest = release_global_model()
        again = mine_repository(store, repository, default_steps(), followups=followups)
        assert [report.units for report in again.reports[-2:]] == [0, 1]  # risks only
        recomputed = stored_report(store, repo)
        assert recomputed is not None
        later_run, blended = recomputed
        assert (later_run.source, later_run.global_model) == ("blend", digest)
        assert later_run.head == run.head and later_run.local_model == run.local_model
        assert stored_local_model(store, repo) == model  # served again, not retrained
        assert blended.files != report.files
        assert ranked_with(store, repo) == later_run.identity != run.identity
        quiet = mine_repository(store, repository, default_steps(), followups=followups)
        assert [report.units for report in quiet.reports[-2:]] == [0, 0]
