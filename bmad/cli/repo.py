"""`bmad repo add|remove|list`: the work trees the daemon keeps analysed."""

from __future__ import annotations

import os
from pathlib import Path

import click

from bmad.cli._common import echo_json, handle_errors, json_option


@click.group("repo")
def repo() -> None:
    """Register the repositories the daemon keeps analysed."""


def _notify_daemon(name: str, event: str) -> bool:
    from bmad.daemon.client import DaemonUnavailable, call

    try:
        call("notify", {"repository": name, "event": event}, timeout=2.0)
    except DaemonUnavailable:
        return False
    return True


@repo.command("add")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="Name to refer to it by (default: the folder name).")
@json_option
@handle_errors
def add(path: Path, name: str | None, as_json: bool) -> None:
    """Register the work tree at PATH (a clone, linked worktree or submodule checkout)."""
    from bmad.store.registry import add_repository, open_registry

    with open_registry() as store:
        repository, created = add_repository(store, path, name)
    notified = _notify_daemon(repository.name, "added")
    if as_json:
        echo_json(
            {
                "name": repository.name,
                "path": repository.path,
                "added": created,
                "daemon_notified": notified,
            }
        )
        return
    verb = "registered" if created else "already registered"
    click.echo(f"{repository.name}: {verb} ({repository.path})")
    if not notified:
        click.echo("the daemon is not running: it mines the repository when it starts", err=True)


@repo.command("remove")
@click.argument("key", metavar="NAME|PATH")
@json_option
@handle_errors
def remove(key: str, as_json: bool) -> None:
    """Unregister a repository and forget what was mined from it."""
    from bmad.store.registry import open_registry, remove_repository

    with open_registry() as store:
        repository = remove_repository(store, key)
    _notify_daemon(repository.name, "removed")
    if as_json:
        echo_json({"name": repository.name, "path": repository.path, "removed": True})
    else:
        click.echo(f"{repository.name}: removed ({repository.path})")


@repo.command("list")
@json_option
@handle_errors
def list_(as_json: bool) -> None:
    """The registered repositories and what the daemon has mined from them."""
    from bmad.store.registry import list_repositories, open_registry, repository_status

    with open_registry() as store:
        statuses = [repository_status(store, item) for item in list_repositories(store)]
    if as_json:
        echo_json([status.to_dict() for status in statuses])
        return
    if not statuses:
        click.echo("no repositories registered; add one with `bmad repo add PATH`")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "path", "last mined", "files", "functions", "pending", "error")
    home = str(Path.home())
    for status in statuses:
        shown_path = (
            status.path.replace(home, "~", 1) if status.path.startswith(home) else status.path
        )
        table.add_row(
            status.name,
            shown_path if status.exists else f"{shown_path} (missing)",
            (status.last_mined_commit or "-")[:12],
            str(status.files),
            str(status.functions),
            str(status.pending),
            status.last_error or "",
        )
    Console(width=int(os.environ.get("COLUMNS", "120"))).print(table)
