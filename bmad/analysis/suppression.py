"""Suppressions: ``bmad: ignore[rule-id, ...]`` in a comment (path excludes: excludes.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bmad.analysis.findings import Finding

# the marker must follow a comment opener: #, //, /*, or a * continuing a block comment
IGNORE = re.compile(r"(?:#|//|/\*|^\s*\*)[^\n]*?\bbmad:\s*ignore\[([^\]]*)\]")
ALL_RULES = "*"


def ignored_rules(line: str) -> frozenset[str]:
    found: set[str] = set()
    for match in IGNORE.finditer(line):
        found.update(part.strip() for part in match.group(1).split(",") if part.strip())
    return frozenset(found)


def _is_comment_or_decorator(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("#", "//", "/*", "*", "@", "--", "[")) or stripped.endswith("*/")


def suppressed_rules(lines: Sequence[str], start_line: int) -> frozenset[str]:
    """Rules ignored on the finding's first line or in the comments/decorators just above."""
    found: set[str] = set()
    if 1 <= start_line <= len(lines):
        found |= ignored_rules(lines[start_line - 1])
    index = start_line - 2
    while 0 <= index < len(lines) and _is_comment_or_decorator(lines[index]):
        found |= ignored_rules(lines[index])
        index -= 1
    return frozenset(found)


def leading_rules(lines: Sequence[str]) -> frozenset[str]:
    """Rules ignored in the comment block at the top of a file (for file-level findings)."""
    found: set[str] = set()
    for line in lines:
        if line.strip() and not _is_comment_or_decorator(line):
            break
        found |= ignored_rules(line)
    return frozenset(found)


def is_suppressed(finding: Finding, lines: Sequence[str]) -> bool:
    rules = suppressed_rules(lines, finding.start_line)
    if finding.function is None:
        rules |= leading_rules(lines)
    return finding.rule_id in rules or ALL_RULES in rules
