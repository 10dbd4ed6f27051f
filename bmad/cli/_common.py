"""What the command modules share: error handling, JSON output and words for counts."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from bmad.errors import BmadError

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`BmadError` into a one-line message on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except BmadError as exc:
            click.echo(f"bmad: error: {exc.message}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, sort_keys=False))


json_option = click.option("--json", "as_json", is_flag=True, help="Machine output on stdout.")


def plot_option(draws: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--plot FILE.png`` for a command that also draws ``draws``."""
    return click.option(
        "--plot",
        "plot_path",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help=f"Also draw {draws} into this PNG file (needs the plot extra: "
        "pip install 'bmad[plot]').",
    )


def save_plot(figure: Any, path: Path) -> None:
    """Write a ``bmad.dashboard.plots`` figure and say where (on stderr: --json stays clean)."""
    from bmad.dashboard.plots import save_png

    save_png(figure, path)
    click.echo(f"plot written to {path}", err=True)


def write_sarif(path: Path, document: dict[str, Any]) -> None:
    """Write through a temporary file so a failed write never leaves half a report."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(json.dumps(document, indent=2), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise BmadError(f"cannot write the SARIF file {path}: {exc.strerror or exc}") from exc


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 cycle', '2 cycles', '3 dependencies' (``plural`` when adding an s is wrong)."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def rule_list(rule_ids: Iterable[str]) -> str:
    """Each rule id once, in first-seen order, with how often it fired when more than once:
    'hotspot, change-coupled-across-modules (x2)'."""
    times: dict[str, int] = {}
    for rule_id in rule_ids:
        times[rule_id] = times.get(rule_id, 0) + 1
    return ", ".join(f"{rule} (x{n})" if n > 1 else rule for rule, n in times.items())
