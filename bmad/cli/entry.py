"""The ``bmad`` console script and ``python -m bmad``.

Every command goes through click (:mod:`bmad.cli.main`) except the plainest form of
``bmad hook pre-commit [FILE ...] [--strict] [--json]``, which git runs on every commit: click's
import and group set-up alone take ~30 ms of the check's 150 ms budget. Anything else on that
command line (``--help``, ``--``, an unknown option) goes to click, which parses and reports it.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

PRE_COMMIT = ["hook", "pre-commit"]
FAST_FLAGS = frozenset({"--strict", "--json"})


def fast_pre_commit_arguments(arguments: Sequence[str]) -> tuple[list[str], bool, bool] | None:
    """(filenames, strict, as_json) when click would read ``arguments`` the same way."""
    if list(arguments[:2]) != PRE_COMMIT:
        return None
    rest = arguments[2:]
    if any(item.startswith("-") and item not in FAST_FLAGS for item in rest):
        return None
    filenames = [item for item in rest if item not in FAST_FLAGS]
    return filenames, "--strict" in rest, "--json" in rest


def exit_without_teardown(code: int) -> NoReturn:
    """End the process at once, without the interpreter's teardown (freeing every module costs
    ~5 ms, and git waits for the hook on every commit): once stdout and stderr are flushed and
    nothing is registered to run at exit; otherwise (a closed pipe, a handler) as usual."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # the interpreter reports the unflushable stream as it always has
    if atexit._ncallbacks():
        sys.exit(code)
    os._exit(code)


def main() -> None:
    parsed = fast_pre_commit_arguments(sys.argv[1:])
    if parsed is not None:
        from bmad.cli.precommit import pre_commit

        exit_without_teardown(pre_commit(*parsed))
    from bmad.cli.main import main as click_main

    click_main()
