from __future__ import annotations

import dataclasses

import pytest

from bmad.analysis.inputs import (
    ArchitectureFacts,
    CouplingLink,
    FileHistoryFeatures,
    FunctionRecord,
    HistoryFacts,
    LayerBreach,
    ModuleFacts,
)
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.rules import (
    architecture_smells,
    function_smells,
    history_smells,
)
from bmad.analysis.settings import RuleSettings
from tests.analysis.factories import metrics

BASE = metrics(nloc=10, ccn=1, cognitive=0, max_nesting=0, params=0)


def rule_ids(record: FunctionRecord) -> set[str]:
    return {finding.rule_id for finding in function_smells(record, RuleSettings())}


@pytest.mark.parametrize(
    ("rule_id", "field", "at", "below"),
    [
        ("complex-method", "ccn", 9, 8),
        ("high-cognitive-complexity", "cognitive", 16, 15),
        ("deep-nesting", "max_nesting", 4, 3),
        ("long-parameter-list", "params", 5, 4),
        ("large-method", "nloc", 70, 69),
        ("complex-conditional", "condition_operators", 3, 2),
    ],
)
def test_function_rule_fires_at_threshold_not_below(
    rule_id: str, field: str, at: int, below: int
) -> None:
    firing = FunctionRecord("a.py", "python", dataclasses.replace(BASE, **{field: at}))
    quiet = FunctionRecord("a.py", "python", dataclasses.replace(BASE, **{field: below}))
    assert rule_id in rule_ids(firing)
    assert rule_id not in rule_ids(quiet)
    # one wording for every rule: the threshold is the smallest value flagged
    (finding,) = [f for f in function_smells(firing, RuleSettings()) if f.rule_id == rule_id]
    assert finding.message.endswith(f"(threshold {at})")
    assert finding.evidence["threshold"] == at


def test_complex_conditional_names_the_condition_line() -> None:
    largest = dataclasses.replace(BASE, condition_operators=4, condition_line=7)
    (finding,) = function_smells(FunctionRecord("a.py", "python", largest), RuleSettings())
    assert finding.rule_id == "complex-conditional"
    assert finding.message == "f has a condition with 4 boolean operators on line 7 (threshold 3)"
    assert finding.evidence == {"operators": 4, "line": 7, "threshold": 3}


def test_finding_carries_location_and_evidence() -> None:
    record = FunctionRecord("src/a.py", "python", metrics(name="big", start_line=5, ccn=12))
    (finding,) = function_smells(record, RuleSettings())
    assert (finding.rule_id, finding.path, finding.start_line, finding.end_line) == (
        "complex-method",
        "src/a.py",
        5,
        14,
    )
    assert finding.evidence == {"ccn": 12, "threshold": 9}
    assert finding.severity == RULES["complex-method"].severity


def test_thresholds_and_severity_are_configurable() -> None:
    settings = RuleSettings(complex_method_ccn=20, severity={"deep-nesting": "error"})
    record = FunctionRecord("a.py", "python", metrics(ccn=12, max_nesting=5))
    found = {f.rule_id: f.severity for f in function_smells(record, settings)}
    assert found == {"deep-nesting": "error"}


def test_disabled_rule_never_fires() -> None:
    settings = RuleSettings(disabled=frozenset({"complex-method"}))
    record = FunctionRecord("a.py", "python", metrics(ccn=30))
    assert function_smells(record, settings) == []


def _history(revisions: dict[str, int], couplings: tuple[CouplingLink, ...] = ()) -> HistoryFacts:
    return HistoryFacts(
        files={
            path: FileHistoryFeatures(count, count * 10, 0, 0.5, knowledge_island=False)
            for path, count in revisions.items()
        },
        couplings=couplings,
    )


def test_hotspot_is_the_top_share_with_enough_revisions() -> None:
    revisions = {f"f{i}.py": i + 1 for i in range(20)}  # f19.py changed 20 times
    complexity = dict.fromkeys(revisions, 10)
    found = history_smells(_history(revisions), complexity, RuleSettings())
    hotspots = [f.path for f in found if f.rule_id == "hotspot"]
    assert hotspots == ["f19.py", "f18.py"]  # top 10% of 20 files
    assert found[0].evidence["weight"] == 200


def test_hotspot_needs_minimum_revisions() -> None:
    revisions = {"a.py": 4, "b.py": 1}
    found = history_smells(_history(revisions), {"a.py": 50, "b.py": 1}, RuleSettings())
    assert [f for f in found if f.rule_id == "hotspot"] == []
    revisions["a.py"] = 5
    found = history_smells(_history(revisions), {"a.py": 50, "b.py": 1}, RuleSettings())
    assert [f.path for f in found if f.rule_id == "hotspot"] == ["a.py"]


@pytest.mark.parametrize(
    ("a", "b", "degree", "fires"),
    [
        ("x/a.py", "y/b.py", 50, True),
        ("x/a.py", "y/b.py", 49, False),
        ("x/a.py", "x/b.py", 90, False),  # same folder
        ("a.py", "x/b.py", 80, True),
    ],
)
def test_change_coupling_across_folders(a: str, b: str, degree: int, fires: bool) -> None:
    history = _history({a: 10, b: 10}, (CouplingLink(b, a, degree, 8),))
    found = [
        f
        for f in history_smells(history, {a: 1, b: 1}, RuleSettings())
        if f.rule_id == "change-coupled-across-modules"
    ]
    assert bool(found) is fires
    if fires:
        assert found[0].path == min(a, b)
        assert found[0].evidence["other"] == max(a, b)


def test_knowledge_island_comes_from_the_history_lens() -> None:
    history = HistoryFacts(
        files={
            "a.py": FileHistoryFeatures(3, 30, 0, 0.97, knowledge_island=True),
            "b.py": FileHistoryFeatures(3, 30, 0, 0.97, knowledge_island=False),
        }
    )
    found = history_smells(history, {"a.py": 1, "b.py": 1}, RuleSettings())
    islands = [f for f in found if f.rule_id == "knowledge-island"]
    assert [f.path for f in islands] == ["a.py"]
    assert "97%" in islands[0].message


def test_cycle_finding_on_every_member() -> None:
    facts = ArchitectureFacts(modules={}, cycles=(("b.py", "a.py", "c.py"),))
    found = architecture_smells(facts, RuleSettings())
    assert [f.path for f in found] == ["a.py", "b.py", "c.py"]
    assert all(f.rule_id == "cyclic-dependency" for f in found)
    assert found[0].evidence["cycle_size"] == 3


def test_hubs_are_the_ones_the_architecture_lens_names() -> None:
    modules = {"hub.py": ModuleFacts(12, 11), "busy.py": ModuleFacts(30, 30)}
    facts = ArchitectureFacts(modules=modules, hubs=frozenset({"hub.py"}))
    (finding,) = architecture_smells(facts, RuleSettings())
    assert (finding.rule_id, finding.path) == ("hub-module", "hub.py")
    assert finding.evidence == {"fan_in": 12, "fan_out": 11}


def test_layer_violation_points_at_the_import_line() -> None:
    breach = LayerBreach("core/a.py", "ui/b.py", 7, "core", "ui")
    facts = ArchitectureFacts(modules={}, layer_breaches=(breach,), layers_configured=True)
    (finding,) = architecture_smells(facts, RuleSettings())
    location = (finding.rule_id, finding.path, finding.start_line)
    assert location == ("layer-violation", "core/a.py", 7)
    assert finding.severity == "error"
