"""`bmad share enable|disable|status|preview`: consent, and what sharing would send."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bmad.cli._common import echo_json, handle_errors, json_option

if TYPE_CHECKING:
    from bmad.privacy.sharing import Preview

repo_argument = click.argument("repo", required=False, default=".", type=click.Path(path_type=Path))


@click.group("share")
def share() -> None:
    """Opt a repository in or out of federated learning, and preview what it would send."""


def _split_types(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@share.command("enable")
@repo_argument
@click.option(
    "--types",
    "types",
    multiple=True,
    help="Learning types to share (comma-separated or repeated; default: all).",
)
@json_option
@handle_errors
def enable(repo: Path, types: tuple[str, ...], as_json: bool) -> None:
    """Start sharing REPO's privacy-preserved statistics (sharing is off until you do)."""
    from bmad.privacy import consent
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import repository_key

    key = repository_key(repo)
    with open_privacy_store() as store:
        record = consent.enable(store, key, _split_types(types))
    if as_json:
        echo_json(record.to_dict())
        return
    click.echo(f"sharing enabled for {key}: {', '.join(record.learning_types)}")


@share.command("disable")
@repo_argument
@json_option
@handle_errors
def disable(repo: Path, as_json: bool) -> None:
    """Stop sharing anything from REPO."""
    from bmad.privacy import consent
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import repository_key

    key = repository_key(repo)
    with open_privacy_store() as store:
        record = consent.disable(store, key)
    if as_json:
        echo_json(record.to_dict())
        return
    click.echo(f"sharing disabled for {key}")


@share.command("status")
@json_option
@handle_errors
def status(as_json: bool) -> None:
    """Which repositories share which learning types, and since when."""
    from bmad.privacy import consent
    from bmad.privacy.db import open_privacy_store

    with open_privacy_store() as store:
        records = consent.all_consents(store)
        events = consent.history(store)
    if as_json:
        echo_json({"repositories": [r.to_dict() for r in records], "history": events})
        return
    if not records:
        click.echo("sharing is off for every repository (enable it with `bmad share enable`)")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("repository", "sharing", "learning types", "since")
    for record in records:
        state = "on" if record.enabled else "off"
        table.add_row(record.repository, state, ", ".join(record.learning_types), record.updated_at)
    Console().print(table)


@share.command("preview")
@repo_argument
@click.option("--type", "learning_type", help="One learning type (default: every type).")
@click.option("--all-bins", is_flag=True, help="Also list bins that are 0 before noise.")
@json_option
@handle_errors
def preview(repo: Path, learning_type: str | None, all_bins: bool, as_json: bool) -> None:
    """Show, bin by bin, what REPO would send: before and after noise. Spends no budget."""
    from bmad.cli.guarantees import federation_guarantees, guarantee_lines
    from bmad.privacy.collect import collect_local_statistics
    from bmad.privacy.schemas import LEARNING_TYPES, schema_for
    from bmad.privacy.sharing import preview, settings_for

    if learning_type is not None:
        schema_for(learning_type)  # unknown types fail before the scan
    settings = settings_for(repo if repo.is_dir() else None)
    collected = collect_local_statistics(repo)
    types = [learning_type] if learning_type else list(LEARNING_TYPES)
    previews = [preview(t, collected.statistics, settings) for t in types]
    units = federation_guarantees()
    if as_json:
        echo_json(
            {
                "previews": [p.to_dict() for p in previews],
                "privacy_units": units,
                "notes": collected.notes,
            }
        )
        return
    _render_previews(previews, all_bins)
    click.echo(
        "unit of privacy here: the repository's whole contribution, bounded and noised as "
        "`insights export` releases it"
    )
    if units is not None:
        click.echo("in the federation's rounds the noise protects, per learning type:")
        for line in guarantee_lines(units):
            click.echo(line)
    for note in collected.notes:
        click.echo(f"note: {note}", err=True)


def _render_previews(previews: list[Preview], all_bins: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for item in previews:
        plan = item.plan
        title = (
            f"{item.learning_type} v{item.schema_version}: {plan.mechanism} noise, "
            f"scale {plan.scale:.4g}, rho {plan.rho:.4g}"
            + (f", epsilon {plan.epsilon:.4g}" if plan.epsilon is not None else "")
        )
        if not item.available:
            console.print(f"{title}\n  no local data for this learning type yet")
            continue
        table = Table("bin", "before noise", "after noise", title=title, title_justify="left")
        hidden = 0
        for row in item.rows:
            if row.bounded == 0 and not all_bins:
                hidden += 1
                continue
            table.add_row(row.label, str(row.bounded), str(row.noisy))
        console.print(table)
        if hidden:
            console.print(f"  {hidden} more bins are 0 before noise (--all-bins lists them)")
