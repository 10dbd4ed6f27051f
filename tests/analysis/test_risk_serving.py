"""Which model serves a repository's risks (local, global for a cold start, blend, none), the
size-aware ranking and the explanation, on the four-year fixture history of the local model's
tests; and ``learn anti-patterns --risk`` on a repository with no past to learn from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.analysis.risk_features import FILE_FEATURES
from bmad.analysis.risk_model import ModelChoice, RiskModel, Selection
from bmad.analysis.risk_serving import file_risks, repository_risks, serving_model
from bmad.analysis.risk_training import LocalModel, RepositoryPast, load_snapshot, rows_of
from bmad.cli.main import cli
from bmad.federation.risk_rounds import released_model
from bmad.privacy.risk_schema import FEDERATED_FEATURES
from bmad.scanning.history_git import MiningSettings, commits_between, read_commits
from bmad.scanning.pipeline import ScanOptions
from bmad.scanning.risk import fix_labels
from tests.analysis.test_risk_model import MONTH, SETTINGS, START, build_history, options_for
from tests.gitrepo import git, write_files

AT = START + 42 * MONTH


@pytest.fixture(scope="module")
def past(tmp_path_factory: pytest.TempPathFactory) -> RepositoryPast:
    """Twelve fragile modules fixed every month and twelve calm ones, over four years."""
    path = tmp_path_factory.mktemp("serving") / "repo"
    repository = build_history(path)
    tip = str(repository.head.target)
    ids = commits_between(repository, tip, None)
    commits = list(read_commits(repository.path, ids, MiningSettings(jobs=1), frozenset()))
    options = ScanOptions(jobs=1, cache_path=path.parent / "cache.db")
    return RepositoryPast(path, tip, commits, fix_labels(path, commits, SETTINGS, options))


EXPLANATION = re.compile(r"^risk of a fix within a year: \d+%, top \d+% in this repository")


def global_model(recent_churn_weight: float = 2.0) -> RiskModel:
    weights = [-1.0] + [0.0] * len(FEDERATED_FEATURES)
    weights[1 + FEDERATED_FEATURES.index("recent_churn")] = recent_churn_weight
    model = released_model(
        {"model": {"features": list(FEDERATED_FEATURES), "weights": weights, "rows": 100.0}}
    )
    assert model is not None
    return model


def test_the_local_model_serves_a_long_past_and_ranks_fragile_files_first(
    past: RepositoryPast,
) -> None:
    report = repository_risks(past, None, AT, options_for(past))
    assert report.source == "local" and report.horizon_days == 365
    ranked = report.to_dict()["files"]
    assert {item["path"][:7] for item in ranked[:12]} == {"fragile"}
    top = ranked[0]
    assert EXPLANATION.match(top["explanation"]) and "driven by" in top["explanation"]
    calm = report.files["calm00.py"]
    assert calm.risk < report.files[top["path"]].risk


def test_a_cold_start_takes_the_federations_model_and_a_blend_needs_both(
    past: RepositoryPast,
) -> None:
    snapshot = load_snapshot(past, AT, options_for(past), with_architecture=False)
    assert snapshot is not None
    rows = rows_of(snapshot, "file")
    federated = global_model()
    too_short = LocalModel(None, Selection(ModelChoice("logistic", "log", 1.0, False), {}, 0))
    cold = file_risks(rows, too_short, federated)
    assert cold.source == "global"
    churn = FILE_FEATURES.index("recent_churn")
    busiest = max(rows, key=lambda row: (row.values[churn], row.path))
    quietest = min(rows, key=lambda row: (row.values[churn], row.path))
    assert cold.files[busiest.path].risk > cold.files[quietest.path].risk
    assert cold.files[busiest.path].drivers == ("10 lines changed in the last 6 months",)
    assert serving_model(None, None)[0] == "none"
    assert file_risks(rows, None, None).files == {}


def test_learn_anti_patterns_says_why_no_risk_is_shown(tmp_path: Path) -> None:
    repo = tmp_path / "young"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_files(repo, {"app.py": "def main():\n    return 1\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial import")
    result = CliRunner().invoke(cli, ["learn", "anti-patterns", str(repo), "--risk", "--json"])
    assert result.exit_code == 0, result.output
    risk = json.loads(result.stdout)["risk"]
    assert risk["source"] == "none" and risk["files"] == []
    assert "too little history" in risk["reason"]


@pytest.mark.parametrize("windows", [0, 2])
def test_a_local_model_without_a_validation_window_is_blended(
    past: RepositoryPast,
    windows: int,
) -> None:
    from bmad.analysis.risk_training import local_model

    trained = local_model(past, AT, "file", options_for(past))
    assert trained.model is not None
    selection = Selection(trained.selection.choice, {}, windows)
    source, _reason, _model = serving_model(LocalModel(trained.model, selection), global_model())
    assert source == ("blend" if windows == 0 else "local")
