"""``bmad reputation update``: this organisation's signed rating of another member."""

from __future__ import annotations

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.errors import BmadError


@click.group("reputation")
def reputation() -> None:
    """Rate other member organisations (signed by this organisation's key)."""


@reputation.command("update")
@click.option("--participant", "target", required=True, help="The organisation rated.")
@click.option(
    "--contribution-quality",
    "quality",
    required=True,
    type=click.FloatRange(0.0, 1.0),
    help="How useful its contributions were, from 0 (harmful) to 1 (excellent).",
)
@json_option
@handle_errors
def update(target: str, quality: float, as_json: bool) -> None:
    """Rate ORG for this month; a later rating this month replaces this one."""
    from bmad.cli.federation import _context, _membership
    from bmad.federation.enrolment import organisation_key_path
    from bmad.federation.reputation.remote import rate
    from bmad.privacy.identity import load_identity

    path = organisation_key_path()
    if not path.exists():
        raise BmadError(
            f"this machine does not hold the organisation key ({path}): rate from the machine "
            "that created it, which signs for the organisation"
        )
    store, identity, settings = _context()
    with store:
        member = _membership(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            answer = rate(
                client, load_identity(path), member.federation, member.organisation, target, quality
            )
    if as_json:
        echo_json(answer)
        return
    replaced = answer.get("replaced")
    click.echo(
        f"{member.organisation} rated {target} {quality:g} for {answer['period']}"
        + ("" if replaced is None else f" (replacing {replaced:g})")
    )
