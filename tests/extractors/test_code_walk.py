"""The code extractor's single walk over the query's captures: where each function begins and
ends, what counts inside it, and how spans nest. Every expectation is worked out by hand in
the comment above it."""

from __future__ import annotations

import pytest
from tree_sitter import Query, QueryCursor

from bmad.extractors.code import extract, measure, query_source
from bmad.extractors.languages import load_language, new_parser
from bmad.extractors.metrics import FunctionMetrics


def functions(language: str, source: str) -> dict[str, FunctionMetrics]:
    metrics = extract(source.encode(), language)
    assert not metrics.has_syntax_errors, source
    return {function.qualified_name: function for function in metrics.functions}


# Exit points: `return` and `throw` tokens; Python `return`/`raise`; Go, C, Rust and Ruby
# `return` only. A nested function's exits are its own.
EXITS = [
    # f: raise, return = 2 (g's return is g's); g: 1
    (
        "python",
        "def f(x):\n    if x:\n        raise ValueError(x)\n"
        "    def g():\n        return 1\n    return g\n",
        {"f": 2, "f.g": 1},
    ),
    # f: throw, return = 2; the arrow g: 1
    (
        "javascript",
        "function f(x) {\n  if (x) throw new Error();\n"
        "  const g = () => { return 1; };\n  return g;\n}\n",
        {"f": 2, "f.g": 1},
    ),
    # panic() is a call: 1
    (
        "go",
        "package p\n\nfunc f(x int) int {\n\tif x > 0 {\n\t\tpanic(x)\n\t}\n\treturn x\n}\n",
        {"f": 1},
    ),
    # raise is a method call in Ruby's grammar: 1
    ("ruby", "def f(x)\n  raise ArgumentError if x\n  return 1 if x == 2\n  3\nend\n", {"f": 1}),
    # `?` is not an exit token, the tail expression neither: 1
    (
        "rust",
        "fn f(x: Option<u8>) -> Option<u8> {\n    let y = x?;\n"
        "    if y > 1 {\n        return None;\n    }\n    Some(y)\n}\n",
        {"f": 1},
    ),
    # throw, return = 2
    (
        "java",
        "class K {\n  int f(int x) {\n    if (x < 0) throw new IllegalStateException();\n"
        "    return x;\n  }\n}\n",
        {"K.f": 2},
    ),
    (
        "csharp",
        "class K\n{\n    int F(int x)\n    {\n        if (x < 0) throw new System.Exception();\n"
        "        return x;\n    }\n}\n",
        {"K.F": 2},
    ),
    # return, return = 2; a function without any: 0
    (
        "c",
        "int f(int x) {\n  if (x) return 1;\n  return 0;\n}\nvoid g(void) {}\n",
        {"f": 2, "g": 0},
    ),
    ("python", "def f():\n    pass\n", {"f": 0}),
]


@pytest.mark.parametrize(("language", "source", "expected"), EXITS)
def test_each_exit_token_counts_once_in_its_own_function(
    language: str, source: str, expected: dict[str, int]
) -> None:
    found = functions(language, source)
    assert {name: found[name].returns for name in expected} == expected


# tokens: every node below the function's node (keywords and punctuation included), without
# the nested functions' nodes. `def f():\n    return 1` holds def, f, parameters, (, ), :,
# block, return_statement, return, 1 = 10; a body of two nested functions only: def, f,
# parameters, (, ), :, block = 7. The nested g and h have 10 each, wherever f ends (whose
# end closes them: a later event in f, a later function, or the end of the file).
NESTED_G_H = "def f():\n    def g():\n        return 1\n    def h():\n        return 2\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    return 1\n", {"f": 10}),
        (NESTED_G_H + "    return 3\n", {"f": 10, "f.g": 10, "f.h": 10}),
        (NESTED_G_H, {"f": 7, "f.g": 10, "f.h": 10}),
        (NESTED_G_H + "def k():\n    return 4\n", {"f": 7, "f.g": 10, "f.h": 10, "k": 10}),
    ],
)
def test_tokens_are_the_functions_own_nodes(source: str, expected: dict[str, int]) -> None:
    found = functions("python", source)
    assert {name: function.tokens for name, function in found.items()} == expected


