"""Language registry: file extension -> language name -> tree-sitter grammar.

Grammars come from the official per-language wheels and are imported lazily, on first use,
so that importing this module stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser

# what QueryCursor.captures returns: capture name -> nodes
Captures = Mapping[str, list["Node"]]

# language name -> (grammar module, function returning the language pointer)
GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
}

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".ipp": "cpp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".gemspec": "ruby",
    ".cs": "csharp",
}

LANGUAGE_NAMES: tuple[str, ...] = tuple(GRAMMARS)


def language_for_path(path: str | PurePath) -> str | None:
    """The language of a file by its extension, or None when bmad does not analyse it."""
    suffix = PurePath(path).suffix.lower()
    return EXTENSIONS.get(suffix)


@cache
def load_language(name: str) -> Language:
    from tree_sitter import Language

    module_name, function_name = GRAMMARS[name]
    module = importlib.import_module(module_name)
    return Language(getattr(module, function_name)())


def new_parser(name: str) -> Parser:
    from tree_sitter import Parser

    return Parser(load_language(name))
