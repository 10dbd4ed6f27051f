"""The dashboard's charts as PNG files for terminal users (``--plot FILE.png``).

matplotlib draws them (the optional ``plot`` extra: ``pip install 'bmad[plot]'``); it is
imported only when a plot is asked for, with its non-interactive Agg backend, so no display is
needed and nothing else in bmad pays for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.dashboard.distributions import MetricDistribution
from bmad.errors import BmadError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LANGUAGES_PER_METRIC = 2  # columns: a metric's distribution in the repository's main languages
PANEL_INCHES = (6.0, 2.4)
BAR_COLOUR = "#4c78a8"
GLOBAL_COLOUR = "#e45756"
LOCAL_CDF_COLOUR = "#222222"


def require_matplotlib() -> None:
    """Fail early, with the way out, when the plot extra is not installed."""
    _figure_class()


def _figure_class() -> type[Figure]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise BmadError(
            "--plot needs matplotlib, which bmad installs only on request: "
            "pip install 'bmad[plot]' (or pip install matplotlib) into bmad's environment"
        ) from exc
    return Figure


def _distribution_panel(axes: Axes, distribution: MetricDistribution) -> None:
    positions = list(range(len(distribution.labels)))
    axes.bar(positions, distribution.shares, color=BAR_COLOUR, label="this repository, per bin")
    entry = distribution.global_entry
    caption = (
        f"{distribution.metric} · {distribution.language} "
        f"({distribution.functions} functions here)"
    )
    if entry is not None:
        axes.scatter(
            positions,
            [float(share) for share in entry["shares"]],
            marker="_",
            s=120,
            color=GLOBAL_COLOUR,
            label="federation, per bin",
        )
        caption += f" · {entry['organisations']} organisations"
    cumulative = axes.twinx()
    cumulative.set_ylim(0, 1)
    cumulative.set_yticks([0, 0.5, 1])
    cumulative.tick_params(labelsize=7)
    below, running = [], 0.0
    for share in distribution.shares:
        below.append(running)
        running += share
    cumulative.plot(positions, below, color=LOCAL_CDF_COLOUR, linewidth=1, label="share below")
    if entry is not None:
        global_below = [float(value) for value in entry["share_below"]]
        halves = [float(value) for value in entry["share_below_plus_minus"]]
        cumulative.fill_between(
            positions,
            [max(0.0, b - h) for b, h in zip(global_below, halves, strict=True)],
            [min(1.0, b + h) for b, h in zip(global_below, halves, strict=True)],
            color=GLOBAL_COLOUR,
            alpha=0.2,
            label="federation, share below (95% interval)",
        )
    axes.set_title(caption, fontsize=8, loc="left")
    every = max(1, len(positions) // 10)
    axes.set_xticks(
        positions[::every], distribution.labels[::every], fontsize=7, rotation=40, ha="right"
    )
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylabel("share of functions", fontsize=7)


def _prevalence_panel(axes: Axes, prevalence: Mapping[str, Mapping[str, Any]]) -> None:
    measured = {rule: row for rule, row in prevalence.items() if row.get("status") != "no data"}
    rules = sorted(measured, key=lambda rule: measured[rule]["share"])
    axes.barh(rules, [measured[rule]["share"] for rule in rules], color=BAR_COLOUR)
    axes.set_title("smell prevalence (share of functions or files)", fontsize=8, loc="left")
    axes.tick_params(labelsize=7)
    without = sorted(set(prevalence) - set(measured))
    if without:
        axes.set_xlabel("no data: " + ", ".join(without), fontsize=7)


def patterns_figure(
    distributions: Sequence[MetricDistribution],
    prevalence: Mapping[str, Mapping[str, Any]],
    title: str,
) -> Figure:
    """One row per metric (its main languages side by side), then smell prevalence."""
    figure_class = _figure_class()
    metrics = list(dict.fromkeys(distribution.metric for distribution in distributions))
    columns = max(
        1,
        min(
            LANGUAGES_PER_METRIC,
            max((sum(d.metric == m for d in distributions) for m in metrics), default=1),
        ),
    )
    rows = len(metrics) + 1
    figure = figure_class(
        figsize=(PANEL_INCHES[0] * columns, PANEL_INCHES[1] * rows), layout="constrained"
    )
    grid = figure.add_gridspec(rows, columns)
    for row, metric in enumerate(metrics):
        of_metric = [d for d in distributions if d.metric == metric][:columns]
        for column, distribution in enumerate(of_metric):
            _distribution_panel(figure.add_subplot(grid[row, column]), distribution)
    _prevalence_panel(figure.add_subplot(grid[rows - 1, :]), prevalence)
    figure.suptitle(title, fontsize=10)
    handles, labels = [], []
    for axes in figure.axes:
        for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=7)
    return figure


def save_png(figure: Figure, path: Path) -> None:
    try:
        figure.savefig(path, format="png", dpi=100)
    except OSError as exc:
        raise BmadError(f"cannot write the plot {path}: {exc.strerror or exc}") from exc
