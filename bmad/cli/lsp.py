"""`bmad lsp`: the language server, over stdio (editors) or TCP on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import sys

import click
from click.core import ParameterSource

from bmad.cli._common import handle_errors
from bmad.errors import BmadError


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Speak LSP over stdin/stdout (the default).")
@click.option("--tcp", is_flag=True, help="Listen on TCP instead of stdio (127.0.0.1 only).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=2087,
    show_default=True,
    help="TCP port to listen on (with --tcp).",
)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv: debug).")
@handle_errors
def lsp(stdio: bool, tcp: bool, port: int, verbose: int) -> None:
    """Run the bmad language server: findings, metrics and percentiles in the editor.

    Settings come from the client (initializationOptions, the "bmad" configuration section)
    over the [lsp] section of the bmad configuration.
    """
    if stdio and tcp:
        raise BmadError("choose either --stdio or --tcp")
    port_given = click.get_current_context().get_parameter_source("port")
    if port_given is ParameterSource.COMMANDLINE and not tcp:
        raise BmadError("--port needs --tcp (without it the server speaks over stdio)")
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(stream=sys.stderr, level=level, format="%(name)s: %(message)s")
    from bmad.lsp.server import server

    if tcp:
        try:
            server.start_tcp("127.0.0.1", port)
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise BmadError(f"cannot listen on 127.0.0.1:{port}: {reason}") from None
    else:
        if sys.stdin.isatty():  # started by hand: an editor talks to it, not a person
            click.echo(
                "bmad lsp speaks the Language Server Protocol on stdin/stdout for an editor "
                "(set-up: editors/README.md); Ctrl-D or Ctrl-C ends it",
                err=True,
            )
        server.start_io()
