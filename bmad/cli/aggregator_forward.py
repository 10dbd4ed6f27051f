"""``bmad aggregator forward``: a child federation's released result takes part in a parent
federation's open rounds as one participant (``bmad.federation.hierarchy``)."""

from __future__ import annotations

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.errors import BmadError

NOT_TAKEN_PART = ("refused", "aborted", "dropped")


@click.command("forward")
@click.option("--child", "child_id", required=True, help="The federation whose release goes up.")
@click.option(
    "--parent", "parent_id", required=True, help="The federation this machine joined above it."
)
@click.option("--learning-type", required=True, help="The learning type to forward.")
@json_option
@handle_errors
def forward(child_id: str, parent_id: str, learning_type: str, as_json: bool) -> None:
    """On the child aggregator's host, a member of both: forward the child's latest release
    to the parent's open rounds. Running it is this machine's consent for that learning type
    (kept in the consent history); the child's signed rules must name the parent.

    Exit 1 when a parent round was refused, aborted or dropped."""
    from bmad.cli.federation import _context, _federation_id
    from bmad.federation import hierarchy, membership
    from bmad.privacy.sharing import settings_for

    store, identity, settings = _context()
    with store:
        child = membership.current(store, _federation_id(child_id))
        parent = membership.current(store, _federation_id(parent_id))
        if child is None or parent is None:
            raise BmadError(
                "this machine must be a member of both federations: join the parent with "
                "`bmad federation join` on the child aggregator's admin machine"
            )
        hierarchy.allow_forwarding(store, child.federation, learning_type)
        outcomes = hierarchy.forward_release(
            store,
            identity,
            child,
            parent,
            learning_type,
            settings=settings_for(),
            federation=settings,
        )
    if as_json:
        echo_json([outcome.to_dict() for outcome in outcomes])
    elif not outcomes:
        click.echo(f"no open {learning_type} round in {parent.federation}, or no release yet")
    for outcome in [] if as_json else outcomes:
        click.echo(f"{outcome.round} {outcome.learning_type}: {outcome.outcome} ({outcome.detail})")
    if any(outcome.outcome in NOT_TAKEN_PART for outcome in outcomes):
        raise SystemExit(1)
