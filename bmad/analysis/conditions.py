"""Boolean operators per condition, for the Complex Conditional smell.

The code extractor does not record conditions, so this module parses with tree-sitter, and
only the files holding a function whose cyclomatic complexity allows such a condition (each
``&&``/``||``/``and``/``or`` adds one to CCN, so a function below ``1 + threshold`` cannot
have one). A condition is the ``condition`` field of any node (if/elif/while/for/ternary
in every supported grammar), plus Python's ``x if c else y`` and Go's ``for c {}``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from bmad.extractors.metrics import FunctionMetrics

if TYPE_CHECKING:
    from tree_sitter import Node, Query

BOOLEAN_OPERATORS = frozenset({"&&", "||", "and", "or"})
GO_FOR_HEADERS = frozenset({"for_clause", "range_clause", "block"})


def may_hold_complex_condition(metrics: FunctionMetrics, threshold: int) -> bool:
    return metrics.ccn >= 1 + threshold


OPERATOR_PARENTS = ("boolean_operator", "binary_expression", "binary")


@cache
def _query(language: str) -> Query:
    """Conditions (any node's ``condition`` field), the nodes whose condition sits elsewhere
    (Python ternaries, Go's ``for c {}``) and boolean operators of binary expressions, in one
    query: tree-sitter matches in C what a Python tree walk would visit node by node."""
    from tree_sitter import Query, QueryError

    from bmad.extractors.languages import load_language

    grammar = load_language(language)
    parts = ["(_ condition: _ @condition)"]
    if language == "python":
        parts.append("(conditional_expression) @ternary")
    if language == "go":
        parts.append("(for_statement) @go_for")
    for parent in OPERATOR_PARENTS:
        for operator in sorted(BOOLEAN_OPERATORS):
            candidate = f'({parent} "{operator}" @operator)'
            if grammar.id_for_node_kind(parent, True) is None:
                continue
            if grammar.id_for_node_kind(operator, False) is None:
                continue
            try:
                Query(grammar, candidate)
            except QueryError:  # this grammar's expression never holds that operator
                continue
            parts.append(candidate)
    return Query(grammar, "\n".join(parts))


def _condition_elsewhere(node: Node, language: str) -> Node | None:
    named = node.named_children
    if language == "python":  # x if c else y
        return named[1] if len(named) == 3 else None
    # Go's for_statement: a bare condition comes first, with no header clause
    if named and named[0].type not in GO_FOR_HEADERS:
        return named[0]
    return None


def conditions(source: bytes, language: str) -> list[tuple[int, int]]:
    """(line, boolean operators) of every condition in the source, in order."""
    from tree_sitter import QueryCursor

    from bmad.extractors.languages import new_parser

    tree = new_parser(language).parse(source)
    captured = QueryCursor(_query(language)).captures(tree.root_node)
    # A field may hold several nodes (a C-style for's condition and its ";"): the first counts.
    first: dict[int, Node] = {}
    for node in captured.get("condition", []):
        parent = node.parent
        key = parent.id if parent is not None else node.id
        if key not in first or node.start_byte < first[key].start_byte:
            first[key] = node
    found_nodes = list(first.values())
    for capture in ("ternary", "go_for"):
        for node in captured.get(capture, []):
            condition = _condition_elsewhere(node, language)
            if condition is not None:
                found_nodes.append(condition)
    operators = sorted(node.start_byte for node in captured.get("operator", []))
    return sorted(
        (
            node.start_point[0] + 1,
            bisect_left(operators, node.end_byte) - bisect_left(operators, node.start_byte),
        )
        for node in found_nodes
    )


def worst_condition_per_function(
    source: bytes, language: str, functions: Sequence[FunctionMetrics]
) -> dict[int, tuple[int, int]]:
    """Index into ``functions`` -> (most operators in one condition, its line).

    A condition belongs to the innermost function spanning its line.
    """
    worst: dict[int, tuple[int, int]] = {}
    for line, operators in conditions(source, language):
        owners = [
            index
            for index, function in enumerate(functions)
            if function.start_line <= line <= function.end_line
        ]
        if not owners:
            continue
        owner = max(owners, key=lambda index: (functions[index].start_line, -index))
        if operators > worst.get(owner, (-1, 0))[0]:
            worst[owner] = (operators, line)
    return worst
