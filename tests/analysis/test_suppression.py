from __future__ import annotations

import pytest

from bmad.analysis.excludes import is_excluded
from bmad.analysis.findings import Finding
from bmad.analysis.suppression import ignored_rules, is_suppressed


def _finding(line: int, rule_id: str = "deep-nesting", function: str | None = "f") -> Finding:
    return Finding(rule_id, "warning", "a.py", line, line + 3, "m", function=function)


@pytest.mark.parametrize(
    "line",
    [
        "# bmad: ignore[deep-nesting]",
        "x = 1  # bmad: ignore[deep-nesting]",
        "// bmad: ignore[complex-method, deep-nesting]",
        "/* bmad: ignore[deep-nesting] */",
        " * bmad: ignore[deep-nesting]",
        "# noqa  bmad:ignore[ deep-nesting ]",
    ],
)
def test_comment_syntaxes(line: str) -> None:
    assert "deep-nesting" in ignored_rules(line)


def test_marker_outside_a_comment_is_not_a_suppression() -> None:
    assert ignored_rules('text = "bmad: ignore[deep-nesting]"') == frozenset()


def test_on_the_function_line_or_in_the_comments_above() -> None:
    lines = [
        "import os",
        "# bmad: ignore[deep-nesting]",
        "@decorator",
        "def f():",
        "    pass",
    ]
    assert is_suppressed(_finding(4), lines)
    assert not is_suppressed(_finding(4, "complex-method"), lines)
    inline = ["def f():  # bmad: ignore[deep-nesting]", "    pass"]
    assert is_suppressed(_finding(1), inline)


def test_code_between_comment_and_function_breaks_the_suppression() -> None:
    lines = ["# bmad: ignore[deep-nesting]", "x = 1", "def f():", "    pass"]
    assert not is_suppressed(_finding(3), lines)


def test_star_ignores_every_rule() -> None:
    assert is_suppressed(_finding(2, "large-method"), ["// bmad: ignore[*]", "void f() {}"])


def test_file_level_findings_use_the_leading_comment_block() -> None:
    lines = ["#!/usr/bin/env python", "# bmad: ignore[hotspot]", "", "import os"]
    assert is_suppressed(_finding(1, "hotspot", function=None), lines)
    assert not is_suppressed(_finding(1, "hub-module", function=None), lines)
    late = ["import os", "# bmad: ignore[hotspot]"]
    assert not is_suppressed(_finding(1, "hotspot", function=None), late)


@pytest.mark.parametrize(
    ("path", "patterns", "excluded"),
    [
        ("vendor/lib/a.py", ["vendor/**"], True),
        ("src/vendor.py", ["vendor/**"], False),
        ("tests/test_a.py", ["tests/*"], True),
        ("src/gen_pb2.py", ["*_pb2.py"], True),
        ("src/a.py", [], False),
    ],
)
def test_path_excludes(path: str, patterns: list[str], excluded: bool) -> None:
    assert is_excluded(path, patterns) is excluded
