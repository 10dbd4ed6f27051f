"""The local risk model: trained on a fixture repository's past snapshots, it ranks the files
that keep needing fixes first and explains why; its form is chosen on earlier windows; too
little history trains nothing."""

from __future__ import annotations

import math
from pathlib import Path

import pygit2
import pytest

from bmad.analysis.detect import ANOMALY_RULE, DetectionReport
from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.risk_features import FILE_FEATURES, Marks
from bmad.analysis.risk_model import (
    DEFAULT_CHOICE,
    LabelledSnapshot,
    ModelChoice,
    TrainingSet,
    contributions,
    explain,
    probabilities,
    select,
    train,
    transformed,
)
from bmad.analysis.risk_training import (
    RepositoryPast,
    default_detection,
    detection_marks,
    fit_local_model,
    labelled,
    load_snapshot,
    past_snapshots,
    rows_of,
)
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


def test_each_past_snapshot_is_labelled_by_the_year_after_it(past: RepositoryPast) -> None:
    at = START + 36 * MONTH
    snapshots = past_snapshots(past, at, 3, options_for(past))
    assert [s.time for s in snapshots] == [
        at - round((365 + index * 182.5) * SECONDS_PER_DAY) for index in range(3)
    ]
    training = [labelled(s, "file", past.fixes) for s in snapshots]
    assert all(len(s.rows[0]) == len(FILE_FEATURES) for s in training)
    # Every fragile module is fixed within any year; no calm one ever is.
    paths = ["calm"] * 12 + ["fragile"] * 12  # rows are sorted by path
    assert [list(s.labels) for s in training] == [[p == "fragile" for p in paths]] * 3


def test_the_model_ranks_fragile_files_first_and_explains_why(past: RepositoryPast) -> None:
    at = START + 42 * MONTH
    detection = default_detection()
    snapshots = past_snapshots(past, at, 7, options_for(past), detection=detection)
    candidates = (DEFAULT_CHOICE, ModelChoice("logistic", "log", 1.0, detection=False))
    training = [labelled(s, "file", past.fixes) for s in snapshots]
    local = fit_local_model(training, "file", choices=candidates)
    assert local.selection.windows == 2 and local.model is not None
    assert local.model.snapshots == 4 and local.model.positives == 48
    snapshot = load_snapshot(past, at, options_for(past), detection=detection)
    assert snapshot is not None and snapshot.marks is not None
    rows = rows_of(snapshot, "file")
    assert all((row.path, None) in snapshot.marks for row in rows)
    values = [row.values for row in rows]
    risk = dict(zip((row.path for row in rows), probabilities(local.model, values), strict=True))
    assert min(v for p, v in risk.items() if p.startswith("fragile")) > 0.5
    assert max(v for p, v in risk.items() if p.startswith("calm")) < 0.5
    fragile = next(i for i, row in enumerate(rows) if row.path == "fragile00.py")
    assert contributions(local.model, values, fragile)[0].log_odds > 0
    assert explain(local.model, values, fragile).startswith(
        f"risk of a fix within a year: {risk['fragile00.py']:.0%}, top "
    )


def snapshot_of(time: int, rows: list[list[float]], found: list[bool]) -> LabelledSnapshot:
    return LabelledSnapshot(time, rows, found)


def test_explanations_split_the_log_odds_exactly() -> None:
    rows = [[float(i % 10), float(i % 3)] for i in range(60)]
    found = [row[0] >= 5 for row in rows]
    choice = ModelChoice("logistic", "log", 1.0, detection=False)
    training = TrainingSet(("revisions", "authors"), [snapshot_of(0, rows, found)] * 2)
    model = train(training, choice)
    assert model is not None
    serving = [[9.0, 1.0], [0.0, 2.0], [4.0, 0.0]]
    parts = contributions(model, serving, 0)
    assert parts[0].feature == "revisions" and parts[0].log_odds > 0
    log_odds = model.intercept + sum(part.log_odds for part in parts)
    assert math.isclose(probabilities(model, serving)[0], 1 / (1 + math.exp(-log_odds)))
    assert "9 revisions" in explain(model, serving, 0)
    assert "top 34% in this repository" in explain(model, serving, 0)


def test_a_snapshot_rank_reads_each_value_against_its_snapshot() -> None:
    rows = [[3.0, 7.0], [1.0, 7.0], [1.0, 7.0], [5.0, 7.0]]
    # Mid-ranks 3, 1.5, 1.5, 4 of 4 rows, less half a row; all alike share the middle.
    assert transformed("snapshot_rank", rows).tolist() == [
        [0.625, 0.5],
        [0.25, 0.5],
        [0.25, 0.5],
        [0.875, 0.5],
    ]
    z = transformed("snapshot_z", [[0.0], [math.e - 1]])
    assert z.tolist() == [[-1.0], [1.0]]


