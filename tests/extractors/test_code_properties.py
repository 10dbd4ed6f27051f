"""Property and counting tests for the code extractor."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bmad.extractors.code import extract
from bmad.extractors.languages import LANGUAGE_NAMES, language_for_path
from bmad.extractors.metrics import FileMetrics

GOLDEN = sorted(path for path in (Path(__file__).parent / "golden").rglob("*") if path.is_file())


def check_invariants(metrics: FileMetrics) -> None:
    assert min(metrics.loc, metrics.sloc, metrics.comment_lines, metrics.blank_lines) >= 0
    assert metrics.sloc + metrics.blank_lines <= metrics.loc
    for function in metrics.functions:
        assert function.ccn >= 1
        assert function.end_line >= function.start_line >= 1
        assert function.length == function.end_line - function.start_line + 1
        assert min(function.nloc, function.cognitive, function.max_nesting) >= 0
        assert min(function.params, function.returns, function.tokens) >= 0
        assert function.nloc <= function.length


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(LANGUAGE_NAMES))
def test_arbitrary_bytes_never_raise(source: bytes, language: str) -> None:
    check_invariants(extract(source, language))


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(GOLDEN), st.data())
def test_truncated_real_files_keep_invariants(path: Path, data: st.DataObject) -> None:
    source = path.read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(source)))
    language = language_for_path(path)
    assert language is not None
    first = extract(source[:cut], language)
    check_invariants(first)
    assert extract(source[:cut], language) == first


def test_syntax_errors_still_report_functions() -> None:
    source = b"def ok(a):\n    if a:\n        return 1\n\ndef broken(:\n    return (\n"
    metrics = extract(source, "python")
    assert metrics.has_syntax_errors
    assert [function.name for function in metrics.functions][:1] == ["ok"]
    assert metrics.functions[0].ccn == 2


def test_line_counts_with_block_comments_and_docstrings() -> None:
    source = (
        b"/* header\n   still header */\n\nint f(void) { /* trailing */\n    return 0; // done\n}\n"
    )
    metrics = extract(source, "c")
    assert (metrics.loc, metrics.sloc, metrics.comment_lines, metrics.blank_lines) == (6, 3, 4, 1)
    python = b'def f():\n    """Doc\n\n    more."""\n    return 1\n# tail\n'
    metrics = extract(python, "python")
    # docstring lines (including its inner blank line) count as comments, not code
    assert (metrics.loc, metrics.sloc, metrics.comment_lines, metrics.blank_lines) == (6, 2, 4, 0)
    assert metrics.functions[0].nloc == 2


def test_empty_source() -> None:
    metrics = extract(b"", "go")
    assert (metrics.loc, metrics.sloc, metrics.functions) == (0, 0, ())
