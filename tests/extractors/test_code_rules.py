"""Boolean-operator sequences in cognitive and cyclomatic complexity, in every language.

SonarSource's white paper (B1) adds one to cognitive complexity per *sequence* of like binary
logical operators, whatever its length: `a && b && c` is one sequence (+1), `a && b || c` two
(+2), `a && b || c && d` three (+3). Cyclomatic complexity (lizard's rule) adds one per
operator. Each function below holds only `return <expression>`, so its cognitive complexity is
the number of sequences and its CCN is 1 + the number of operators.
"""

from __future__ import annotations

import pytest

from bmad.extractors.code import extract
from bmad.extractors.metrics import FunctionMetrics

TEMPLATES = {
    "python": "def f(a, b, c, d):\n    return {expression}\n",
    "javascript": "function f(a, b, c, d) {{\n  return {expression};\n}}\n",
    "typescript": (
        "function f(a: boolean, b: boolean, c: boolean, d: boolean): boolean {{\n"
        "  return {expression};\n}}\n"
    ),
    "tsx": "const f = (a: boolean, b: boolean, c: boolean, d: boolean) => {{\n"
    "  return {expression};\n}};\n",
    "go": "package p\n\nfunc f(a, b, c, d bool) bool {{\n\treturn {expression}\n}}\n",
    "java": "class K {{\n  boolean f(boolean a, boolean b, boolean c, boolean d) {{\n"
    "    return {expression};\n  }}\n}}\n",
    "c": "int f(int a, int b, int c, int d) {{\n  return {expression};\n}}\n",
    "cpp": "bool f(bool a, bool b, bool c, bool d) {{\n  return {expression};\n}}\n",
    "csharp": "class K {{\n  bool F(bool a, bool b, bool c, bool d) {{\n"
    "    return {expression};\n  }}\n}}\n",
    "rust": "fn f(a: bool, b: bool, c: bool, d: bool) -> bool {{\n    {expression}\n}}\n",
    "ruby": "def f(a, b, c, d)\n  {expression}\nend\n",
}

# expression in C-style operators, sequences (cognitive), operators (CCN - 1)
CASES = [
    ("a && b", 1, 1),
    ("a && b && c", 1, 2),
    ("a || b || c || d", 1, 3),
    ("a && b || c", 2, 2),
    ("a || b && c", 2, 2),
    ("a && b || c && d", 3, 3),
    ("a && (b || c) && d", 2, 3),
]


def only_function(language: str, expression: str) -> FunctionMetrics:
    if language == "python":
        expression = expression.replace("&&", "and").replace("||", "or")
    source = TEMPLATES[language].format(expression=expression).encode()
    metrics = extract(source, language)
    assert not metrics.has_syntax_errors, source.decode()
    (function,) = metrics.functions
    return function


@pytest.mark.parametrize("language", sorted(TEMPLATES))
def test_a_chain_of_three_like_operators_is_one_sequence(language: str) -> None:
    function = only_function(language, "a && b && c")
    assert (function.cognitive, function.ccn) == (1, 3)


@pytest.mark.parametrize("language", sorted(TEMPLATES))
@pytest.mark.parametrize(("expression", "sequences", "operators"), CASES)
def test_each_run_of_like_operators_adds_one(
    language: str, expression: str, sequences: int, operators: int
) -> None:
    function = only_function(language, expression)
    assert (function.cognitive, function.ccn) == (sequences, 1 + operators)


def test_ruby_word_operators_form_sequences_like_symbols() -> None:
    function = only_function("ruby", "a and b and c")
    assert (function.cognitive, function.ccn) == (1, 3)
    function = only_function("ruby", "a and b or c")
    assert (function.cognitive, function.ccn) == (2, 3)
