"""Parse a file once and run every per-file extractor on the same syntax tree.

This module runs inside worker processes; it must not touch the store or the terminal.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from bmad.extractors.languages import new_parser
from bmad.extractors.metrics import FileMetrics

if TYPE_CHECKING:
    from tree_sitter import Parser

# A ".h" file is C unless only the C++ grammar reads it without errors.
HEADER_FALLBACK = {"c": "cpp"}


def analyser_version() -> str:
    """Changes whenever the output for the same bytes may change; part of the cache key."""
    from bmad.extractors import code
    from bmad.extractors.architecture_imports import IMPORTS_VERSION

    return f"code-{code.EXTRACTOR_VERSION}+imports-{IMPORTS_VERSION}"


@cache
def _parser(language: str) -> Parser:
    return new_parser(language)


def analyse_source(source: bytes, language: str, is_header: bool = False) -> FileMetrics:
    from bmad.extractors import code
    from bmad.extractors.architecture_imports import extract_imports

    tree = _parser(language).parse(source)
    fallback = HEADER_FALLBACK.get(language) if is_header else None
    if fallback is not None and tree.root_node.has_error:
        fallback_tree = _parser(fallback).parse(source)
        if not fallback_tree.root_node.has_error:
            tree, language = fallback_tree, fallback
    metrics = code.measure(tree, source, language)
    return replace(metrics, imports=extract_imports(tree, source, language))


Job = tuple[str, str, bytes, bool]  # (key, language, source, is_header)
Outcome = tuple[str, FileMetrics | str]  # (key, metrics or the reason it failed)


def analyse_batch(jobs: list[Job]) -> list[Outcome]:
    """Analyse many files; one file's failure is reported, never raised."""
    outcomes: list[Outcome] = []
    for key, language, source, is_header in jobs:
        try:
            outcomes.append((key, analyse_source(source, language, is_header)))
        except Exception as exc:  # an extractor bug must cost one file, not the scan
            outcomes.append((key, f"analysis failed: {type(exc).__name__}: {exc}"))
    return outcomes
