"""`bmad insights ...`: what bmad learned, locally and from the federation.

One function per subcommand; add a command with ``@insights.command(...)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.errors import BmadError


@click.group("insights")
def insights() -> None:
    """Insights from this machine's repositories and from the federation."""


@insights.command("export")
@click.option(
    "--learning-outcomes", is_flag=True, help="Include this machine's privacy-preserved payloads."
)
@click.option(
    "--privacy-preserved",
    is_flag=True,
    help="Required: only noisy, bounded payloads are exported, never raw statistics.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="File to write (default: stdout)."
)
@json_option
@handle_errors
def export(
    learning_outcomes: bool, privacy_preserved: bool, output: Path | None, as_json: bool
) -> None:
    """Write privacy-preserved learning outcomes and cached global insights as JSON
    (to stdout, or to FILE with --output; --json then reports what was written).

    Each exported payload is charged to the privacy budget like an upload. Only repositories
    whose owner ran `bmad share enable` are exported, only their consented learning types.
    """
    if not privacy_preserved:
        raise BmadError("only --privacy-preserved exports exist: raw statistics never leave bmad")
    from bmad.privacy import consent
    from bmad.privacy.collect import collect_local_statistics
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import abandon, confirm_sent, prepare_export, settings_for

    settings = settings_for()
    with open_privacy_store() as store:
        statistics = {}
        if learning_outcomes:
            for record in consent.all_consents(store):
                if record.enabled and Path(record.repository).is_dir():
                    statistics[record.repository] = collect_local_statistics(
                        Path(record.repository)
                    ).statistics
        result = prepare_export(store, settings, statistics, learning_outcomes)
        text = json.dumps(result.document, indent=2) + "\n"
        try:
            if output is None:
                click.echo(text, nl=False)
            else:
                output.write_text(text, encoding="utf-8")
        except OSError as exc:
            for release in result.releases:
                abandon(store, settings, release)
            raise BmadError(f"cannot write {output}: {exc.strerror}") from None
        destination = "export:stdout" if output is None else "export:file"
        for release in result.releases:
            confirm_sent(store, settings, release, destination)
    if output is None:
        return
    count = len(result.document["learning_outcomes"])
    if as_json:  # the document went to the file; stdout gets what happened
        echo_json({"output": str(output), "payloads": count, "skipped": result.document["skipped"]})
    else:
        click.echo(f"wrote {count} privacy-preserved payloads to {output}", err=True)
        for item in result.document["skipped"]:
            click.echo(f"not exported: {item['learning_type']} ({item['reason']})", err=True)


def _register_patterns() -> None:
    from bmad.cli.insights_patterns import patterns

    insights.add_command(patterns)


_register_patterns()