def test_a_model_on_snapshot_ranks_serves_a_repository_that_grew() -> None:
    young = [[float(i), float(i % 4)] for i in range(40)]
    found = [i >= 28 for i in range(40)]
    choice = ModelChoice("logistic", "snapshot_rank", 0.1, detection=False)
    model = train(TrainingSet(("revisions", "authors"), [snapshot_of(0, young, found)] * 2), choice)
    assert model is not None
    grown = [[value * 10 + 100, other] for value, other in young]
    assert probabilities(model, grown) == probabilities(model, young)


def test_selection_picks_the_candidate_that_validates_best_on_earlier_windows() -> None:
    # The fix lands where the ranking's priority is high; revisions carry no signal.
    features = ("revisions", "priority")
    year = 365 * SECONDS_PER_DAY
    half = year // 2

    def made(time: int) -> LabelledSnapshot:
        rows = [[float(i % 5), float(i)] for i in range(40)]
        return snapshot_of(time, rows, [i >= 30 for i in range(40)])

    snapshots = [made(10 * year - k * half) for k in range(7)]
    without = ModelChoice("logistic", "log", 1.0, detection=False)
    with_marks = ModelChoice("logistic", "log", 1.0, detection=True)
    chosen = select(features, snapshots, year, window=4, folds=2, choices=(without, with_marks))
    assert chosen.choice == with_marks and chosen.windows == 2
    assert chosen.validation_auc[with_marks] == 1.0 and chosen.validation_auc[without] < 0.7
    too_young = select(features, snapshots[:2], year, window=4, folds=2)
    assert too_young == type(too_young)(DEFAULT_CHOICE, {}, 0)


def test_gradient_boosting_ranks_and_names_its_driver() -> None:
    rows = [[float(i % 10), float(i % 3)] for i in range(80)]
    found = [row[0] >= 6 for row in rows]
    choice = ModelChoice("boosting", "log", 1.0, detection=False)
    model = train(TrainingSet(("revisions", "authors"), [snapshot_of(0, rows, found)] * 2), choice)
    assert model is not None and model.boosted is not None
    risk = probabilities(model, rows)
    assert min(r for r, y in zip(risk, found, strict=True) if y) > max(
        r for r, y in zip(risk, found, strict=True) if not y
    )
    assert contributions(model, rows, 9)[0].feature == "revisions"


def test_detection_marks_sum_smell_weights_and_count_anomalies() -> None:
    def finding(rule: str, severity: str, function: str | None) -> Finding:
        return Finding(rule, severity, "a.py", 1, 9, "m", function=function)

    function_item = RankedItem(
        1, "function", "a.py", 1, 9, "f", 7.0, 0.7, None,
        (finding(ANOMALY_RULE, "warning", "f"), finding("complex-method", "note", "f")),
    )  # fmt: skip
    file_item = RankedItem(2, "file", "a.py", 1, 1, None, 4.0, None, None, (
        finding("hotspot", "warning", None),
    ))  # fmt: skip
    report = DetectionReport(
        items=(function_item, file_item),
        functions=2,
        files=1,
        flagged=1,
        suppressed=0,
        models={},
        features=(),
        rules_without_data={},
        notes=(),
        function_priority={("a.py", 1, "f"): 7.0, ("a.py", 12, "g"): 0.5},
        file_priority={"a.py": 4.0},
    )
    assert detection_marks(report) == {
        ("a.py", None): Marks(4.0, 3.0, 1),
        ("a.py", "f"): Marks(7.0, 1.0, 1),
        ("a.py", "g"): Marks(0.5, 0.0, 0),
    }


def test_too_little_history_trains_no_model() -> None:
    rows = [[float(i)] for i in range(100)]
    one_snapshot = TrainingSet(("revisions",), [snapshot_of(0, rows, [i > 50 for i in range(100)])])
    few = TrainingSet(("revisions",), [snapshot_of(0, rows, [i > 95 for i in range(100)])] * 3)
    assert train(one_snapshot) is None and train(few) is None


def test_a_low_value_that_raises_the_risk_reads_as_low() -> None:
    rows = [[float(i % 10), float(i % 4)] for i in range(80)]
    found = [row[0] <= 3 for row in rows]  # fewer revisions, more fixes
    choice = ModelChoice("logistic", "log", 1.0, detection=False)
    model = train(
        TrainingSet(("revisions", "ownership"), [snapshot_of(0, rows, found)] * 2), choice
    )
    assert model is not None
    assert "driven by few revisions (0)" in explain(model, rows, 0, top=1)
