"""compare_file on real extractor output: which parent versions' conditions it asks for (each
request is a tree-sitter parse) and that the answers it gives do not depend on skipping them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bmad.analysis.settings import RuleSettings
from bmad.extractors.metrics import FunctionMetrics
from bmad.hooks.analysers import WorstConditions, conditions_of
from bmad.hooks.compare import Version, compare_file
from bmad.scanning.analyse import analyse_source

BEFORE = b"""def route(a, b, c, d):
    while a and b or c and d:
        a -= 1
    return a


def plain(a):
    if a:
        return 1
    return 0
"""
# route keeps its complex condition (inherited); plain gains depth and a complex condition
AFTER = b"""def route(a, b, c, d):
    while a and b or c and d:
        a -= 1
    if a > 1:
        return 2
    return a


def plain(a):
    if a:
        return 1
    return 0
"""
GAINS = BEFORE.replace(b"    if a:\n", b"    if a and a or a and a:\n")


class CountingVersion:
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.asked = 0
        metrics = analyse_source(source, "python", False)
        self.version = Version(
            functions=metrics.functions,
            lines=tuple(source.decode().splitlines()),
            conditions=self.conditions,
        )

    def conditions(self, functions: Sequence[FunctionMetrics]) -> WorstConditions:
        self.asked += 1
        return conditions_of(self.source, "python", functions)


def _compare(staged: bytes, parent: bytes) -> tuple[list[dict[str, Any]], int]:
    staged_version, parent_version = CountingVersion(staged), CountingVersion(parent)
    settings = RuleSettings(complex_method_ccn=3)
    regressions = compare_file(
        "app.py", "python", staged_version.version, [parent_version.version], settings, 0.6
    )
    return [regression.to_dict() for regression in regressions], parent_version.asked


def test_an_inherited_complex_condition_is_not_new_and_needs_the_parent_parse() -> None:
    regressions, parent_parses = _compare(AFTER, BEFORE)
    (route,) = regressions
    assert route["function"] == "route"
    assert "complex-conditional" in route["findings"]
    assert "complex-conditional" not in [f["rule_id"] for f in route["new_findings"]]
    assert parent_parses == 1


def test_the_parent_is_not_parsed_when_no_staged_function_has_a_complex_condition() -> None:
    without_condition = AFTER.replace(b"    while a and b or c and d:\n", b"    while a:\n")
    regressions, parent_parses = _compare(without_condition, BEFORE)
    assert [regression["function"] for regression in regressions] == []
    assert parent_parses == 0


def test_a_gained_complex_condition_is_new() -> None:
    regressions, _ = _compare(GAINS, BEFORE)
    (plain,) = regressions
    assert plain["function"] == "plain"
    assert "complex-conditional" in [f["rule_id"] for f in plain["new_findings"]]
