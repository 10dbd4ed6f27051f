"""``bmad history``: workflow measures mined from git history (incremental, cached)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import counted, echo_json, handle_errors, json_option
from bmad.cli.steps import on_terminal, step
from bmad.errors import BmadError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from bmad.extractors.history import CommitRecord
    from bmad.extractors.history_coupling import CouplingThresholds
    from bmad.extractors.history_report import HistoryReport
    from bmad.scanning.history import UpdateResult


def parse_date(text: str, end_of_day: bool) -> int:
    """ISO date or date-time (UTC unless it says otherwise); a bare date's --until is inclusive."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BmadError(f"invalid date {text!r}: use YYYY-MM-DD or an ISO date-time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(text.strip()) == 10:
        moment += timedelta(days=1, seconds=-1)
    return int(moment.timestamp())


@click.command("history")
@click.argument("repo", default=".", type=click.Path(path_type=Path))
@json_option
@click.option("--since", help="Only commits authored on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only commits authored on or before this date (inclusive).")
@click.option("--rev", help="Revision whose history is mined (default HEAD).")
@click.option("--no-renames", is_flag=True, help="Do not follow renames.")
@click.option(
    "--include-deleted",
    is_flag=True,
    help="Also list files that are not in the revision's tree (marked deleted).",
)
@click.option("--min-revs", type=click.IntRange(min=0), help="Coupling: minimum mean revisions.")
@click.option("--min-shared-revs", type=click.IntRange(min=0), help="Coupling: shared revisions.")
@click.option("--min-coupling", type=click.IntRange(0, 100), help="Coupling: minimum degree (%).")
@click.option(
    "--max-changeset", type=click.IntRange(min=1), help="Coupling: ignore larger commits."
)
@click.option("--top", type=click.IntRange(min=0), help="Rows per table (0: all).")
@click.option("--show-authors", is_flag=True, help="Show author names and e-mails (local only).")
@handle_errors
def history(
    repo: Path,
    as_json: bool,
    since: str | None,
    until: str | None,
    rev: str | None,
    no_renames: bool,
    include_deleted: bool,
    min_revs: int | None,
    min_shared_revs: int | None,
    min_coupling: int | None,
    max_changeset: int | None,
    top: int | None,
    show_authors: bool,
) -> None:
    """Churn, coupling, ownership, knowledge and hotspots from REPO's git history."""
    from bmad import config
    from bmad.extractors.history_report import analyse_history, options_from_settings, report_json
    from bmad.scanning.history import stored_commits, update_history
    from bmad.scanning.history_git import MiningSettings
    from bmad.store.history import open_history_store

    window_start = parse_date(since, end_of_day=False) if since else None
    window_end = parse_date(until, end_of_day=True) if until else None
    if window_start is not None and window_end is not None and window_start > window_end:
        raise BmadError(f"--since {since} is after --until {until}: the window holds no commit")
    settings = config.load(repo if repo.is_dir() else None).section("history")
    chosen = {
        "min_revs": min_revs,
        "min_shared_revs": min_shared_revs,
        "min_coupling": min_coupling,
        "max_changeset": max_changeset,
        "top": top,
    }
    settings.update({key: value for key, value in chosen.items() if value is not None})
    options = options_from_settings(
        settings,
        follow_renames=not no_renames,
        include_deleted=include_deleted,
        since=window_start,
        until=window_end,
    )
    mining = MiningSettings.from_settings(settings, follow_renames=not no_renames)
    shown = on_terminal(as_json)
    with open_history_store() as store, step(f"mining the history of {repo}", shown):
        result = update_history(store, repo, rev, mining)
        commits = stored_commits(store, result.source_id) if result.source_id is not None else []
    notes = result.notes()
    with step("measuring the files at the end of the window", shown):
        cognitive = _cognitive_at_window_end(repo, commits, options.until, notes)
    report = analyse_history(commits, result.tip_tree, options, int(time.time()), cognitive, notes)
    repository = _repository_json(result, rev)
    if as_json:
        echo_json(report_json(report, repository, show_authors, options.top))
    else:
        _render(report, repository, show_authors, options.top, options.coupling)


def _cognitive_at_window_end(
    repo: Path, commits: list[CommitRecord], until: int | None, notes: list[str]
) -> Mapping[str, int]:
    """Total cognitive complexity per file at the window's last commit, from the code cache."""
    last = [c for c in commits if until is None or c.author_time <= until]
    if not last:
        return {}
    from bmad.scanning import cognitive_by_path

    try:
        found: Mapping[str, int] = cognitive_by_path(repo, last[-1].id)
    except BmadError as exc:
        notes.append(f"hotspots unavailable: {exc.message}")
        return {}
    return found


