"""`bmad lsp`: the language server, over stdio (editors) or TCP on 127.0.0.1."""

from __future__ import annotations

import logging
import sys

import click

from bmad.cli._common import handle_errors
from bmad.errors import BmadError


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Speak LSP over stdin/stdout (the default).")
@click.option("--tcp", is_flag=True, help="Listen on TCP instead of stdio (127.0.0.1 only).")
@click.option("--port", type=click.IntRange(1, 65535), default=2087, show_default=True)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv: debug).")
@handle_errors
def lsp(stdio: bool, tcp: bool, port: int, verbose: int) -> None:
    """Run the bmad language server: findings, metrics and percentiles in the editor.

    Settings come from the client (initializationOptions, the "bmad" configuration section)
    over the [lsp] section of the bmad configuration.
    """
    if stdio and tcp:
        raise BmadError("choose either --stdio or --tcp")
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(stream=sys.stderr, level=level, format="%(name)s: %(message)s")
    from bmad.lsp.server import server

    if tcp:
        server.start_tcp("127.0.0.1", port)
    else:
        server.start_io()
