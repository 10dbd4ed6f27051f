from __future__ import annotations

import pytest

from bmad.analysis.conditions import conditions, worst_condition_per_function
from tests.analysis.factories import metrics


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        ("python", b"def f(a, b, c, d):\n    if a and b or c and d:\n        pass\n", [(2, 3)]),
        ("python", b"def f(a, b, c):\n    return 1 if a and b and c else 2\n", [(2, 2)]),
        ("python", b"def f(a, b):\n    while a or b:\n        pass\n", [(2, 1)]),
        ("javascript", b"function f(a,b,c,d){ if (a && b || c && d) {} }", [(1, 3)]),
        ("go", b"package m\nfunc f() {\n\tfor a && b || c {\n\t}\n}\n", [(3, 2)]),
        ("rust", b"fn f() { if a && b || c && d {} let g = || 1; }", [(1, 3)]),
        ("c", b"int f() { return a && b && c ? 1 : 2; }", [(1, 2)]),
        ("java", b"class A { void f() { if (a || b || c || d) {} } }", [(1, 3)]),
        ("ruby", b"def f\n  if a && b or c and d\n  end\nend\n", [(2, 3)]),
    ],
)
def test_boolean_operators_per_condition(
    language: str, source: bytes, expected: list[tuple[int, int]]
) -> None:
    assert conditions(source, language) == expected


def test_conditions_belong_to_the_innermost_function() -> None:
    source = (
        b"def outer(a, b, c, d):\n"
        b"    def inner():\n"
        b"        if a and b and c and d:\n"
        b"            pass\n"
        b"    if a and b:\n"
        b"        pass\n"
    )
    outer = metrics(name="outer", start_line=1, nloc=6)
    inner = metrics(name="inner", start_line=2, nloc=3)
    assert worst_condition_per_function(source, "python", [outer, inner]) == {
        0: (1, 5),
        1: (3, 3),
    }
