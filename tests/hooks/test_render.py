"""The pre-commit report as plain text: same lines as the JSON says, colour only on a tty."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bmad.hooks import render
from bmad.hooks.check import CheckReport
from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, git, run, write


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _bad_change(new_repo: Callable[..., Path]) -> Path:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    return repo


def test_the_hook_prints_plain_lines_without_importing_rich(
    new_repo: Callable[..., Path],
) -> None:
    repo = _bad_change(new_repo)
    script = (
        "import sys\n"
        "from bmad.cli.main import cli\n"
        "try:\n"
        "    cli.main(['hook', 'pre-commit'], standalone_mode=False)\n"
        "finally:\n"
        "    print('rich imported' if 'rich' in sys.modules else 'no rich', file=sys.stderr)\n"
    )
    completed = run(repo, sys.executable, "-c", script)
    assert completed.stderr.strip().splitlines()[-1] == "no rich"
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("bmad: 1 function got worse in 1 of 1 staged files (a warning")
    assert lines[1].startswith("  app.py:1 parse_args: cognitive 1 -> ")
    assert "\x1b[" not in completed.stdout


def test_an_empty_report_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    render.print_report(CheckReport().to_dict(), strict=True)
    assert capsys.readouterr().out == ""


def _report(new_repo: Callable[..., Path]) -> dict[str, Any]:
    from bmad import config
    from bmad.hooks.gitcli import repository_paths
    from bmad.hooks.precommit import check_staged
    from bmad.hooks.settings import hook_settings

    repo = _bad_change(new_repo)
    return check_staged(repository_paths(repo), hook_settings(config.load(repo)))


def test_the_first_line_is_bold_yellow_on_a_terminal_only(
    new_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    report = _report(new_repo)
    lines = render.report_lines(report, strict=True)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    render.print_report(report, strict=True)
    assert terminal.getvalue().splitlines() == [f"\x1b[1;33m{lines[0]}\x1b[0m", *lines[1:]]
    assert lines[-1].startswith("commit blocked")
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    render.print_report(report, strict=True)
    assert terminal.getvalue().splitlines() == lines


def _regression(path: str, kind: str) -> dict[str, Any]:
    return {
        "path": path,
        "line": 1,
        "kind": kind,
        "summary": "f: cognitive 20",
        "renamed_from": None,
        "new_findings": [],
        "standing": {},
    }


def test_the_headline_tells_new_functions_from_worse_ones() -> None:
    def headline(*kinds: str) -> str:
        report = {
            **CheckReport().to_dict(),
            "regressions": [_regression(f"m{i}.py", kind) for i, kind in enumerate(kinds)],
            "checked": [f"m{i}.py" for i in range(len(kinds))],
        }
        return render.report_lines(report, strict=True)[0]

    assert headline("new") == "bmad: 1 new function with findings in 1 of 1 staged files"
    assert headline("changed", "renamed") == "bmad: 2 functions got worse in 2 of 2 staged files"
    assert headline("changed", "new", "new") == (
        "bmad: 1 function got worse and 2 new functions with findings in 3 of 3 staged files"
    )