def _repository_json(result: UpdateResult, rev: str | None) -> dict[str, Any]:
    info = result.info
    return {
        "path": info.work_tree or info.git_dir,
        "rev": rev or "HEAD",
        "head": info.head,
        "tip": result.tip,
        "bare": info.bare,
        "shallow": info.shallow,
        "detached": info.head_detached,
        "new_commits": result.new_commits,
        "rewritten": result.rewritten,
        "mining_seconds": round(result.seconds, 3),
    }


def print_or_none(console: Console, table: Table, none: str) -> None:
    """The table, or when it has no row its title and ``none`` (an empty grid says nothing)."""
    if table.row_count:
        console.print(table)
    else:
        console.print(f"{table.title}: {none}", highlight=False)


def _render(
    report: HistoryReport,
    repository: Mapping[str, Any],
    show_authors: bool,
    top: int,
    coupling: CouplingThresholds,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from bmad.extractors.history import author_names

    console = Console()
    summary = report.summary
    names = author_names(report.commits) if show_authors else {}

    def rows(items: Any) -> Any:
        return items[:top] if top > 0 else items

    overview = Table(
        title=f"History of {repository['path']} ({repository['rev']})", show_header=False
    )
    overview.add_row("commits", f"{summary.commits} ({repository['new_commits']} newly mined)")
    overview.add_row("authors", str(summary.authors))
    overview.add_row(
        "merge / fix / revert ratio",
        f"{summary.merge_ratio:.1%} / {summary.fix_ratio:.1%} / {summary.revert_ratio:.1%}",
    )
    overview.add_row("commits per week", f"{summary.commits_per_week:.2f}")
    files = summary.files_per_commit.percentiles
    lines = summary.lines_per_commit.percentiles
    overview.add_row(
        "files per commit p50/p90/max",
        f"{files[50]:g} / {files[90]:g} / {summary.files_per_commit.maximum}",
    )
    overview.add_row(
        "lines per commit p50/p90/max",
        f"{lines[50]:g} / {lines[90]:g} / {summary.lines_per_commit.maximum}",
    )
    overview.add_row(
        "truck factor",
        f"{report.truck_factor.value} ({counted(report.truck_factor.files, 'file')})",
    )
    console.print(overview)

    hot = Table(title="Hotspots (revisions x cognitive complexity)")
    hot.add_column("file", overflow="fold")
    for column in ("revisions", "cognitive", "score"):
        hot.add_column(column, justify="right")
    for spot in report.hotspots:
        hot.add_row(
            report.path(spot.index), str(spot.revisions), str(spot.cognitive), str(spot.score)
        )
    print_or_none(console, hot, "none (no file both changed and measured)")

    coupled = Table(title="Change coupling")
    for column in ("file", "coupled with"):
        coupled.add_column(column, overflow="fold")
    for column in ("degree %", "shared", "avg revs"):
        coupled.add_column(column, justify="right")

    def named(index: int) -> str:
        return report.path(index) + ("" if report.files[index].alive else " (deleted)")

    for pair in rows(report.coupling):
        coupled.add_row(
            named(pair.a),
            named(pair.b),
            str(pair.degree),
            str(pair.shared),
            str(pair.average_revs),
        )
    print_or_none(
        console,
        coupled,
        f"none above the thresholds (min-revs {coupling.min_revs}, min-shared-revs "
        f"{coupling.min_shared_revs}, min-coupling {coupling.min_coupling}%, max-changeset "
        f"{coupling.max_changeset})",
    )

    islands = Table(title="Knowledge islands and files whose main developer left")
    for column in ("file", "kind", "share", "idle months", *(("author",) if show_authors else ())):
        islands.add_column(column, overflow="fold" if column == "file" else "ellipsis")
    for kind, owned_files in (("island", report.islands), ("inactive owner", report.inactive)):
        for owned in rows(owned_files):
            who = (names.get(owned.author, (owned.author, ""))[0],) if show_authors else ()
            islands.add_row(
                report.path(owned.index),
                kind,
                f"{owned.share:.0%}",
                f"{owned.inactive_months:.1f}",
                *who,
            )
    print_or_none(console, islands, "none")
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
