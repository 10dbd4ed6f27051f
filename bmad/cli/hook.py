"""`bmad hook pre-commit|post-commit|post-merge|post-checkout`: what the installed git hooks
run (the post-* scripts call :mod:`bmad.daemon.notify` directly, without click, to stay fast)."""

from __future__ import annotations

import sys

import click

from bmad.cli._common import echo_json, json_option


@click.group("hook")
def hook() -> None:
    """Git hook entry points (installed by `bmad hooks install`)."""


@hook.command("pre-commit")
@click.argument("filenames", nargs=-1, type=click.Path(path_type=str))
@click.option("--strict", is_flag=True, help="Exit 1 when something got worse.")
@json_option
def pre_commit(filenames: tuple[str, ...], strict: bool, as_json: bool) -> None:
    """Check the staged changes (of FILENAMES only, when given) against HEAD: new findings
    and functions that got worse. Warns and exits 0 unless strict. BMAD_SKIP=1 skips."""
    from bmad.cli.precommit import pre_commit as run_pre_commit

    code = run_pre_commit(filenames, strict, as_json)
    if code:
        sys.exit(code)


def _notify_command(name: str) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True})
    @click.argument("git_arguments", nargs=-1, type=click.UNPROCESSED)
    @json_option
    def command(git_arguments: tuple[str, ...], as_json: bool) -> None:
        from bmad.daemon.notify import notify, work_tree

        queued = notify(name, work_tree())
        if as_json:
            echo_json({"hook": name, "queued": queued})

    command.help = f"Tell the daemon to mine the new state after git's {name}; never fails."
    return command


for _name in ("post-commit", "post-merge", "post-checkout"):
    hook.add_command(_notify_command(_name))
