"""`bmad daemon start|stop|status|install-service`."""

from __future__ import annotations

import time
from typing import Any

import click

from bmad.cli._common import echo_json, handle_errors, json_option


@click.group("daemon")
def daemon() -> None:
    """Run the background daemon that keeps registered repositories analysed."""


@daemon.command("start")
@click.option("--foreground", is_flag=True, help="Run in this process instead of detaching.")
@click.option("--no-stderr", is_flag=True, hidden=True, help="Log to the log file only.")
@json_option
@handle_errors
def start(foreground: bool, no_stderr: bool, as_json: bool) -> None:
    """Start the daemon (detached unless --foreground)."""
    from bmad.daemon import process

    if foreground:
        process.run_foreground(log_to_stderr=not no_stderr)
        return
    pid = process.start_background()
    if as_json:
        echo_json({"running": True, "pid": pid})
    else:
        click.echo(f"bmad daemon started (pid {pid})")


@daemon.command("stop")
@json_option
@handle_errors
def stop(as_json: bool) -> None:
    """Stop the daemon and wait until it has exited."""
    from bmad.daemon import process

    pid = process.stop()
    if as_json:
        echo_json({"stopped": pid is not None, "pid": pid})
    elif pid is None:
        click.echo("the bmad daemon is not running")
    else:
        click.echo(f"bmad daemon stopped (pid {pid})")


def _offline_status() -> dict[str, Any]:
    from bmad.store.registry import list_repositories, open_registry, repository_status

    with open_registry() as store:
        rows = [repository_status(store, item).to_dict() for item in list_repositories(store)]
    return {"running": False, "repositories": rows}


def _render_status(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if document["running"]:
        cpu = document["cpu_seconds"]
        console.print(
            f"bmad daemon {document['version']} running: pid {document['pid']}, "
            f"up {document['uptime_seconds']:.0f} s, RSS {document['rss_bytes'] / 2**20:.1f} MiB, "
            f"CPU {cpu['user'] + cpu['system']:.2f} s, steps: {', '.join(document['steps'])}"
        )
    else:
        console.print("bmad daemon: not running")
    table = Table("name", "state", "last mined", "files", "functions", "pending", "last error")
    for row in document["repositories"]:
        state = row.get("state") or ("missing" if not row["exists"] else "-")
        table.add_row(
            row["name"],
            state,
            (row["last_mined_commit"] or "-")[:12],
            str(row["files"]),
            str(row["functions"]),
            str(row["pending"]),
            row["last_error"] or "",
        )
    if document["repositories"]:
        console.print(table)


@daemon.command("status")
@json_option
@handle_errors
def status(as_json: bool) -> None:
    """Pid, uptime, resources and per-repository mining state."""
    from bmad.daemon.client import DaemonUnavailable, call

    try:
        document: dict[str, Any] = {"running": True, **call("status")}
    except DaemonUnavailable:
        document = _offline_status()
    document.setdefault("checked_at", time.time())
    if as_json:
        echo_json(document)
    else:
        _render_status(document)


@daemon.command("install-service")
@click.option("--print", "print_only", is_flag=True, help="Show the definition, write nothing.")
@json_option
@handle_errors
def install_service(print_only: bool, as_json: bool) -> None:
    """Start the daemon at login: a systemd user unit (Linux) or a launchd agent (macOS)."""
    from bmad.daemon.unit import install, service_file

    service = service_file()
    if not print_only:
        install(service)
    if as_json:
        echo_json(
            {
                "path": str(service.path),
                "written": not print_only,
                "activate": service.activate,
                "text": service.text,
            }
        )
    elif print_only:
        click.echo(service.text, nl=False)
    else:
        click.echo(f"wrote {service.path}\nenable it with: {service.activate}")
