"""The local risk model: trained on a fixture repository's past snapshots, it ranks the files
that keep needing fixes first and explains why; too little history trains nothing."""

from __future__ import annotations

import math
from pathlib import Path

import pygit2
import pytest

from bmad.analysis.risk_features import FILE_FEATURES
from bmad.analysis.risk_model import (
    TrainingSet,
    contributions,
    explain,
    probabilities,
    probability,
    train,
)
from bmad.analysis.risk_training import RepositoryPast, load_snapshot, rows_of, training_set
from bmad.extractors.fixes import LabelSettings
from bmad.extractors.history import SECONDS_PER_DAY, SubjectPatterns
from bmad.scanning.history_git import MiningSettings, commits_between, read_commits
from bmad.scanning.pipeline import ScanOptions
from bmad.scanning.risk import fix_labels

START = 1_600_000_000
MONTHS = 48
MONTH = 30 * SECONDS_PER_DAY
SETTINGS = LabelSettings(SubjectPatterns(fix=(r"\bfix\b",), revert=(r"^revert\b",)))


def source(name: str, version: int) -> str:
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(version % 4 + 1))
    return f"def {name}(x):\n{body}    return -1\n"


def build_history(path: Path) -> pygit2.Repository:
    """Twelve fragile modules that a rotating crew fixes every month, twelve calm ones written
    once; with pygit2 so that four years of history take milliseconds."""
    repository = pygit2.init_repository(str(path), initial_head="main")
    fragile = [f"fragile{i:02}.py" for i in range(12)]
    calm = [f"calm{i:02}.py" for i in range(12)]
    contents = {name: source(name[:-3], 0) for name in fragile + calm}
    parents: list[pygit2.Oid] = []

    def commit(month: int, author: str, message: str) -> None:
        builder = repository.TreeBuilder()
        for name, text in sorted(contents.items()):
            builder.insert(name, repository.create_blob(text.encode()), pygit2.GIT_FILEMODE_BLOB)
        tree = builder.write()
        who = pygit2.Signature(author, f"{author}@example.com", START + month * MONTH, 0)
        parents[:] = [repository.create_commit("refs/heads/main", who, who, message, tree, parents)]

    commit(0, "alice", "Initial import")
    for month in range(1, MONTHS):
        for offset in range(4):
            name = fragile[(month * 4 + offset) % len(fragile)]
            contents[name] = source(name[:-3], month + offset)
        commit(month, f"dev{month % 7}", f"fix month {month}")
    return repository


@pytest.fixture(scope="module")
def past(tmp_path_factory: pytest.TempPathFactory) -> RepositoryPast:
    path = tmp_path_factory.mktemp("risk") / "repo"
    repository = build_history(path)
    tip = str(repository.head.target)
    commits = list(
        read_commits(
            repository.path,
            commits_between(repository, tip, None),
            MiningSettings(jobs=1),
            frozenset(),
        )
    )
    options = ScanOptions(jobs=1, cache_path=path.parent / "cache.db")
    return RepositoryPast(path, tip, commits, fix_labels(path, commits, SETTINGS, options))


def options_for(past: RepositoryPast) -> ScanOptions:
    return ScanOptions(jobs=1, cache_path=past.path.parent / "cache.db")


def test_the_training_set_labels_each_snapshot_by_the_year_after_it(past: RepositoryPast) -> None:
    at = START + 36 * MONTH
    training = training_set(past, at, "file", options_for(past), snapshots=3)
    assert training.snapshots == 3 and training.features == FILE_FEATURES
    assert len(training.rows) == 3 * 24
    # Every fragile module is fixed within any year; no calm one ever is.
    paths = ["calm"] * 12 + ["fragile"] * 12  # rows are sorted by path
    assert list(training.labels) == [p == "fragile" for p in paths] * 3


def test_the_model_ranks_fragile_files_first_and_explains_why(past: RepositoryPast) -> None:
    at = START + 36 * MONTH
    model = train(training_set(past, at, "file", options_for(past), snapshots=3))
    assert model is not None and model.snapshots == 3 and model.positives == 36
    snapshot = load_snapshot(past, at, options_for(past))
    assert snapshot is not None
    rows = rows_of(snapshot, "file")
    risk = dict(
        zip((row.path for row in rows), probabilities(model, [r.values for r in rows]), strict=True)
    )
    assert min(v for p, v in risk.items() if p.startswith("fragile")) > 0.5
    assert max(v for p, v in risk.items() if p.startswith("calm")) < 0.5
    fragile = next(row for row in rows if row.path == "fragile00.py")
    assert math.isclose(probability(model, fragile.values), risk["fragile00.py"], rel_tol=1e-9)
    top = contributions(model, fragile.values)[0]
    assert top.log_odds > 0
    assert explain(model, fragile.values).startswith(
        f"risk of a fix: {risk['fragile00.py']:.0%}; driven by "
    )


def test_explanations_split_the_log_odds_exactly() -> None:
    rows = [[float(i % 10), float(i % 3)] for i in range(60)]
    found = [row[0] >= 5 for row in rows]
    model = train(TrainingSet(("revisions", "authors"), rows, found, snapshots=2))
    assert model is not None
    parts = contributions(model, [9.0, 1.0])
    assert parts[0].feature == "revisions" and parts[0].log_odds > 0
    log_odds = model.intercept + sum(part.log_odds for part in parts)
    assert math.isclose(probability(model, [9.0, 1.0]), 1 / (1 + math.exp(-log_odds)))
    assert "9 revisions" in explain(model, [9.0, 1.0])


def test_too_little_history_trains_no_model() -> None:
    rows = [[float(i)] for i in range(100)]
    one_snapshot = TrainingSet(("revisions",), rows, [i > 50 for i in range(100)], snapshots=1)
    few_positives = TrainingSet(("revisions",), rows, [i > 90 for i in range(100)], snapshots=3)
    assert train(one_snapshot) is None and train(few_positives) is None


def test_a_low_value_that_raises_the_risk_reads_as_low() -> None:
    rows = [[float(i % 10), float(i % 4)] for i in range(80)]
    found = [row[0] <= 3 for row in rows]  # fewer revisions, more fixes
    model = train(TrainingSet(("revisions", "ownership"), rows, found, snapshots=2))
    assert model is not None
    assert "driven by few revisions (0)" in explain(model, [0.0, 0.5], top=1)
