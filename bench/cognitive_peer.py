"""Agreement of bmad's Python cognitive complexity with a peer's hand-annotated test suite.

The peer is Melevir/cognitive_complexity (its tests/test_cognitive_complexity.py: 27 snippets,
each ``assert get_code_snippet_compexity('''...''') == N`` with the increments annotated). The
snippets are read from a local checkout of that repository (never committed here), each is
measured by ``bmad.extractors.code.extract`` and the score of the snippet's first function (the
one the peer measures) is compared with N.

    git clone <mirror of Melevir/cognitive_complexity> bench/_work/cognitive_complexity
    .venv/bin/python bench/cognitive_peer.py bench/_work/cognitive_complexity
"""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from bmad.extractors.code import extract


@dataclass(frozen=True)
class Case:
    test: str
    snippet: str
    expected: int


def peer_cases(checkout: Path) -> list[Case]:
    tree = ast.parse((checkout / "tests" / "test_cognitive_complexity.py").read_text())
    cases = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        for statement in ast.walk(node):
            if not isinstance(statement, ast.Assert):
                continue
            comparison = statement.test
            if not isinstance(comparison, ast.Compare):
                continue
            call, expected = comparison.left, comparison.comparators[0]
            if isinstance(call, ast.Call) and isinstance(call.args[0], ast.Constant):
                snippet = textwrap.dedent(str(call.args[0].value)).strip() + "\n"
                cases.append(Case(node.name, snippet, integer_sum(expected)))
    return cases


def integer_sum(node: ast.expr) -> int:
    """The value of an annotation such as ``5`` or ``9 + 1``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return integer_sum(node.left) + integer_sum(node.right)
    raise ValueError(f"not a sum of integers: {ast.unparse(node)}")


def bmad_score(snippet: str) -> int:
    functions = extract(snippet.encode(), "python").functions
    first = min(functions, key=lambda function: function.start_line)
    return first.cognitive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a checkout of Melevir/cognitive_complexity")
    args = parser.parse_args()
    cases = peer_cases(args.checkout)
    agreed = 0
    for case in cases:
        score = bmad_score(case.snippet)
        agreed += score == case.expected
        mark = "ok  " if score == case.expected else "DIFF"
        print(f"{mark} {case.test}: peer {case.expected}, bmad {score}")
    print(f"agreement: {agreed}/{len(cases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
