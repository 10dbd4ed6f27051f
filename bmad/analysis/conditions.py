"""Boolean operators per condition, for the Complex Conditional smell.

The code extractor does not record conditions, so this module parses with tree-sitter, and
only the files holding a function whose cyclomatic complexity allows such a condition (each
``&&``/``||``/``and``/``or`` adds one to CCN, so a function below ``1 + threshold`` cannot
have one). A condition is the ``condition`` field of any node (if/elif/while/for/ternary
in every supported grammar), plus Python's ``x if c else y`` and Go's ``for c {}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bmad.extractors.metrics import FunctionMetrics

if TYPE_CHECKING:
    from tree_sitter import Node

BOOLEAN_OPERATORS = frozenset({"&&", "||", "and", "or"})
GO_FOR_HEADERS = frozenset({"for_clause", "range_clause", "block"})


def may_hold_complex_condition(metrics: FunctionMetrics, threshold: int) -> bool:
    return metrics.ccn >= 1 + threshold


def _operators(condition: Node) -> int:
    count = 0
    stack = [condition]
    while stack:
        node = stack.pop()
        if node.child_count == 0:
            parent = node.parent
            if (
                node.type in BOOLEAN_OPERATORS
                and parent is not None
                and parent.type
                in (
                    "boolean_operator",
                    "binary_expression",
                    "binary",
                )
            ):
                count += 1
        else:
            stack.extend(node.children)
    return count


def _condition_of(node: Node, language: str) -> Node | None:
    condition = node.child_by_field_name("condition")
    if condition is not None:
        return condition
    if language == "python" and node.type == "conditional_expression":
        named = node.named_children
        return named[1] if len(named) == 3 else None
    if language == "go" and node.type == "for_statement":
        named = node.named_children
        if named and named[0].type not in GO_FOR_HEADERS:
            return named[0]
    return None


def conditions(source: bytes, language: str) -> list[tuple[int, int]]:
    """(line, boolean operators) of every condition in the source, in order."""
    from bmad.extractors.languages import new_parser

    tree = new_parser(language).parse(source)
    found: list[tuple[int, int]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        condition = _condition_of(node, language)
        if condition is not None:
            found.append((condition.start_point[0] + 1, _operators(condition)))
        stack.extend(node.children)
    return sorted(found)


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
