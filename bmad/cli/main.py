"""Entry point. Subcommands are imported lazily so ``bmad --help`` and ``--version`` stay fast."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from bmad import __version__
from bmad.errors import BmadError

# name -> ("module:attribute", one-line help shown by `bmad --help` without importing it)
COMMANDS: dict[str, tuple[str, str]] = {
    "architecture": (
        "bmad.cli.architecture:architecture",
        "Import graph: cycles, coupling, hubs, layer violations, dependencies.",
    ),
    "history": ("bmad.cli.history:history", "Workflow measures mined from git history."),
    "scan": ("bmad.cli.scan:scan", "Per-function and per-file code metrics with tree-sitter."),
    "repo": ("bmad.cli.repo:repo", "Register the repositories the daemon keeps analysed."),
    "daemon": ("bmad.cli.daemon:daemon", "Run the background daemon and query its status."),
    "share": ("bmad.cli.share:share", "Opt repositories in or out of sharing; preview payloads."),
    "privacy": ("bmad.cli.privacy:privacy", "Privacy budget, audit log and identity keys."),
    "insights": ("bmad.cli.insights:insights", "Insights locally and from the federation; export."),
    "aggregator": ("bmad.cli.aggregator:aggregator", "Serve the federation aggregator."),
    "federation": ("bmad.cli.federation:federation", "Create, join and inspect a federation."),
    "learn": (
        "bmad.cli.learn:learn",
        "Ranked anti-patterns of a repository; patterns across a federation.",
    ),
    "lsp": ("bmad.cli.lsp:lsp", "Language server: findings and metrics in the editor."),
    "hooks": ("bmad.cli.hooks:hooks", "Install or uninstall bmad's git hooks."),
    "hook": ("bmad.cli.hook:hook", "Git hook entry points: pre-commit check, post-commit notify."),
    "dashboard": ("bmad.cli.dashboard:dashboard", "Local insights dashboard in the browser."),
    "trust": ("bmad.cli.trust:trust", "Reputation of member organisations; access decisions."),
    "reputation": ("bmad.cli.reputation:reputation", "Rate another member organisation."),
    "governance": (
        "bmad.cli.governance:governance",
        "Consortium rules: review, compliance check, proposals approved by quorum.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target[0].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bmad")
def cli() -> None:
    """bmad: local-first code intelligence with privacy-preserving federated learning."""


UNWRAPPED_COLUMNS = 10_000


def unwrap_when_piped() -> None:
    """On a pipe or in a file, rich would wrap every table and line at 80 columns, breaking
    words: give it a width no table reaches (rich reads COLUMNS; one the user set wins)."""
    if "COLUMNS" not in os.environ and not sys.stdout.isatty():
        os.environ["COLUMNS"] = str(UNWRAPPED_COLUMNS)


def main(argv: list[str] | None = None) -> Any:
    unwrap_when_piped()
    try:
        return cli.main(args=argv, prog_name="bmad", standalone_mode=True)
    except BmadError as exc:  # raised outside a command's own handler (e.g. during import)
        click.echo(f"bmad: error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
