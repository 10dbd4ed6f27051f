"""The dashboard's charts as PNG files for terminal users (``--plot FILE.png``).

matplotlib draws them (the optional ``plot`` extra: ``pip install 'bmad[plot]'``); it is
imported only when a plot is asked for, with its non-interactive Agg backend, so no display is
needed and nothing else in bmad pays for it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.dashboard.distributions import MetricDistribution
from bmad.errors import BmadError
from bmad.extractors.technology import Technology
from bmad.extractors.technology_trends import TechnologyRow, TrendsView

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
        f"{distribution.metric} · {distribution.language} ({distribution.functions} functions here)"
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


TECHNOLOGIES_PER_KIND = 15  # rows per panel: the kind's technologies that changed, then the rest
KINDS = ("dependency", "language", "tool")


def _bucket_index(view: TrendsView, moment: int) -> int:
    """The bucket whose span holds ``moment`` (buckets end at ``view.bucket_ends``)."""
    return min(len(view.bucket_ends) - 1, bisect_left(view.bucket_ends, moment))


def _shown_rows(rows: Sequence[TechnologyRow]) -> list[TechnologyRow]:
    """Those added or removed inside the window first, then the most present."""
    ranked = sorted(
        rows,
        key=lambda row: (
            -(row.added_in_window + row.removed_in_window),
            -row.repositories_now,
            -max(row.series, default=0),
            row.technology,
        ),
    )
    return ranked[:TECHNOLOGIES_PER_KIND]


def _name(key: str) -> str:
    return Technology.from_key(key).name


def trends_figure(view: TrendsView, title: str) -> Figure:
    """One panel per kind of technology; a row per technology, a column per bucket, shaded by
    the share of the repositories that show it at the bucket's end; the window's migrations as
    arrows from the replaced row to the replacement's, abandoned dependencies as crosses."""
    figure_class = _figure_class()
    panels = [(kind, _shown_rows([row for row in view.rows if row.kind == kind])) for kind in KINDS]
    panels = [(kind, rows) for kind, rows in panels if rows]
    heights = [max(2.0, 0.22 * len(rows) + 1.0) for _, rows in panels] or [2.0]
    figure = figure_class(figsize=(PANEL_INCHES[0] * 2, sum(heights)), layout="constrained")
    figure.suptitle(title, fontsize=10)
    if not panels:
        axes = figure.add_subplot()
        axes.text(0.5, 0.5, "no technology was seen in this window", ha="center", va="center")
        axes.set_axis_off()
        return figure
    grid = figure.add_gridspec(len(panels), 1, height_ratios=heights)
    every = max(1, len(view.bucket_labels) // 12)
    columns = list(range(len(view.bucket_labels)))
    image = None
    for index, (kind, rows) in enumerate(panels):
        axes = figure.add_subplot(grid[index, 0])
        shares = [[count / max(1, view.repositories) for count in row.series] for row in rows]
        image = axes.imshow(
            shares, aspect="auto", cmap="Blues", vmin=0, vmax=1, interpolation="nearest"
        )
        position = {row.technology: number for number, row in enumerate(rows)}
        axes.set_yticks(range(len(rows)), [_name(row.technology) for row in rows], fontsize=7)
        axes.set_xticks(
            columns[::every], view.bucket_labels[::every], fontsize=7, rotation=40, ha="right"
        )
        for _, migration in view.migrations:
            if migration.replaced in position and migration.replacement in position:
                at = _bucket_index(view, migration.time)
                axes.annotate(
                    "",
                    xy=(at, position[migration.replacement]),
                    xytext=(at, position[migration.replaced]),
                    arrowprops={"arrowstyle": "->", "color": GLOBAL_COLOUR, "linewidth": 1.2},
                )
        crosses = [
            (_bucket_index(view, found.removed), position[found.technology])
            for _, found in view.abandonments
            if found.technology in position
        ]
        if crosses:
            axes.scatter(
                [x for x, _ in crosses],
                [y for _, y in crosses],
                marker="x",
                color=GLOBAL_COLOUR,
                label="abandoned: added and removed again",
            )
            axes.legend(fontsize=7, loc="lower left")
        axes.set_title(
            f"{kind}: share of the {view.repositories} repositories showing it "
            "(arrows: migrations in the window)",
            fontsize=8,
            loc="left",
        )
    if image is not None:
        figure.colorbar(image, ax=figure.axes, shrink=0.6, label="share of repositories")
    return figure


def save_png(figure: Figure, path: Path) -> None:
    try:
        figure.savefig(path, format="png", dpi=100)
    except OSError as exc:
        raise BmadError(f"cannot write the plot {path}: {exc.strerror or exc}") from exc
