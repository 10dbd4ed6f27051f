"""The suppression comment a code action inserts: ``bmad: ignore[rule]`` in the language's
own comment syntax, on its own line above the function, indented like it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bmad.analysis.suppression import IGNORE

# manifests, CI and tool configuration (requirements, TOML, YAML, INI) comment with "#"
HASH_LANGUAGES = frozenset({"python", "ruby", "technology-file"})
SHEBANG_OR_ENCODING = re.compile(r"^(#!|#.*coding[:=])")


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace lines[start_line:end_line] (0-based, end exclusive) with ``text``."""

    start_line: int
    end_line: int
    text: str


def comment_prefix(language: str) -> str:
    return "#" if language in HASH_LANGUAGES else "//"


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _with_rule(line: str, rule_id: str) -> str | None:
    """The existing marker line with ``rule_id`` added, or None when it has no marker."""
    match = IGNORE.search(line)
    if match is None:
        return None
    rules = [part.strip() for part in match.group(1).split(",") if part.strip()]
    if rule_id in rules:
        return line
    start, end = match.span(1)
    return line[:start] + ", ".join([*rules, rule_id]) + line[end:]


def suppress_function(
    lines: Sequence[str], start_line: int, rule_id: str, language: str
) -> TextEdit:
    """Suppress ``rule_id`` for the function starting on the 1-based ``start_line``.

    A marker comment directly above gets the rule added; otherwise a new comment line is
    inserted above the function (suppression reads the comments just above it).
    """
    index = max(min(start_line - 1, len(lines)), 0)
    if index > 0:
        extended = _with_rule(lines[index - 1], rule_id)
        if extended is not None:
            return TextEdit(index - 1, index, extended + "\n")
    indent = _indent(lines[index]) if index < len(lines) else ""
    return TextEdit(index, index, f"{indent}{comment_prefix(language)} bmad: ignore[{rule_id}]\n")


def suppress_file(lines: Sequence[str], rule_id: str, language: str) -> TextEdit:
    """Suppress a file-level finding: a marker in the comment block at the top of the file
    (after a shebang or encoding line, which must stay first)."""
    index = 0
    while index < len(lines) and index < 2 and SHEBANG_OR_ENCODING.match(lines[index]):
        index += 1
    if index < len(lines):
        extended = _with_rule(lines[index], rule_id)
        if extended is not None:
            return TextEdit(index, index + 1, extended + "\n")
    return TextEdit(index, index, f"{comment_prefix(language)} bmad: ignore[{rule_id}]\n")
