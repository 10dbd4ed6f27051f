from __future__ import annotations

from bmad.analysis.detect import detect
from bmad.analysis.inputs import AnalysisInput, FileHistoryFeatures, HistoryFacts
from bmad.analysis.settings import AnalysisSettings, ModelSettings
from tests.analysis.factories import huge_nested, ordinary_population


def _history(paths: list[str], hot: str, commits: int) -> HistoryFacts:
    files = {
        path: FileHistoryFeatures(
            revisions=2, churn=20, coupling=2, main_author_share=0.9, knowledge_island=False
        )
        for path in paths
    }
    files[hot] = FileHistoryFeatures(commits, commits * 12, 40, 0.6, knowledge_island=False)
    return HistoryFacts(files=files, commits=commits)


def _input(history: HistoryFacts | None = None, **kwargs: object) -> AnalysisInput:
    functions = (*ordinary_population(), huge_nested())
    complexity: dict[str, int] = {}
    for record in functions:
        complexity[record.path] = complexity.get(record.path, 0) + record.metrics.cognitive
    return AnalysisInput(
        functions=functions,
        file_complexity=complexity,
        history=history,
        **kwargs,  # type: ignore[arg-type]
    )


def test_planted_function_ranks_first_and_is_explained() -> None:
    report = detect(_input(), AnalysisSettings())
    first = report.items[0]
    assert (first.kind, first.name) == ("function", "monster")
    assert first.explanation is not None
    assert "nesting depth 9" in first.explanation
    assert "60 lines of code" in first.explanation
    rules = {finding.rule_id for finding in first.findings}
    assert {"anomalous-function", "deep-nesting", "high-cognitive-complexity"} <= rules
    anomaly = next(f for f in first.findings if f.rule_id == "anomalous-function")
    assert anomaly.anomaly_score is not None and anomaly.anomaly_score > 0.6
    assert anomaly.evidence["percentiles"]["max_nesting"] > 99


def test_file_changed_in_every_commit_ranks_right_after() -> None:
    paths = sorted({record.path for record in ordinary_population()})
    report = detect(_input(_history(paths, "pkg/mod3.py", 40)), AnalysisSettings())
    assert [(item.kind, item.name or item.path) for item in report.items[:2]] == [
        ("function", "monster"),
        ("file", "pkg/mod3.py"),
    ]
    assert report.items[1].findings[0].rule_id == "hotspot"
    assert "revisions" in report.features


def test_identical_input_gives_identical_output() -> None:
    paths = sorted({record.path for record in ordinary_population()})
    first = detect(_input(_history(paths, "pkg/mod3.py", 40)), AnalysisSettings())
    second = detect(_input(_history(paths, "pkg/mod3.py", 40)), AnalysisSettings())
    assert first.to_dict() == second.to_dict()


def test_missing_history_and_architecture_are_said_not_faked() -> None:
    report = detect(_input(), AnalysisSettings())
    assert set(report.rules_without_data) == {
        "hotspot",
        "defect-risk",
        "change-coupled-across-modules",
        "knowledge-island",
        "very-large-commits",
        "fix-on-fix",
        "reverted-changes",
        "fragmented-ownership",
        "minor-contributors",
        "abandoned-dependency",
        "cyclic-dependency",
        "hub-module",
        "layer-violation",
    }
    assert "revisions" not in report.features
    assert all(item.kind == "function" for item in report.items)


def test_inline_suppression_through_the_source_reader() -> None:
    # the monster starts on line 1 in the factory: the marker sits on its first line
    sources = {"pkg/monster.py": b"def monster():  # bmad: ignore[*]\n    pass\n"}
    unsuppressed = detect(_input(), AnalysisSettings())
    monster_findings = len(unsuppressed.items[0].findings)
    report = detect(_input(read_source=sources.get), AnalysisSettings())
    assert all(item.name != "monster" for item in report.items)
    assert report.suppressed == monster_findings


def test_suppressing_one_rule_keeps_the_others() -> None:
    sources = {"pkg/monster.py": b"def monster():  # bmad: ignore[deep-nesting]\n"}
    report = detect(_input(read_source=sources.get), AnalysisSettings())
    rules = {finding.rule_id for finding in report.items[0].findings}
    assert "deep-nesting" not in rules
    assert "high-cognitive-complexity" in rules
    assert report.suppressed == 1


def test_excluded_paths_are_not_analysed() -> None:
    settings = AnalysisSettings(exclude=("pkg/monster.py",))
    report = detect(_input(), settings)
    assert report.functions == 200
    assert all(item.path != "pkg/monster.py" for item in report.items)


def test_too_few_functions_for_a_model_says_so() -> None:
    functions = (*ordinary_population(count=10), huge_nested())
    report = detect(AnalysisInput(functions=functions), AnalysisSettings())
    assert report.flagged == 0
    assert report.rules_without_data["anomalous-function"] == (
        "no anomaly model: 11 functions, fewer than the 30 a model needs"
    )
    assert report.items[0].name == "monster"  # the named smells still fire


def test_small_families_fall_back_to_the_pooled_model() -> None:
    settings = AnalysisSettings(model=ModelSettings(min_family_functions=500))
    report = detect(_input(), settings)
    assert report.models == {"pooled": 201}
    assert report.items[0].name == "monster"