# Three levels, each with one `if`. c: 1. b: its if 1 + c's 1 + c's one structure one level
# deeper (c is defined at b's level 0: +1) = 3, and b now carries two structures. a: its if 1
# + b's 3 + b's two structures one level deeper (+2) = 6. The same whether the nested
# functions close at a later statement (the returns) or at the end of the file.
THREE_LEVELS = (
    "def a(x):\n    if x:\n        pass\n"
    "    def b():\n        if x:\n            pass\n"
    "        def c():\n            if x:\n                pass\n"
)


@pytest.mark.parametrize(
    "source",
    [
        THREE_LEVELS + "        return c\n    return b\n",
        THREE_LEVELS,
        THREE_LEVELS + "def after():\n    pass\n",
    ],
    ids=["closed-by-later-statements", "closed-at-end-of-file", "closed-by-next-function"],
)
def test_nested_functions_add_their_structures_to_every_enclosing_function(source: str) -> None:
    found = functions("python", source)
    cognitive = {name: found[name].cognitive for name in ("a", "a.b", "a.b.c")}
    assert cognitive == {"a": 6, "a.b": 3, "a.b.c": 1}
    assert {found[name].max_nesting for name in ("a", "a.b", "a.b.c")} == {1}


def test_a_structure_that_starts_where_the_previous_one_ends_is_not_inside_it() -> None:
    # No whitespace: g starts on the byte after f's `}`, the second if on the byte after the
    # first if's `;`. g: ccn 1 + if + if = 3, cognitive 1 + 1 (neither nested) = 2, nesting 1;
    # g is not qualified by f.
    found = functions("c", "int f(){return 0;}int g(int a){if(a)a++;if(a)a--;return a;}")
    assert list(found) == ["f", "g"]
    g = found["g"]
    assert (g.ccn, g.cognitive, g.max_nesting, g.returns) == (3, 2, 1, 1)


def test_a_structure_is_opened_before_a_function_starting_on_the_same_byte() -> None:
    # The Ruby modifier `x if c` starts at x, here a lambda: the modifier belongs to m
    # (ccn 2, cognitive 1, nesting 1) and holds the lambda, which has nothing of its own.
    found = functions("ruby", "def m(c)\n  -> { 1 }.call if c\nend\n")
    m, inner = found["m"], found["m.(anonymous)"]
    assert (m.ccn, m.cognitive, m.max_nesting) == (2, 1, 1)
    assert (inner.ccn, inner.cognitive, inner.max_nesting) == (1, 0, 0)


def test_a_node_captured_twice_is_applied_once_per_capture() -> None:
    # The if's condition is itself a conditional expression (captured as a condition, a
    # condition holder and a nesting structure): ccn 1 + if + the expression's if = 3;
    # cognitive: if 1, the conditional expression in its condition 1 + 1 (nesting) = 3.
    f = functions("python", "def f(a, b, c):\n    if a if b else c:\n        pass\n")["f"]
    assert (f.ccn, f.cognitive, f.max_nesting) == (3, 3, 2)


def test_a_condition_that_is_a_lambda_belongs_to_the_function_around_it() -> None:
    # the if's condition is the lambda: f's largest condition holds its `and` (1, line 2);
    # the lambda has no condition of its own
    found = functions("python", "def f(a, b):\n    if lambda: a and b:\n        pass\n")
    largest = {name: (f.condition_operators, f.condition_line) for name, f in found.items()}
    assert largest == {"f": (1, 2), "f.(anonymous)": (0, 0)}


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("python", "def f(a, b, c, d):\n    return (a  # why\n            if b and c else d)\n"),
        ("go", "package p\nfunc f(b, c bool) {\n\tfor /* why */ b && c {\n\t}\n}\n"),
    ],
)
def test_a_comment_is_not_a_held_condition(language: str, source: str) -> None:
    # the condition `b and c` / `b && c`: one operator, on line 3, despite the comment
    f = functions(language, source)["f"]
    assert (f.condition_operators, f.condition_line) == (1, 3)


