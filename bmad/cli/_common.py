"""Helpers shared by the command modules: error handling and JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
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
