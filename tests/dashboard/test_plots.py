"""The PNG charts of ``--plot``: the numbers drawn are the distributions' own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bmad.dashboard.distributions import MetricDistribution
from bmad.dashboard.plots import patterns_figure, require_matplotlib, save_png
from bmad.errors import BmadError

LABELS = ("0", "1", ">=2")
GLOBAL_ENTRY = {
    "organisations": 12,
    "shares": [0.5, 0.3, 0.2],
    "share_below": [0.0, 0.5, 0.8],
    "share_below_plus_minus": [0.0, 0.05, 0.04],
}


def distribution(metric: str, language: str, shares: tuple[float, ...]) -> MetricDistribution:
    return MetricDistribution(metric, language, 10, LABELS, shares, None)


def test_bars_are_the_shares_and_the_federation_gets_its_band() -> None:
    local = distribution("ccn", "python", (0.2, 0.5, 0.3))
    with_global = MetricDistribution("nloc", "python", 10, LABELS, (0.6, 0.4, 0.0), GLOBAL_ENTRY)
    prevalence = {
        "deep-nesting": {"count": 1, "of": 10, "scope": "functions", "share": 0.1},
        "layer-violation": {"status": "no data", "reason": "no architecture"},
    }
    figure = patterns_figure([local, with_global], prevalence, "title")

    bar_heights = [
        [round(patch.get_height(), 6) for patch in axes.patches]
        for axes in figure.axes
        if axes.get_title(loc="left").startswith(("ccn", "nloc"))
    ]
    assert bar_heights == [[0.2, 0.5, 0.3], [0.6, 0.4, 0.0]]
    titles = [axes.get_title(loc="left") for axes in figure.axes]
    assert "nloc · python (10 functions here) · 12 organisations" in titles
    bands = [axes for axes in figure.axes if axes.collections and not axes.get_title(loc="left")]
    # the twin axes of the panel with a global entry hold the 95% band; the other has none
    assert len([axes for axes in bands if len(axes.collections) == 1]) == 1
    prevalence_axes = next(a for a in figure.axes if a.get_title(loc="left").startswith("smell"))
    assert [patch.get_width() for patch in prevalence_axes.patches] == [0.1]
    assert prevalence_axes.get_xlabel() == "no data: layer-violation"


def test_the_png_is_written(tmp_path: Path) -> None:
    figure = patterns_figure([distribution("ccn", "go", (1.0, 0.0, 0.0))], {}, "t")
    target = tmp_path / "p.png"
    save_png(figure, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    figure = patterns_figure([distribution("ccn", "go", (1.0, 0.0, 0.0))], {}, "t")
    with pytest.raises(BmadError, match="cannot write the plot"):
        save_png(figure, tmp_path / "missing" / "p.png")


def test_without_matplotlib_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(BmadError, match=r"pip install 'bmad\[plot\]'"):
        require_matplotlib()
