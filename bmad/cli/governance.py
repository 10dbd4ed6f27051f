"""``bmad governance review|propose|approve|proposals|token``: the consortium's rules, changed
only by a quorum of member organisations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.errors import EXIT_FINDINGS, BmadError

if TYPE_CHECKING:
    from bmad.federation.client import AggregatorClient
    from bmad.federation.membership import Membership
    from bmad.privacy.identity import Identity
    from bmad.store.connection import Store


@contextmanager
def _session() -> Iterator[tuple[Store, Membership, AggregatorClient]]:
    """This machine's store, its federation membership and a client for its aggregator."""
    from bmad.federation import membership
    from bmad.federation.participant import open_participant_store
    from bmad.federation.settings import federation_settings
    from bmad.privacy.identity import load_or_create_identity

    settings = federation_settings()
    with open_participant_store() as store:
        member = membership.current(store)
        if member is None:
            raise BmadError(
                "no federation is configured: run `bmad federation join` (or `federation create`)"
            )
        identity = load_or_create_identity(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            yield store, member, client


def _organisation_key() -> Identity:
    from bmad.federation.consortium.member import held_organisation_key
    from bmad.federation.enrolment import organisation_key_path

    return held_organisation_key(organisation_key_path())


@click.group("governance")
def governance() -> None:
    """Consortium rules: review them, propose changes, approve proposals by quorum."""


@governance.command("review")
@click.option("--consortium-rules", "show_rules", is_flag=True, help="The rules and history.")
@click.option(
    "--compliance-check",
    "compliance",
    is_flag=True,
    help="Check this machine's settings, recent rounds and the ledger against the rules.",
)
@json_option
@handle_errors
def review(show_rules: bool, compliance: bool, as_json: bool) -> None:
    """The rules in force with their signatures and history, and a compliance check (exit 1 on
    a violation). Without either flag, both."""
    from bmad.federation.consortium.policy import local_policy
    from bmad.federation.consortium.review import review as run_review
    from bmad.privacy.sharing import settings_for

    if not (show_rules or compliance):
        show_rules = compliance = True
    with _session() as (store, member, client):
        document = run_review(
            store,
            client,
            member,
            settings_for(),
            local_policy(),
            show_rules=show_rules,
            compliance=compliance,
        )
    if as_json:
        echo_json(document)
    else:
        _render_review(document)
    if document["violations"]:
        raise SystemExit(EXIT_FINDINGS)


def _render_review(document: dict[str, Any]) -> None:
    click.echo(
        f"federation {document['federation']}, you are {document['organisation']}"
        + (f": rules version {document['version']}" if "version" in document else "")
    )
    rules = document.get("rules")
    if rules is not None:
        numbers, quorum = rules["governance"], rules["quorum"]
        click.echo(
            f"privacy level {numbers['privacy_level']}: k={numbers['k_min_participants']}, "
            f"epsilon {numbers['epsilon_per_round']:g}/round, "
            f"{numbers['epsilon_per_period']:g}/period, delta {numbers['delta']:g}; "
            "types " + ", ".join(numbers["allowed_learning_types"])
        )
        limit = numbers["verify_inputs_up_to"]
        click.echo(
            "inputs proved in range: "
            + ("every round" if limit == "all" else f"rounds of up to {limit} entries")
            + f" (verify_inputs_up_to {limit})"
        )
        click.echo(
            f"quorum {quorum['numerator']}/{quorum['denominator']} of members (at least "
            f"{quorum['minimum']}): {rules['quorum_needed']} signatures now; rounds opened by "
            + ", ".join(rules["round_openers"])
        )
        click.echo(f"agreement: {rules['agreement']['purpose']}")
        click.echo(f"retention: {rules['agreement']['retention']}")
        for name, seat in rules["seats"].items():
            click.echo(
                f"  seat {name}: "
                + (f"key {seat['key_fingerprint']}" if seat["key_fingerprint"] else "not taken")
            )
        signers = ", ".join(f"{s['signer']} ({s['fingerprint']})" for s in document["signatures"])
        click.echo(f"signed by {signers}")
        click.echo("history:")
        for row in document["history"]:
            about = f" {row['organisation']}" if row["organisation"] else ""
            click.echo(f"  v{row['version']} {row['at']} {row['kind']}{about}: {row['summary']}")
    for finding in document["findings"]:
        status = "ok" if finding["ok"] else f"VIOLATION: {finding['message']}"
        click.echo(f"{finding['area']:8} {finding['subject']}: {status}")


def _setting_pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--set must look like NAME=VALUE, got {item!r}")
        pairs[name.strip()] = value.strip()
    return pairs


def _section(text: str | None, name: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise click.UsageError(f"--{name} must be a JSON object") from None
    if not isinstance(value, dict):
        raise click.UsageError(f"--{name} must be a JSON object")
    return value


@governance.command("propose")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A rule to change: epsilon_per_round, epsilon_per_period, delta, k_min_participants, "
    "learning_types (comma-separated), quorum (e.g. 3/4), quorum_minimum, round_openers, "
    "released_insights_days, purpose, ...",
)
@click.option("--incentives", help="The whole incentives section, as a JSON object.")
@click.option("--access", help="The whole access section, as a JSON object.")
@click.option("--admit", "admit", help="Propose a seat for a new organisation instead.")
@json_option
@handle_errors
def propose(
    settings: tuple[str, ...],
    incentives: str | None,
    access: str | None,
    admit: str | None,
    as_json: bool,
) -> None:
    """Propose a rules change (or an admission), signed by your organisation key."""
    from bmad.federation.consortium import member as consortium

    pairs = _setting_pairs(settings)
    sections = {
        name: value
        for name, value in (
            ("incentives", _section(incentives, "incentives")),
            ("access", _section(access, "access")),
        )
        if value is not None
    }
    if admit is not None and (pairs or sections):
        raise click.UsageError("--admit is a proposal of its own: no --set with it")
    if admit is None and not (pairs or sections):
        raise click.UsageError("nothing to propose: give --set NAME=VALUE, a section or --admit")
    with _session() as (store, member, client):
        key = _organisation_key()
        if admit is not None:
            proposal = consortium.propose_admission(store, client, member, key, admit)
        else:
            proposal = consortium.propose_rules(store, client, member, key, pairs, sections)
    _show_proposal(proposal, as_json)


def _show_proposal(proposal: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json({k: v for k, v in proposal.items() if k != "entry"})
        return
    approvals = ", ".join(proposal["approvals"])
    needed = "" if proposal["needed"] is None else f" of {proposal['needed']} needed"
    click.echo(
        f"proposal {proposal['id']} ({proposal['kind']}, version {proposal['version']}): "
        f"{proposal['state']}; approved by {approvals}{needed}"
    )
    click.echo(f"  {proposal['summary']}")


@governance.command("approve")
@click.argument("proposal")
@json_option
@handle_errors
def approve(proposal: str, as_json: bool) -> None:
    """Approve a proposal with your organisation key (it must build on the rules you verified)."""
    from bmad.federation.consortium import member as consortium

    with _session() as (store, member, client):
        answer = consortium.approve(store, client, member, _organisation_key(), proposal)
    _show_proposal(answer, as_json)


@governance.command("proposals")
@json_option
@handle_errors
def proposals(as_json: bool) -> None:
    """Every proposal, its approvals and state; changes described from your verified rules."""
    from bmad.federation.consortium import member as consortium

    with _session() as (store, member, client):
        listed = consortium.proposals(store, client, member)
    if as_json:
        echo_json([{k: v for k, v in item.items() if k != "entry"} for item in listed])
        return
    if not listed:
        click.echo("no proposals")
    for item in listed:
        _show_proposal(item, as_json=False)


@governance.command("token")
@click.argument("proposal")
@json_option
@handle_errors
def token(proposal: str, as_json: bool) -> None:
    """The enrolment token of an admission that has its quorum (once, to its proposer)."""
    from bmad.federation.consortium import member as consortium

    with _session() as (_store, member, client):
        issued = consortium.admission_token(client, member.federation, proposal)
    if as_json:
        echo_json(issued)
        return
    click.echo(f"{issued['organisation']} ({issued['role']}): {issued['token']}")