def test_a_loop_after_else_is_a_nested_loop_not_an_else_if() -> None:
    # if 1 (nesting 0); else 1; the while under the if 1 + 1 = 4; nesting 2. ccn 1 + if + while.
    source = "function f(a, b) {\n  if (a) {\n  } else while (b) {\n    b--;\n  }\n}\n"
    f = functions("javascript", source)["f"]
    assert (f.ccn, f.cognitive, f.max_nesting) == (3, 4, 2)


def test_an_else_if_after_a_comment_stays_an_else_if() -> None:
    # JavaScript holds the else-if in an else clause, after the comment: if 1, else if 1 = 2
    source = "function f(a, b) {\n  if (a) {\n  } else /* why */ if (b) {\n  }\n}\n"
    f = functions("javascript", source)["f"]
    assert (f.ccn, f.cognitive, f.max_nesting) == (3, 2, 1)


def test_a_cpp_rvalue_reference_is_no_boolean_operator() -> None:
    # three `&&` that declare references: ccn 1, cognitive 0; `a && b`: ccn 2, cognitive 1
    source = (
        "void f(int&& x, std::string&& s) { auto&& y = x; }\n"
        "bool g(bool a, bool b) { return a && b; }\n"
    )
    found = functions("cpp", source)
    assert [(found[name].ccn, found[name].cognitive) for name in ("f", "g")] == [(1, 0), (2, 1)]


def test_a_rust_match_adds_one_per_arm_after_the_first() -> None:
    # two arms: ccn 1 + 1 = 2; cognitive: match 1
    source = (
        "fn f(x: bool) -> u8 {\n    match x {\n        true => 1,\n        false => 0,\n    }\n}\n"
    )
    f = functions("rust", source)["f"]
    assert (f.ccn, f.cognitive) == (2, 1)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # `for {}` holds no condition: the largest is the if's (one operator, line 4)
        (
            "package p\nfunc f(a, b bool) {\n\tfor {\n\t\tif a && b {\n\t\t\tbreak\n"
            "\t\t}\n\t}\n}\n",
            (1, 4),
        ),
        # a range clause is no condition
        ("package p\nfunc f(xs []int) {\n\tfor _, x := range xs {\n\t\t_ = x\n\t}\n}\n", (0, 0)),
    ],
)
def test_a_go_for_without_a_bare_condition_has_none(source: str, expected: tuple[int, int]) -> None:
    f = functions("go", source)["f"]
    assert (f.condition_operators, f.condition_line) == expected


def test_captures_of_other_extractors_are_ignored_wherever_they_come() -> None:
    """A scan appends its own patterns to the query; their captures leave the metrics as they
    are, also when they come before the code extractor's."""
    source = b"package p\n\nfunc f(a int) int {\n\tif a > 0 {\n\t\treturn a\n\t}\n\treturn 0\n}\n"
    query = Query(load_language("go"), "(source_file) @scan_only\n" + query_source("go"))
    tree = new_parser("go").parse(source)
    captures = QueryCursor(query).captures(tree.root_node)
    assert next(iter(captures)) == "scan_only"
    assert measure(tree, source, "go", captures) == extract(source, "go")


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        # no final newline: still one line
        ("python", b"x = 1", (1, 1, 0, 0)),
        ("python", b"x = 1\n", (1, 1, 0, 0)),
        # a C line comment continued by a backslash ends on a line past the last
        ("c", b"int x;\n// end \\\n", (2, 1, 1, 0)),
    ],
)
def test_file_lines_stop_at_the_last_line(
    language: str, source: bytes, expected: tuple[int, int, int, int]
) -> None:
    metrics = extract(source, language)
    assert metrics.language == language
    assert (metrics.loc, metrics.sloc, metrics.comment_lines, metrics.blank_lines) == expected
