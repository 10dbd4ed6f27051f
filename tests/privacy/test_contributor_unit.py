"""The contributor unit: one developer's work bounded together, to exactly its sensitivity."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmad.extractors.metrics import FileMetrics, FunctionMetrics
from bmad.federation.governance import governance_for
from bmad.federation.wire import round_contribution, round_schema
from bmad.privacy.collect import collect_local_statistics
from bmad.privacy.contributors import contributor_key, merge_by_contributor
from bmad.privacy.schemas import CODE_METRICS, HISTOGRAM_MASS, schema_for
from bmad.privacy.summaries import ContributorWork, LocalStatistics, WorkflowSummary
from bmad.privacy.units import (
    CONTRIBUTOR_FUNCTIONS,
    Guarantee,
    Unit,
    contributor_vector,
    unit_contribution,
    unit_for,
    unit_schema,
)
from tests.conftest import git

VALUES = st.integers(0, 500)
LANGUAGES = st.sampled_from(["python", "go"])


def _function(values: tuple[int, ...]) -> FunctionMetrics:
    metrics = dict(zip(CODE_METRICS, values, strict=True))
    return FunctionMetrics(
        "f", "f", 1, 1, metrics["nloc"], 1, metrics["ccn"], metrics["cognitive"],
        metrics["max_nesting"], metrics["params"], 0, 0,
    )  # fmt: skip


FUNCTIONS = st.tuples(*(VALUES for _ in CODE_METRICS)).map(_function)
# up to 2.5x the per-contributor function cap, so the cap's sampling is exercised too
CODE_WORK = st.lists(
    st.tuples(LANGUAGES, FUNCTIONS), min_size=1, max_size=int(2.5 * CONTRIBUTOR_FUNCTIONS)
)
WORKFLOW = st.builds(
    WorkflowSummary,
    commit_sizes=st.lists(st.integers(0, 100_000), max_size=30),
    fix_commits=st.integers(0, 30),
    total_commits=st.integers(1, 60),
    coupling_degrees=st.lists(st.floats(30, 100), max_size=10),
    ownership_shares=st.lists(st.floats(0, 1), max_size=10),
)


def _code_work(key: str, functions: list[tuple[str, FunctionMetrics]]) -> ContributorWork:
    files = [FileMetrics(language, 1, 1, 0, 0, False, (f,)) for language, f in functions]
    return ContributorWork(key, tuple(files))


def _organisation(learning_type: str, works: list[ContributorWork]) -> tuple[int, ...]:
    unit = unit_for(learning_type, "contributor")
    found = unit_contribution(learning_type, unit, [LocalStatistics(contributors=works)])
    assert found is not None
    return round_contribution(found, unit).vector


def _l1(left: tuple[int, ...], right: tuple[int, ...]) -> int:
    return sum(abs(a - b) for a, b in zip(left, right, strict=True))


def _l2_squared(left: tuple[int, ...], right: tuple[int, ...]) -> int:
    return sum((a - b) ** 2 for a, b in zip(left, right, strict=True))


@settings(max_examples=30, deadline=None)
@given(st.lists(CODE_WORK, min_size=1, max_size=3), CODE_WORK, CODE_WORK)
def test_one_contributor_moves_a_code_round_by_at_most_the_stated_sensitivity(
    others: list[list[tuple[str, FunctionMetrics]]],
    before: list[tuple[str, FunctionMetrics]],
    after: list[tuple[str, FunctionMetrics]],
) -> None:
    unit = unit_for("code_patterns", "contributor")
    layout = round_schema(schema_for("code_patterns"), unit)
    assert layout.l2_squared_sensitivity == 2 * len(CODE_METRICS) * CONTRIBUTOR_FUNCTIONS**2
    rest = [_code_work(f"other-{index}", work) for index, work in enumerate(others)]
    # the others' function samples are drawn again in each call: fix them first
    fixed = [_code_work(work.key, _sampled(work)) for work in rest]
    left = _organisation("code_patterns", [*fixed, _code_work("changed", before)])
    right = _organisation("code_patterns", [*fixed, _code_work("changed", after)])
    assert _l1(left, right) <= layout.l1_sensitivity
    assert _l2_squared(left, right) <= layout.l2_squared_sensitivity


def _sampled(work: ContributorWork) -> list[tuple[str, FunctionMetrics]]:
    """The contributor's functions cut to the cap, so that their vector is deterministic."""
    records = [(file.language, f) for file in work.files for f in file.functions]
    return records[:CONTRIBUTOR_FUNCTIONS]


@settings(max_examples=30, deadline=None)
@given(CODE_WORK)
def test_a_contributor_counts_at_most_the_cap_of_functions_per_metric(
    functions: list[tuple[str, FunctionMetrics]],
) -> None:
    vector = contributor_vector("code_patterns", _code_work("k", functions))
    offset = 0
    for block in schema_for("code_patterns").blocks:
        mass = sum(vector[offset : offset + len(block.labels)])
        assert mass == min(len(functions), CONTRIBUTOR_FUNCTIONS)
        offset += len(block.labels)


def test_the_code_contributor_sensitivity_is_reached() -> None:
    unit = unit_for("code_patterns", "contributor")
    layout = round_schema(schema_for("code_patterns"), unit)
    low = _code_work("low", [("python", _function((0,) * 5))] * CONTRIBUTOR_FUNCTIONS)
    high = _code_work("high", [("go", _function((500,) * 5))] * CONTRIBUTOR_FUNCTIONS)
    left, right = _organisation("code_patterns", [low]), _organisation("code_patterns", [high])
    assert _l1(left, right) == layout.l1_sensitivity
    assert _l2_squared(left, right) == layout.l2_squared_sensitivity


