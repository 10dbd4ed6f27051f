"""compare_file on real extractor output: a complex condition the parent already had is
inherited, one the staged version gains is new (each version's largest condition comes with its
metrics)."""

from __future__ import annotations

from typing import Any

from bmad.analysis.settings import RuleSettings
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


def _version(source: bytes) -> Version:
    metrics = analyse_source(source, "python", False)
    return Version(functions=metrics.functions, lines=tuple(source.decode().splitlines()))


def _compare(staged: bytes, parent: bytes) -> list[dict[str, Any]]:
    settings = RuleSettings(complex_method_ccn=3)
    regressions = compare_file(
        "app.py", "python", _version(staged), [_version(parent)], settings, 0.6
    )
    return [regression.to_dict() for regression in regressions]


def test_an_inherited_complex_condition_is_not_new() -> None:
    (route,) = _compare(AFTER, BEFORE)
    assert route["function"] == "route"
    assert "complex-conditional" in route["findings"]
    assert "complex-conditional" not in [f["rule_id"] for f in route["new_findings"]]


def test_a_gained_complex_condition_is_new() -> None:
    (plain,) = _compare(GAINS, BEFORE)
    assert plain["function"] == "plain"
    (finding,) = [f for f in plain["new_findings"] if f["rule_id"] == "complex-conditional"]
    assert finding["evidence"] == {"operators": 3, "line": 8, "threshold": 3}
