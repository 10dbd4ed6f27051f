"""``bmad aggregator serve``: the federation's aggregator service (needs the aggregator extra)."""

from __future__ import annotations

from pathlib import Path

import click

from bmad.cli._common import handle_errors
from bmad.cli.aggregator_forward import forward


@click.group("aggregator")
def aggregator() -> None:
    """Run the aggregator that holds federations and secure-aggregation rounds."""


@aggregator.command("serve")
@click.option(
    "--database",
    "--db",
    "db_url",
    default=None,
    help="sqlite:///PATH or postgresql://USER@HOST/NAME of the aggregator database (default: "
    "aggregator.sqlite3 in bmad's data folder). A password is best left to ~/.pgpass or "
    "PGPASSWORD.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes serving the port; they share the database (PostgreSQL, or SQLite on "
    "this machine).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (127.0.0.1: this machine only).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8750,
    show_default=True,
    help="TCP port (0: any free port).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="TLS certificate chain (PEM), with --ssl-keyfile: serve HTTPS.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="TLS private key (PEM) of --ssl-certfile.",
)
@click.option(
    "--max-clock-skew",
    type=click.FloatRange(1, 3600),
    default=300.0,
    show_default=True,
    help="Seconds a signed request's timestamp may differ from the server clock.",
)
@handle_errors
def serve(
    db_url: str | None,
    host: str,
    port: int,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    max_clock_skew: float,
    workers: int,
) -> None:
    """Serve the aggregator API (OpenAPI at /docs) until interrupted."""
    from bmad import dirs
    from bmad.federation.service import serve as run

    database = db_url or f"sqlite:///{dirs.data_dir() / 'aggregator.sqlite3'}"
    run(database, host, port, ssl_certfile, ssl_keyfile, max_clock_skew, workers)


aggregator.add_command(forward)