@settings(max_examples=40, deadline=None)
@given(st.lists(WORKFLOW, min_size=1, max_size=4), WORKFLOW, WORKFLOW)
def test_one_contributor_moves_a_workflow_round_by_at_most_the_stated_sensitivity(
    others: list[WorkflowSummary], before: WorkflowSummary, after: WorkflowSummary
) -> None:
    unit = unit_for("workflow_patterns", "contributor")
    layout = round_schema(schema_for("workflow_patterns"), unit)
    rest = [ContributorWork(f"other-{i}", (), summary) for i, summary in enumerate(others)]
    left = _organisation("workflow_patterns", [*rest, ContributorWork("x", (), before)])
    right = _organisation("workflow_patterns", [*rest, ContributorWork("x", (), after)])
    assert _l1(left, right) <= layout.l1_sensitivity
    assert _l2_squared(left, right) <= layout.l2_squared_sensitivity


def test_the_workflow_contributor_sensitivity_is_reached() -> None:
    unit = unit_for("workflow_patterns", "contributor")
    layout = round_schema(schema_for("workflow_patterns"), unit)
    small = WorkflowSummary([0], 0, 1, [30.0], [0.0])
    large = WorkflowSummary([5_000], 1, 1, [95.0], [1.0])
    left = _organisation("workflow_patterns", [ContributorWork("a", (), small)])
    right = _organisation("workflow_patterns", [ContributorWork("a", (), large)])
    assert layout.l2_squared_sensitivity == 2 * 4 * HISTOGRAM_MASS**2
    assert _l1(left, right) == layout.l1_sensitivity
    assert _l2_squared(left, right) == layout.l2_squared_sensitivity


def test_one_developer_in_two_repositories_is_one_unit() -> None:
    key = contributor_key("dev@example.invalid")
    first = _code_work(key, [("python", _function((1,) * 5))] * 150)
    second = _code_work(key, [("python", _function((2,) * 5))] * 150)
    assert len(merge_by_contributor([first, second])) == 1
    unit = unit_for("code_patterns", "contributor")
    found = unit_contribution(
        "code_patterns",
        unit,
        [LocalStatistics(contributors=[first]), LocalStatistics(contributors=[second])],
    )
    assert found is not None
    block = found.vector[: len(schema_for("code_patterns").blocks[0].labels)]
    assert sum(block) == CONTRIBUTOR_FUNCTIONS  # 300 functions of one developer, cut to the cap


def test_an_organisation_sends_at_most_the_cap_of_contributors() -> None:
    unit = Unit("workflow_patterns", "contributor", 3)
    works = [
        ContributorWork(f"dev-{index}", (), WorkflowSummary([index], 0, 1, [], []))
        for index in range(10)
    ]
    found = unit_contribution("workflow_patterns", unit, [LocalStatistics(contributors=works)])
    assert found is not None
    commit_sizes = found.vector[: len(schema_for("workflow_patterns").blocks[0].labels)]
    assert sum(commit_sizes) == 3 * HISTOGRAM_MASS


def test_the_contributor_unit_is_chosen_by_governance_and_states_both_guarantees() -> None:
    rules = governance_for("medium", units={"workflow_patterns": "contributor"})
    guarantee = rules.guarantee("workflow_patterns")
    assert isinstance(guarantee, Guarantee)
    document = guarantee.to_dict()
    assert document["unit"] == "contributor"
    assert document["protects"].startswith("one contributor")
    cap = unit_for("workflow_patterns", "contributor").cap
    assert document["per_organisation"]["rho"] == pytest.approx(cap**2 * rules.rho_per_round)
    assert "secure aggregation" in document["per_organisation"]["note"]
    assert rules.unit("code_patterns").name == "record"  # the level's default is kept


def _commit_as(repo: Path, author: str, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, f"--author={author} <{author}@example.invalid>")


def test_a_real_repository_is_split_by_commit_author_and_file_main_developer(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "two-authors"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    alice = "".join(f"def a{i}(x):\n    return x + {i}\n\n" for i in range(3))
    bob = "".join(
        f"def b{i}(x):\n    if x:\n        return {i}\n    return 0\n\n" for i in range(2)
    )
    _commit_as(repo, "alice", {"alice.py": alice}, "add alice's module")
    _commit_as(repo, "bob", {"bob.py": bob}, "add bob's module")
    _commit_as(repo, "bob", {"alice.py": alice + "def tiny():\n    pass\n"}, "fix: a tiny one")
    statistics = collect_local_statistics(repo).statistics
    works = statistics.contributors
    assert sorted(len(work.files) for work in works) == [1, 1]  # each mainly wrote one file
    functions = sorted(
        len(file.functions) for work in statistics.contributors for file in work.files
    )
    assert functions == [2, 4]  # alice's file (with bob's small addition) is alice's
    workflows = sorted(
        (w.workflow.total_commits, w.workflow.fix_commits)
        for w in statistics.contributors
        if w.workflow is not None
    )
    assert workflows == [(1, 0), (2, 1)]
    assert all("@" not in work.key and "alice" not in work.key for work in works)
    unit = unit_for("code_patterns", "contributor")
    found = unit_contribution("code_patterns", unit, [statistics])
    assert found is not None
    assert sum(found.vector[: len(schema_for("code_patterns").blocks[0].labels)]) == 6
    assert unit_schema(schema_for("code_patterns"), unit).dim == found.schema.dim
