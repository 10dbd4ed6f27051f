"""``bmad hook pre-commit`` itself: what both the click command and the console script's
click-free fast path (:mod:`bmad.cli.entry`) run. Output and exit codes are the command's:
0 (warned, or nothing worse), 1 (something worse, strict), 2 (a usage or repository error)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bmad.errors import BmadError

SKIP_VARIABLE = "BMAD_SKIP"


def pre_commit(filenames: Sequence[str], strict: bool, as_json: bool) -> int:
    """Check the staged change, print the report, and return the exit code."""
    try:
        return _pre_commit(filenames, strict, as_json)
    except BmadError as exc:
        sys.stderr.write(f"bmad: error: {exc.message}\n")
        return exc.exit_code


def _pre_commit(filenames: Sequence[str], strict: bool, as_json: bool) -> int:
    if os.environ.get(SKIP_VARIABLE) == "1":
        if as_json:
            _print_json({"skipped": f"{SKIP_VARIABLE}=1", "regressions": []})
        return 0
    from bmad import config
    from bmad.daemon.hook_client import ask_daemon
    from bmad.hooks import gitcli
    from bmad.hooks.precommit import check_staged
    from bmad.hooks.settings import hook_settings

    here = Path.cwd()
    with gitcli.StagedReads(here) as reads:
        paths = gitcli.repository_paths(here)
        settings = hook_settings(config.load(paths.top_level))
        strict = strict or settings.strict
        report = check_staged(paths, settings, filenames or None, ask_daemon, reads)
    if as_json:
        _print_json({**report, "strict": strict})
    else:
        from bmad.hooks.render import print_report

        print_report(report, strict)
    return 1 if strict and (report["regressions"] or report.get("decisions")) else 0


def _print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
