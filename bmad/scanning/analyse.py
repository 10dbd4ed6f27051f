"""Parse a file once and run every per-file extractor on the same syntax tree.

The extractors' patterns form one query, so one query cursor walks the tree for all of
them: the walk over every node is most of a query's cost (a single-pattern query costs
~80% of the code extractor's), so a second query would nearly double it.

This module runs inside worker processes; it must not touch the store or the terminal.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from bmad.extractors.languages import load_language, new_parser
from bmad.extractors.metrics import FileMetrics

if TYPE_CHECKING:
    from tree_sitter import Parser, Query

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


@cache
def _query(language: str, import_patterns: str) -> Query:
    from tree_sitter import Query

    from bmad.extractors import code

    return Query(load_language(language), code.query_source(language) + import_patterns)


def as_valid_utf8(source: bytes) -> bytes:
    """``source`` itself when it is valid UTF-8, else with invalid bytes replaced by U+FFFD.

    tree-sitter 0.26's query cursor decodes node text for #match?/#eq? predicates; on some
    invalid UTF-8 it raises SystemError or crashes the whole process with SIGSEGV (seen on
    the stdlib's test/test_source_encoding.py, whose KOI8-R literal starts with 0xF0).
    """
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return source.decode("utf-8", errors="replace").encode("utf-8")
    return source


def analyse_source(source: bytes, language: str, is_header: bool = False) -> FileMetrics:
    """Metrics and imports of any bytes in ``language``; never crashes on bad input."""
    from tree_sitter import QueryCursor

    from bmad.extractors import code
    from bmad.extractors.architecture_imports import extract_imports, query_source

    source = as_valid_utf8(source)

    tree = _parser(language).parse(source)
    fallback = HEADER_FALLBACK.get(language) if is_header else None
    if fallback is not None and tree.root_node.has_error:
        fallback_tree = _parser(fallback).parse(source)
        if not fallback_tree.root_node.has_error:
            tree, language = fallback_tree, fallback
    query = _query(language, query_source(language, source))
    captures = QueryCursor(query).captures(tree.root_node)
    metrics = code.measure(tree, source, language, captures)
    return replace(metrics, imports=extract_imports(tree, source, language, captures))


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
