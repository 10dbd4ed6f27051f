"""``bmad hooks status``: a hook an older bmad wrote is found out and named, with the fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.hooks.install import HOOK_NAMES, install


def run_status(repo: Path) -> tuple[int, dict[str, dict[str, object]], str]:
    result = CliRunner().invoke(cli, ["hooks", "status", str(repo), "--json"])
    document = json.loads(result.stdout)
    return result.exit_code, {row["hook"]: row for row in document["hooks"]}, result.stderr


def test_before_installing_every_hook_is_absent(new_repo: Callable[..., Path]) -> None:
    code, hooks, _ = run_status(new_repo())
    assert code == 0
    assert {name: row["state"] for name, row in hooks.items()} == dict.fromkeys(
        HOOK_NAMES, "absent"
    )


def test_freshly_installed_hooks_are_current_and_report_their_mode(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo()
    install(repo / ".git" / "hooks", strict=True)
    code, hooks, _ = run_status(repo)
    assert code == 0
    assert {row["state"] for row in hooks.values()} == {"current"}
    assert hooks["pre-commit"]["strict"] is True
    assert hooks["post-commit"]["strict"] is None


def test_a_hook_from_before_the_notifier_moved_is_outdated(new_repo: Callable[..., Path]) -> None:
    repo = new_repo()
    directory = repo / ".git" / "hooks"
    install(directory, strict=False)
    hook = directory / "post-commit"
    # what bmad wrote before the notifier moved from bmad.hooks to bmad.daemon: it now does
    # nothing at all, silently (its output goes to /dev/null)
    hook.write_text(hook.read_text().replace("bmad.daemon.notify", "bmad.hooks.notify"))

    code, hooks, _ = run_status(repo)
    assert code == 1
    assert hooks["post-commit"]["state"] == "outdated"
    assert hooks["pre-commit"]["state"] == "current"

    human = CliRunner().invoke(cli, ["hooks", "status", str(repo)])
    assert human.exit_code == 1
    assert "outdated" in human.stdout and "run `bmad hooks install` again" in human.stdout

    install(directory, strict=False)
    assert run_status(repo)[0] == 0


def test_a_hook_whose_python_is_gone_is_reported(
    new_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = new_repo()
    install(repo / ".git" / "hooks", strict=False, python=str(tmp_path / "gone" / "python"))
    code, hooks, _ = run_status(repo)
    assert code == 1
    assert {row["state"] for row in hooks.values()} == {"python-missing"}


def test_a_foreign_hook_is_named_and_a_chained_one_is_shown(new_repo: Callable[..., Path]) -> None:
    repo = new_repo()
    directory = repo / ".git" / "hooks"
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("pre-commit", "post-merge"):
        (directory / name).write_text("#!/bin/sh\nexit 0\n")
        (directory / name).chmod(0o755)
    assert run_status(repo)[1]["pre-commit"]["state"] == "foreign"

    install(directory, strict=False)
    code, hooks, _ = run_status(repo)
    assert code == 0
    assert hooks["pre-commit"]["chained"] is True and hooks["post-merge"]["chained"] is True
    assert hooks["post-commit"]["chained"] is False
