"""``bmad trust analyze|access``: an organisation's reputation, and this organisation's access."""

from __future__ import annotations

import sys
from typing import Any

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.errors import EXIT_FINDINGS


@click.group("trust")
def trust() -> None:
    """Reputation of member organisations and attribute-based access decisions."""


@trust.command("analyze")
@click.option("--organization", "organisation", required=True, help="The organisation to show.")
@click.option(
    "--reputation-metrics",
    is_flag=True,
    help="Also list the evidence (events, ratings) and the score's history.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Recompute every reputation from the federation's evidence and its audit-log hash "
    "chain, and compare with what the aggregator states; exit 1 on a mismatch.",
)
@json_option
@handle_errors
def analyze(organisation: str, reputation_metrics: bool, verify: bool, as_json: bool) -> None:
    """ORG's beta reputation: score, 90% credible interval, level, credits; exit 1 when the
    organisation is untrusted (or, with --verify, when the evidence does not bear it out)."""
    from bmad.cli.federation import _context, _membership
    from bmad.federation.reputation.evidence import check, keep_head, kept_head
    from bmad.federation.reputation.remote import reputation, reputation_evidence

    store, identity, settings = _context()
    verification = None
    with store:
        member = _membership(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            document = reputation(client, member.federation, organisation)
            if verify:
                kept = kept_head(store, member.federation)
                since = None if kept is None else kept.seq
                evidence = reputation_evidence(client, member.federation, since)
                verification = check(evidence, kept)
                verification.compare(document["organisation"], document["reputation"]["score"])
                keep_head(store, member.federation, verification)
    if not reputation_metrics:
        for key in ("events", "ratings", "history"):
            document.pop(key, None)
    if verification is not None:
        document["verification"] = verification.to_dict()
    if as_json:
        echo_json(document)
    else:
        _render(document)
        if verification is not None:
            _render_verification(verification.to_dict())
    if verification is not None and not verification.verified:
        sys.exit(EXIT_FINDINGS)
    if document["reputation"]["level"] == "untrusted":
        sys.exit(EXIT_FINDINGS)


def _render_verification(verification: dict[str, Any]) -> None:
    head = verification["head"]
    where = f"audit head {head['seq']} {head['hash'][:16]}" if head else "no audit entries"
    verdict = "verified" if verification["verified"] else "MISMATCH"
    click.echo(
        f"evidence {verdict}: {verification['entries_checked']} audit entries checked, {where}"
    )
    for row in verification["organisations"]:
        click.echo(
            f"  {'ok ' if row['agrees'] else 'NO '} {row['organisation']}: stated "
            f"{row['stated_score']:.3f}, recomputed {row['recomputed_score']:.3f}"
        )
    for problem in verification["problems"]:
        click.echo(f"  problem: {problem}")


def _render(document: dict[str, Any]) -> None:
    state = document["reputation"]
    low, high = state["interval"]
    evidence = state["evidence"]
    click.echo(
        f"{document['organisation']}: {state['level']}, score {state['score']:.3f} "
        f"({round(state['credible_mass'] * 100)}% interval {low:.3f}-{high:.3f}; "
        f"Beta({state['alpha']:.2f}, {state['beta']:.2f}))"
    )
    click.echo(
        f"evidence: events +{evidence['events']['positive']:.2f} "
        f"-{evidence['events']['negative']:.2f}, ratings +{evidence['ratings']['positive']:.2f} "
        f"-{evidence['ratings']['negative']:.2f} (x{evidence['rating_scale']:.2f} after the cap)"
    )
    held = document["credits"]
    unlocked = ", ".join(action for action, ok in held["unlocked"].items() if ok) or "nothing"
    click.echo(
        f"credits: {held['balance']:g} from {held['rounds']} rounds, active until "
        f"{held['active_until'][:10]}; unlocks {unlocked}"
    )
    for event in document.get("events", []):
        click.echo(f"  {event['at'][:19]} {event['kind']} round {event['round']}")
    for rating in document.get("ratings", []):
        click.echo(
            f"  {rating['at'][:19]} rated {rating['quality']:g} by {rating['rater']} "
            f"(weight {rating['rater_weight']:.3f})"
        )
    for point in document.get("history", []):
        click.echo(
            f"  {point['at'][:19]} after {point['after']}: {point['score']:.3f} {point['level']}"
        )


@trust.command("access")
@click.option(
    "--action",
    required=True,
    type=click.Choice(["open_round", "read_insights", "export_insights"]),
    help="The action to ask about: open a round, read insights or export them.",
)
@click.option("--learning-type", default=None, help="The learning type asked for.")
@click.option("--purpose", default=None, help="The purpose stated (e.g. research).")
@json_option
@handle_errors
def access(action: str, learning_type: str | None, purpose: str | None, as_json: bool) -> None:
    """The decision this organisation would get, with every check; exit 1 when denied."""
    from bmad.cli.federation import _context, _membership
    from bmad.federation.reputation.remote import access_decision

    store, identity, settings = _context()
    with store:
        member = _membership(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            decision = access_decision(client, member.federation, action, learning_type, purpose)
    if as_json:
        echo_json(decision)
    else:
        verdict = "allowed" if decision["allowed"] else "denied"
        click.echo(f"{action} for {decision['organisation']}: {verdict}")
        for check in decision["checks"]:
            click.echo(
                f"  {'ok ' if check['passed'] else 'NO '} {check['check']}: {check['detail']}"
            )
    if not decision["allowed"]:
        sys.exit(EXIT_FINDINGS)
