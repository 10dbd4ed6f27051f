"""Each function's largest condition, measured by the code extractor in its single pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from tree_sitter import Query, QueryCursor

from bmad.extractors.code import extract
from bmad.extractors.code_rules import RULES
from bmad.extractors.languages import LANGUAGE_NAMES, language_for_path, load_language, new_parser
from bmad.extractors.metrics import FunctionMetrics


def largest(function: FunctionMetrics) -> tuple[int, int]:
    return function.condition_operators, function.condition_line


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        ("python", b"def f(a, b, c, d):\n    if a and b or c and d:\n        pass\n", (3, 2)),
        ("python", b"def f(a, b, c):\n    return 1 if a and b and c else 2\n", (2, 2)),
        ("python", b"def f(a, b):\n    while a or b:\n        pass\n", (1, 2)),
        ("javascript", b"function f(a,b,c,d){ if (a && b || c && d) {} }", (3, 1)),
        ("javascript", b"function f(a,b){\n for (;\n a && b;) {} }", (1, 3)),
        ("go", b"package m\nfunc f() {\n\tfor a && b || c {\n\t}\n}\n", (2, 3)),
        ("go", b"package m\nfunc f() {\n\tfor i := 0; i < n && ok; i++ {\n\t}\n}\n", (1, 3)),
        ("c", b"int f() { return a && b && c ? 1 : 2; }", (2, 1)),
        ("cpp", b"int f() { if (a and b or c) return 1; return 0; }", (2, 1)),
        ("java", b"class A { void f() { if (a || b || c || d) {} } }", (3, 1)),
        ("ruby", b"def f\n  if a && b or c and d\n  end\nend\n", (3, 2)),
        ("python", b"def f(a):\n    return a and a and a\n", (0, 0)),
    ],
)
def test_the_largest_condition_counts_its_boolean_operators(
    language: str, source: bytes, expected: tuple[int, int]
) -> None:
    (function,) = extract(source, language).functions
    assert largest(function) == expected


def test_rust_closures_keep_their_own_conditions() -> None:
    source = b"fn f() {\n if a && b || c && d {}\n let g = || if x && y {};\n}"
    outer, closure = extract(source, "rust").functions
    assert (largest(outer), largest(closure)) == ((3, 2), (1, 3))


def test_a_condition_belongs_to_the_innermost_function() -> None:
    source = (
        b"def outer(a, b, c, d):\n"
        b"    def inner():\n"
        b"        if a and b and c and d:\n"
        b"            pass\n"
        b"    if a and b:\n"
        b"        pass\n"
    )
    outer, inner = extract(source, "python").functions
    assert (largest(outer), largest(inner)) == ((1, 5), (3, 3))


def test_a_lambda_inside_a_condition_counts_for_that_condition() -> None:
    source = b"def f(xs, a):\n    if any(map(lambda v: v and a or v, xs)):\n        pass\n"
    function, lambda_ = extract(source, "python").functions
    assert (largest(function), largest(lambda_)) == ((2, 2), (0, 0))


def test_the_first_of_equally_large_conditions_is_reported() -> None:
    source = (
        b"def f(a, b):\n"
        b"    while a or b:\n"
        b"        pass\n"
        b"    if a and b and a:\n"
        b"        pass\n"
        b"    if b and a and b:\n"
        b"        pass\n"
    )
    (function,) = extract(source, "python").functions
    assert largest(function) == (2, 4)


def test_the_scan_record_leaves_the_largest_condition_out() -> None:
    """``bmad scan --json`` prints this record; README documents exactly these keys."""
    (function,) = extract(b"def f(a, b):\n    if a or b:\n        pass\n", "python").functions
    assert list(function.to_dict()) == [
        "name",
        "qualified_name",
        "start_line",
        "end_line",
        "nloc",
        "length",
        "ccn",
        "cognitive",
        "max_nesting",
        "params",
        "returns",
        "tokens",
    ]


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("language", LANGUAGE_NAMES)
def test_the_condition_types_capture_what_any_node_with_a_condition_field_would(
    language: str,
) -> None:
    """The table of node types stands in for the slower ``(_ condition: _)``: every listed type
    can hold the field, and the two find the same conditions in the golden fixtures."""
    grammar = load_language(language)
    listed = [
        name
        for name in sorted(RULES[language].condition_types)
        if grammar.id_for_node_kind(name, True) is not None
    ]
    table = Query(grammar, "".join(f"({name} condition: _ @c)\n" for name in listed))
    wildcard = Query(grammar, "(_ condition: _ @c)")
    sources = [path for path in GOLDEN.rglob("*") if language_for_path(path) == language]
    assert sources
    for path in sources:
        root = new_parser(language).parse(path.read_bytes()).root_node
        found = {node.id for node in QueryCursor(table).captures(root).get("c", [])}
        assert found
        assert found == {node.id for node in QueryCursor(wildcard).captures(root).get("c", [])}
