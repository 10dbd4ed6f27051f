"""``bmad insights trends``: technology adoption over time, locally and from the federation."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import counted, echo_json, handle_errors, json_option, plot_option, save_plot

if TYPE_CHECKING:
    from bmad.extractors.technology_trends import TechnologyHistory, TrendsView


def local_view(
    repos: Sequence[Path],
    window_text: str,
    kinds: tuple[str, ...],
    changed_only: bool,
    migration_days: int,
) -> tuple[TrendsView, list[dict[str, Any]]]:
    """Mine the repositories' technology histories (incrementally) and build the view."""
    from bmad import config
    from bmad.extractors.technology_trends import TrendOptions, parse_time_window, trends_view
    from bmad.scanning.trends import mine_technology_history, open_trends_store

    window = parse_time_window(window_text, int(time.time()))
    histories: list[TechnologyHistory] = []
    mined: list[dict[str, Any]] = []
    months = config.load(repos[0]).integer("rules.abandoned_dependency_months", 1)
    with open_trends_store() as store:
        for repo in repos:
            update, history = mine_technology_history(store, repo)
            mined.append(
                {
                    "repository": update.name,
                    "tip": update.tip,
                    "new_commits": update.new_commits,
                    "blobs_parsed": update.blobs_parsed,
                    "rewritten": update.rewritten,
                    "seconds": round(update.seconds, 3),
                }
            )
            if history is not None:
                histories.append(history)
    options = TrendOptions(months, migration_days, kinds, changed_only)
    return trends_view(histories, window, options), mined


def render_view(view: TrendsView, top: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bmad.extractors.technology_trends import sparkline

    console = Console()
    window = view.window
    console.print(
        f"technology trends over {escape(window.label)} "
        f"({_day(window.start)} .. {_day(window.end)}), "
        f"{counted(view.repositories, 'repository', 'repositories')}; "
        f"one mark per {_bucket_name(view)}, height: repositories showing it"
    )
    rows = sorted(view.rows, key=lambda row: (-row.repositories_now, row.technology))[:top]
    table = Table(title=f"Adoption ({len(rows)} of {len(view.rows)} technologies)")
    for column in ("technology", "first seen", "last seen", "now", "+", "-", "over time"):
        table.add_column(column, justify="right" if column in ("now", "+", "-") else "left")
    top_count = max(1, view.repositories)
    for row in rows:
        table.add_row(
            escape(row.technology),
            _day(row.first_seen),
            _day(row.last_seen),
            str(row.repositories_now),
            str(row.added_in_window),
            str(row.removed_in_window),
            sparkline(row.series, top_count),
        )
    console.print(table)
    if view.migrations:
        moved = Table(title="Migrations")
        for column in ("repository", "from", "to", "date", "how"):
            moved.add_column(column)
        for repository, migration in view.migrations:
            moved.add_row(
                escape(repository),
                escape(migration.replaced),
                escape(migration.replacement),
                _day(migration.time),
                "same change" if migration.same_change else "within the window",
            )
        console.print(moved)
    for repository, finding in view.abandonments:
        console.print(
            f"[yellow]{finding.rule_id}[/]: {escape(repository)}: {escape(finding.message)}"
        )


def _bucket_name(view: TrendsView) -> str:
    label = view.bucket_labels[0] if view.bucket_labels else ""
    if "Q" in label:
        return "quarter"
    return "week" if label.count("-") == 2 else "month"


def _day(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).date().isoformat()


def global_document() -> dict[str, Any]:
    """The federation's released trend insights, from this machine's cache."""
    from bmad.federation.participant import open_participant_store
    from bmad.privacy.sharing import cached_global_insights
    from bmad.privacy.trend_schemas import TREND_LEARNING_TYPES

    with open_participant_store() as store:
        cached = cached_global_insights(store)
    return {
        item["learning_type"]: item["insights"]
        for item in cached
        if item["learning_type"] in TREND_LEARNING_TYPES
    }


def render_global(found: Mapping[str, Any], top: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not found:
        console.print(
            "no released trend insights are cached on this machine (they arrive with a "
            "federation round of technology_adoption, technology_survival, "
            "technology_migrations or tool_effectiveness)"
        )
        return
    for learning_type, document in sorted(found.items()):
        trends = document.get("trends", {})
        console.print(
            f"{learning_type}: {document.get('organisations')} organisations, "
            f"released {escape(str(document.get('released_at', '?')))}"
        )
        table = Table(title=learning_type)
        rows = trends.get("rows", [])[:top]
        for column in trends.get("columns", []):
            table.add_column(column)
        for row in rows:
            table.add_row(*(escape(str(cell)) for cell in row))
        if rows:
            console.print(table)
        for note in trends.get("notes", []):
            console.print(f"note: {escape(note)}")


@click.command("trends")
@click.argument("repos", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--technology-adoption",
    "adoption",
    is_flag=True,
    help="List every technology's adoption (default: only those added or removed in the window).",
)
@click.option(
    "--time-window",
    default="1-year",
    show_default=True,
    help='"3-months", "1-year", "2-years" (any N-days/weeks/months/years) or a date range '
    '"2023-01-01..2024-06-30".',
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["dependency", "language", "tool"]),
    help="Only technologies of this kind (repeatable).",
)
@click.option(
    "--migration-window",
    "migration_days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Days between a removal and an addition that still make a migration.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Technologies listed in the terminal (--json lists all, --plot up to 15 per kind).",
)
@click.option("--global", "use_global", is_flag=True, help="Add the federation's released trends.")
@click.option("--strict", is_flag=True, help="Exit 1 when the window holds abandoned dependencies.")
@plot_option(
    "adoption over the window per kind of technology, with migrations and abandoned dependencies,"
)
@json_option
@handle_errors
def trends(
    repos: tuple[Path, ...],
    adoption: bool,
    time_window: str,
    kinds: tuple[str, ...],
    migration_days: int,
    top: int,
    use_global: bool,
    strict: bool,
    plot_path: Path | None,
    as_json: bool,
) -> None:
    """Technology adoption, abandonment and migrations in the history of REPOS (default: .)."""
    from bmad.extractors.technology_trends import view_document

    if plot_path is not None:
        from bmad.dashboard.plots import require_matplotlib

        require_matplotlib()
    view, mined = local_view(
        repos or (Path("."),), time_window, kinds, not adoption, migration_days
    )
    if plot_path is not None:
        from bmad.dashboard.plots import trends_figure

        names = ", ".join(entry["repository"] for entry in mined)
        title = f"bmad insights trends: {names} ({view.window.label})"
        save_plot(trends_figure(view, title), plot_path)
    found = global_document() if use_global else None
    if as_json:
        document: dict[str, Any] = {**view_document(view), "mined": mined}
        if found is not None:
            document["global"] = found
        echo_json(document)
    else:
        render_view(view, top)
        if found is not None:
            render_global(found, top)
    if strict and view.abandonments:
        raise SystemExit(1)
