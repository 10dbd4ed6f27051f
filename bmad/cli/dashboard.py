"""``bmad dashboard``: serve the local insights dashboard on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import click

from bmad.cli._common import handle_errors
from bmad.errors import BmadError


@click.command("dashboard")
@click.argument("repo", default=".", type=click.Path(path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--no-open", is_flag=True, help="Print the address; do not open a browser.")
@handle_errors
def dashboard(repo: Path, port: int, no_open: bool) -> None:
    """Analyse REPO and serve its dashboard on 127.0.0.1: code map, findings, distributions,
    trends, architecture, privacy and federation. The printed address holds a random token
    that every request needs; nothing is served to other machines or fetched from them."""
    import threading
    import webbrowser

    from bmad.dashboard.model import gather
    from bmad.dashboard.server import DashboardServer, new_token

    try:
        server = DashboardServer(None, new_token(), port)
    except OSError as exc:
        raise BmadError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    # Served at once: until the analysis is done every page says so and reloads itself.
    serving = threading.Thread(target=server.serve_forever, name="dashboard", daemon=True)
    serving.start()
    try:
        click.echo(f"bmad dashboard: open {server.url}  (Ctrl-C stops it)")
        if not no_open:
            webbrowser.open(server.url)
        server.data = gather(repo, lambda step: click.echo(f"bmad dashboard: {step}...", err=True))
        click.echo("bmad dashboard: ready", err=True)
        serving.join()
    except KeyboardInterrupt:
        click.echo("bmad dashboard: stopped", err=True)
    finally:
        server.shutdown()
        server.server_close()
