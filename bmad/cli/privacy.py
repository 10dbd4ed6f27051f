"""`bmad privacy budget|audit|keys`: the budget ledger, the audit log and the identity key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.errors import EXIT_FINDINGS, BmadError


@click.group("privacy")
def privacy() -> None:
    """Privacy budget, audit log and identity keys."""


@privacy.command("budget")
@click.argument("repo", required=False, type=click.Path(path_type=Path))
@click.option(
    "--privacy-budget",
    "budget_text",
    help='Show the usage against this per-repository budget, e.g. "epsilon=1.0,delta=1e-5", '
    "instead of [privacy] budget (nothing is saved).",
)
@click.option(
    "--period",
    "period",
    help="A past period: 2026-10 for monthly budgets, 2026-Q3 quarterly, 2026 yearly "
    "([privacy] period; default: the current one).",
)
@json_option
@handle_errors
def budget(repo: Path | None, budget_text: str | None, period: str | None, as_json: bool) -> None:
    """Total, spent, reserved and remaining budget, per learning type, for this period, and
    what was used of the lifetime budget over every period."""
    from dataclasses import replace

    from bmad.cli.guarantees import federation_guarantees, guarantee_lines
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.ledger import Budget, Usage
    from bmad.privacy.sharing import repository_key, settings_for

    settings = settings_for(repo if repo is not None and repo.is_dir() else None)
    if budget_text is not None:
        settings = replace(settings, repository_budget=Budget.parse(budget_text))
    with open_privacy_store() as store:
        settings = settings.for_machine(store)  # the organisation this machine joined for
        ledger = settings.ledger(store)
        subjects = [repository_key(repo)] if repo is not None else ledger.subjects("repository")
        period = ledger.checked_period(period) if period else ledger.current_period()
        usages: list[Usage] = [ledger.usage("repository", s, period) for s in subjects]
        usages.append(ledger.usage("organisation", settings.organisation, period))
    units = federation_guarantees()
    if as_json:
        echo_json(
            {"period": period, "usage": [u.to_dict() for u in usages], "privacy_units": units}
        )
        return
    click.echo(f"privacy budget, period {period}")
    if units is not None:
        click.echo("each round's spend protects, per learning type:")
        for line in guarantee_lines(units):
            click.echo(line)
    for usage in usages:
        limits = usage.budget
        used = "" if usage.spent is None else f"; used so far: epsilon {usage.spent.epsilon:.4g}"
        click.echo(
            f"{usage.scope} {usage.subject}: budget epsilon={limits.epsilon:g}, "
            f"delta={limits.delta:g} (rho {usage.total_rho:.4g}); spent rho "
            f"{usage.spent_rho:.4g}, reserved {usage.reserved_rho:.4g}, "
            f"remaining {usage.remaining_rho:.4g}{used}"
        )
        if usage.lifetime_rho is not None:
            click.echo(
                f"  lifetime (every period together): rho {usage.lifetime_used_rho:.4g} used of "
                f"{usage.lifetime_rho:.4g}"
            )
        for learning_type, amounts in sorted(usage.by_type.items()):
            click.echo(
                f"  {learning_type:<22} spent rho {amounts['spent_rho']:.4g}, "
                f"reserved {amounts['reserved_rho']:.4g}"
            )


@privacy.command("audit")
@click.option("--verify", "check", is_flag=True, help="Check the hash chain; exit 1 if broken.")
@json_option
@handle_errors
def audit_log(check: bool, as_json: bool) -> None:
    """The hash-chained log of payloads sent, budget spends and key events."""
    from bmad.privacy import audit
    from bmad.privacy.db import open_privacy_store

    with open_privacy_store() as store:
        entries = audit.entries(store)
        verification = audit.verify(store) if check else None
    if as_json:
        document: dict[str, Any] = {"entries": [e.to_dict() for e in entries]}
        if verification is not None:
            document["verification"] = {
                "ok": verification.ok,
                "entries": verification.entries,
                "problems": verification.problems,
            }
        echo_json(document)
    else:
        for entry in entries:
            details = ", ".join(f"{k}={v}" for k, v in sorted(entry.detail.items()))
            click.echo(f"{entry.seq:>6}  {entry.at}  {entry.kind:<17} {details}")
        if verification is not None:
            if verification.ok:
                click.echo(f"audit log intact: {verification.entries} entries")
            for problem in verification.problems:
                click.echo(f"audit log tampered: {problem}", err=True)
    if verification is not None and not verification.ok:
        sys.exit(EXIT_FINDINGS)


def _refuse_rotation_inside_a_federation() -> None:
    """The aggregator knows a member by its signing key and takes no rotation certificate: a
    rotated key would be refused from then on (a lone admin's federation would lose its admin)."""
    from bmad.federation import membership

    with membership.open_federation_store() as store:
        member = membership.current(store)
    if member is not None:
        raise BmadError(
            f"not rotated: this machine's key is registered as {member.organisation} "
            f"({member.role}) in federation {member.federation} at {member.aggregator}, which "
            "accepts no rotated key, so the new key would be locked out of it"
        )


@privacy.command("keys")
@click.option(
    "--rotate",
    is_flag=True,
    help="Replace the identity keys (certified by the old); refused while this machine is "
    "registered in a federation.",
)
@json_option
@handle_errors
def keys(rotate: bool, as_json: bool) -> None:
    """Show this participant's identity (created on first use); --rotate replaces it."""
    from bmad.privacy import identity
    from bmad.privacy.db import open_privacy_store

    with open_privacy_store() as store:
        current = identity.load_or_create_identity(store)
        if rotate:
            _refuse_rotation_inside_a_federation()
            current = identity.rotate_identity(store)
    public = current.public
    if as_json:
        echo_json(
            {
                **public.to_dict(),
                "created_at": current.created_at,
                "rotations": len(current.rotations),
            }
        )
        return
    click.echo(f"fingerprint {public.fingerprint} (since {current.created_at})")
