"""Every command and option of the CLI explains itself in --help."""

from __future__ import annotations

from collections.abc import Iterator

import click

from bmad.cli.main import cli


def commands(group: click.Group, context: click.Context) -> Iterator[tuple[str, click.Command]]:
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            for path, inner in commands(command, context):
                yield f"{name} {path}", inner
        else:
            yield name, command


def test_every_command_and_option_has_help() -> None:
    context = click.Context(cli)
    missing = [
        f"bmad {path} {'/'.join(param.opts)}"
        for path, command in commands(cli, context)
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    missing += [f"bmad {path}" for path, command in commands(cli, context) if not command.help]

    assert missing == []
