"""Hover and code lens words: percentiles only where the repository has enough functions."""

from __future__ import annotations

from bmad.analysis.buffer import FunctionReport
from bmad.lsp.render import METRIC_LABELS, MIN_FUNCTIONS_TO_RANK, hover_markdown, lens_title
from tests.analysis.factories import metrics

PERCENTILES = dict.fromkeys(METRIC_LABELS, 75.0)


def report(ranked_among: int) -> FunctionReport:
    return FunctionReport(metrics(cognitive=4), (), None, PERCENTILES, ranked_among)


def test_a_repository_of_two_functions_ranks_nothing_and_says_why() -> None:
    hover = hover_markdown(report(2))
    assert "pct" not in hover and "in repo" not in hover
    assert f"too few functions to rank (2 of the {MIN_FUNCTIONS_TO_RANK} it takes)" in hover
    assert lens_title(report(2)) == "cognitive 4"


def test_enough_functions_give_a_percentile_column() -> None:
    hover = hover_markdown(report(MIN_FUNCTIONS_TO_RANK))
    assert "| cognitive complexity | 4 | 75th pct |" in hover
    assert "too few" not in hover
    assert lens_title(report(MIN_FUNCTIONS_TO_RANK)) == "cognitive 4 · top 25% in repo"


def test_the_count_survives_the_daemons_json() -> None:
    from bmad.analysis.buffer import BufferReport
    from bmad.extractors.metrics import FileMetrics

    function = report(7)
    file_metrics = FileMetrics("python", 3, 3, 0, 0, False, (function.metrics,))
    buffer = BufferReport("a.py", "python", file_metrics, (function,), (), 0, ())
    (again,) = BufferReport.from_dict(buffer.to_dict()).functions
    assert again.ranked_among == 7
