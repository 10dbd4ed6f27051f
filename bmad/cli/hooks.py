"""`bmad hooks install|uninstall|status`."""

from __future__ import annotations

from pathlib import Path

import click

from bmad.cli._common import echo_json, handle_errors, json_option

repo_argument = click.argument(
    "repo", required=False, default=".", type=click.Path(path_type=Path, file_okay=False)
)


@click.group("hooks")
def hooks() -> None:
    """Install bmad's git hooks (pre-commit warnings, post-commit mining)."""


def _hooks_directory(repo: Path) -> Path:
    from bmad.errors import BmadError
    from bmad.hooks.gitcli import hooks_directory

    if not repo.is_dir():
        raise BmadError(f"{repo}: no such directory")
    try:
        return hooks_directory(repo)
    except BmadError as exc:  # git's own message does not say which folder it looked at
        raise BmadError(f"{repo}: {exc.message}") from None


@hooks.command("install")
@repo_argument
@click.option(
    "--strict", is_flag=True, help="The pre-commit hook blocks commits that make things worse."
)
@json_option
@handle_errors
def install(repo: Path, strict: bool, as_json: bool) -> None:
    """Install the pre-commit, post-commit, post-merge and post-checkout hooks into the hooks
    directory git uses for REPO (default: here); existing hooks are kept and run first."""
    from bmad.hooks.install import install as install_hooks

    directory = _hooks_directory(repo)
    changes = install_hooks(directory, strict)
    if as_json:
        echo_json(
            {
                "hooks_directory": str(directory),
                "strict": strict,
                "hooks": [c.to_dict() for c in changes],
            }
        )
        return
    for change in changes:
        note = " (the existing hook runs first)" if change.action == "chained" else ""
        click.echo(f"{change.action:9} {change.path}{note}")


@hooks.command("uninstall")
@repo_argument
@json_option
@handle_errors
def uninstall(repo: Path, as_json: bool) -> None:
    """Remove bmad's hooks from REPO and put back the hooks they chained."""
    from bmad.hooks.install import uninstall as uninstall_hooks

    directory = _hooks_directory(repo)
    changes = uninstall_hooks(directory)
    if as_json:
        echo_json({"hooks_directory": str(directory), "hooks": [c.to_dict() for c in changes]})
        return
    for change in changes:
        click.echo(f"{change.action:12} {change.path}")


STATE_NOTES = {
    "outdated": "written by another bmad version or edited; run `bmad hooks install` again",
    "python-missing": "the Python it runs is gone; run `bmad hooks install` again",
    "foreign": "not bmad's; `bmad hooks install` keeps it and runs it first",
}


@hooks.command("status")
@repo_argument
@json_option
@handle_errors
def status(repo: Path, as_json: bool) -> None:
    """Which of bmad's hooks REPO has and whether each is what this bmad would write; exit 1
    when one is outdated or its Python is gone."""
    from bmad.hooks.install import status as hook_status

    directory = _hooks_directory(repo)
    states = hook_status(directory)
    stale = any(state.state in ("outdated", "python-missing") for state in states)
    if as_json:
        echo_json({"hooks_directory": str(directory), "hooks": [s.to_dict() for s in states]})
    else:
        for state in states:
            chained = " (runs the previous hook first)" if state.chained else ""
            note = STATE_NOTES.get(state.state)
            click.echo(f"{state.state:14} {state.path}{chained}" + (f": {note}" if note else ""))
    if stale:
        raise SystemExit(1)
