"""``bmad scan``: per-function and per-file metrics of source trees."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bmad import config, git
from bmad.cli._common import counted, echo_json, handle_errors, json_option
from bmad.extractors.languages import LANGUAGE_NAMES
from bmad.scanning import ScanOptions, ScanResult, scan_paths
from bmad.scanning.pipeline import ProgressCallback

JSON_VERSION = 1
PROGRESS_AFTER_SECONDS = 1.0


def scan_document(result: ScanResult) -> dict[str, Any]:
    languages: dict[str, dict[str, int]] = {}
    files = []
    for scanned in result.files:
        metrics = scanned.metrics
        summary = languages.setdefault(scanned.language, {"files": 0, "functions": 0, "sloc": 0})
        summary["files"] += 1
        summary["functions"] += len(metrics.functions)
        summary["sloc"] += metrics.sloc
        files.append(
            {
                "path": scanned.path,
                "language": scanned.language,
                "loc": metrics.loc,
                "sloc": metrics.sloc,
                "comment_lines": metrics.comment_lines,
                "blank_lines": metrics.blank_lines,
                "has_syntax_errors": metrics.has_syntax_errors,
                "functions": [function.to_dict() for function in metrics.functions],
            }
        )
    return {
        "version": JSON_VERSION,
        "files": files,
        "skipped": [{"path": item.path, "reason": item.reason} for item in result.skipped],
        "summary": {
            "files": len(result.files),
            "functions": sum(len(f.metrics.functions) for f in result.files),
            "languages": dict(sorted(languages.items())),
            "seconds": round(result.seconds, 3),
            "analysed": result.analysed,
            "cache_hits": result.cache_hits,
        },
    }


@contextmanager
def _progress_on_tty() -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr, shown only on a terminal and once work exceeds a second."""
    if not sys.stderr.isatty():
        yield None
        return
    started = time.monotonic()
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if time.monotonic() - started < PROGRESS_AFTER_SECONDS:
                return
            from rich.progress import Progress

            from bmad.cli.steps import stderr_console

            state["bar"] = Progress(console=stderr_console(), transient=True)
            state["bar"].start()
            state["task"] = state["bar"].add_task("scanning", total=total)
        state["bar"].update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


def render(document: dict[str, Any], top: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    functions = [
        (file["path"], function) for file in document["files"] for function in file["functions"]
    ]
    functions.sort(key=lambda pair: (-pair[1]["cognitive"], -pair[1]["ccn"], pair[0]))
    table = Table(
        title=f"Top {counted(min(top, len(functions)), 'function')} by cognitive complexity"
    )
    for column in ("function", "location", "cognitive", "ccn", "nesting", "nloc", "params"):
        if column in ("function", "location"):  # wrapped, never cut: they say where to look
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, justify="right")
    for path, function in functions[:top]:
        table.add_row(
            function["qualified_name"],
            f"{path}:{function['start_line']}",
            str(function["cognitive"]),
            str(function["ccn"]),
            str(function["max_nesting"]),
            str(function["nloc"]),
            str(function["params"]),
        )
    console.print(table)
    summary = document["summary"]
    languages = Table(title="Languages")
    for column in ("language", "files", "functions", "sloc"):
        languages.add_column(column, justify="left" if column == "language" else "right")
    for language, counts in summary["languages"].items():
        languages.add_row(
            language, str(counts["files"]), str(counts["functions"]), str(counts["sloc"])
        )
    console.print(languages)
    console.print(
        f"{counted(summary['files'], 'file')}, {counted(summary['functions'], 'function')} "
        f"in {summary['seconds']:.2f}s "
        f"({summary['analysed']} analysed, {summary['cache_hits']} from cache); "
        f"{len(document['skipped'])} skipped"
    )
    for item in document["skipped"][:20]:
        console.print(f"  skipped {item['path']}: {item['reason']}", style="dim", highlight=False)
    if len(document["skipped"]) > 20:
        console.print(f"  ... and {len(document['skipped']) - 20} more (see --json)", style="dim")


def _config_root(path: Path) -> Path:
    folder = path if path.is_dir() else path.parent
    repository = git.find_work_tree(folder) if folder.exists() else None
    return git.work_tree_root(repository) if repository is not None else folder


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@json_option
@click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes (0: one per CPU).")
@click.option(
    "--no-cache", is_flag=True, help="Parse everything; neither read nor write the cache."
)
@click.option(
    "--lang",
    "languages",
    multiple=True,
    type=click.Choice(LANGUAGE_NAMES, case_sensitive=False),
    help="Only these languages (repeatable).",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Functions listed by cognitive complexity (--json lists them all).",
)
@click.option(
    "--max-file-size", type=click.IntRange(min=1), help="Bytes; larger files are skipped."
)
@handle_errors
def scan(
    paths: tuple[Path, ...],
    as_json: bool,
    jobs: int | None,
    no_cache: bool,
    languages: tuple[str, ...],
    top: int,
    max_file_size: int | None,
) -> None:
    """Scan PATHs (default: the current folder) for per-function and per-file metrics.

    Inside a git work tree the tracked and unignored files are scanned; outside git the folder
    is walked, skipping VCS, dependency, build and virtualenv folders.
    """
    targets = list(paths) or [Path.cwd()]
    settings = config.load(_config_root(targets[0]))
    options = ScanOptions(
        jobs=jobs if jobs is not None else settings.integer("scan.jobs", 0),
        use_cache=not no_cache,
        languages=frozenset(name.lower() for name in languages) or None,
        max_file_size=(
            max_file_size
            if max_file_size is not None
            else settings.integer("scan.max_file_size", 1)
        ),
    )
    with _progress_on_tty() as progress:
        result = scan_paths(targets, options, progress)
    for warning in result.warnings:
        click.echo(f"bmad: warning: {warning}", err=True)
    document = scan_document(result)
    if as_json:
        echo_json(document)
    else:
        render(document, top)
