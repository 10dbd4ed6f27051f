"""``bmad federation create|join|certify|admit|invite|status|participate``: this machine in a
federation."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.errors import BmadError

if TYPE_CHECKING:
    from bmad.federation.membership import Membership
    from bmad.federation.settings import FederationSettings
    from bmad.privacy.identity import Identity
    from bmad.store.connection import Store


def _split(values: str) -> list[str]:
    return [part.strip() for part in values.split(",") if part.strip()]


def _context() -> tuple[Store, Identity, FederationSettings]:
    from bmad.federation.participant import open_participant_store
    from bmad.federation.settings import federation_settings
    from bmad.privacy.identity import load_or_create_identity

    settings = federation_settings()
    store = open_participant_store()
    try:
        identity = load_or_create_identity(store)
    except BaseException:
        store.close()
        raise
    return store, identity, settings


def _federation_id(text: str) -> str:
    """The federation's UUID in the aggregator's spelling; checked here so that a typo is
    named as one instead of coming back as a refused request."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise BmadError(
            f"--consortium-id must be the federation's UUID (as `federation create` prints "
            f"it), got {text!r}"
        ) from None


def _warn_if_fewer_than_k(organisations: set[str], k: int) -> None:
    if len(organisations) < k:
        click.echo(
            f"bmad: warning: k={k} but the federation names {len(organisations)} "
            f"organisations: no round releases anything until at least {k} take part "
            "(invite more with `bmad federation invite`, or create it with a lower --k)",
            err=True,
        )


def _units(given: tuple[str, ...]) -> dict[str, str] | None:
    """``("code_patterns=organisation", ...)`` as a mapping, each unit checked locally first."""
    from bmad.privacy.units import unit_for

    units: dict[str, str] = {}
    for item in given:
        learning_type, sep, unit = item.partition("=")
        if not sep:
            raise BmadError(f"--privacy-unit must look like TYPE=UNIT, got {item!r}")
        unit_for(learning_type.strip(), unit.strip())
        units[learning_type.strip()] = unit.strip()
    return units or None


def _membership(store: Store) -> Membership:
    from bmad.federation import membership

    found = membership.current(store)
    if found is None:
        raise BmadError(
            "no federation is configured: run `bmad federation join` (or `federation create`)"
        )
    return found


@click.group("federation")
def federation() -> None:
    """Create or join a federation, invite organisations, and see its state."""


@federation.command("create")
@click.option("--participants", required=True, help="Comma-separated organisation names.")
@click.option(
    "--privacy-level",
    type=click.Choice(["high", "medium", "low"]),
    default="high",
    show_default=True,
    help="Governance defaults: high (k=5, epsilon 0.5 per round, delta 1e-6, four learning "
    "types), medium (k=5, epsilon 1, delta 1e-5), low (k=3, epsilon 2, delta 1e-5).",
)
@click.option(
    "--organization",
    "organisation",
    default="coordinator",
    show_default=True,
    help="Your own organisation (you become the federation's admin).",
)
@click.option("--aggregator", "aggregator_url", help="Aggregator URL (default: [federation]).")
@click.option(
    "--k",
    "k_min_participants",
    type=click.IntRange(3),
    help="Override k: the fewest organisations any released result may hold.",
)
@click.option(
    "--epsilon-per-round",
    type=click.FloatRange(min=0, min_open=True),
    help="Override the level's epsilon of one round (sizes its noise).",
)
@click.option(
    "--epsilon-per-period",
    type=click.FloatRange(min=0, min_open=True),
    help="Override the level's epsilon the federation's rounds may spend per month.",
)
@click.option(
    "--consensus-threshold",
    type=click.FloatRange(0, 1, min_open=True),
    help="Override the share of organisations a pattern needs to count as consensus.",
)
@click.option(
    "--phase-timeout",
    type=click.FloatRange(0, 3600, min_open=True),
    help="Seconds the aggregator waits for each phase of a round.",
)
@click.option(
    "--enrol-timeout",
    type=click.FloatRange(0, 3600, min_open=True),
    help="Seconds a round stays open for organisations to enrol.",
)
@click.option(
    "--privacy-unit",
    "units",
    multiple=True,
    metavar="TYPE=UNIT",
    help="Override the unit of privacy of a learning type (organisation, repository, record).",
)
@click.option(
    "--forward-to",
    multiple=True,
    metavar="FEDERATION_ID",
    help="A parent federation this one's released results may go up to as one participant "
    "(`bmad aggregator forward`); members accept it by joining under these rules.",
)
@click.option(
    "--verify-inputs-up-to",
    metavar="LENGTH|all",
    help="The longest round vector whose inputs members must prove in range (default 256; "
    "'all': every learning type, at the cost bench/README.md 'Validity proofs' measures).",
)
@json_option
@handle_errors
def create(
    participants: str,
    privacy_level: str,
    organisation: str,
    aggregator_url: str | None,
    as_json: bool,
    **overrides: Any,
) -> None:
    """Create a federation; print one single-use enrolment token per organisation.

    This machine becomes the admin: it signs the rules, and its organisation key (created
    here on first use) certifies it."""
    from bmad.federation import enrolment

    organisations = _split(participants)
    if not organisations:
        raise BmadError("--participants needs at least one organisation name")
    overrides["units"] = _units(overrides.pop("units"))
    overrides["forward_to"] = [_federation_id(parent) for parent in overrides["forward_to"]] or None
    store, identity, settings = _context()
    with store:
        url = aggregator_url or settings.aggregator
        with settings.client(url, identity) as client:
            created = enrolment.create(
                store,
                client,
                enrolment.organisation_identity(store),
                organisation,
                organisations,
                privacy_level,
                {name: value for name, value in overrides.items() if value is not None},
            )
    _warn_if_fewer_than_k(
        {*organisations, organisation}, created["governance"]["k_min_participants"]
    )
    if as_json:
        echo_json({**created, "aggregator": url})
        return
    click.echo(f"federation {created['federation']} created on {url} ({privacy_level})")
    click.echo(
        f"admin key fingerprint {identity.fingerprint}: give it to every organisation with its "
        "token (`federation join --admin-fingerprint`)"
    )
    governance = created["governance"]
    click.echo(
        f"k={governance['k_min_participants']}, epsilon {governance['epsilon_per_round']:g} per "
        f"round and {governance['epsilon_per_period']:g} per period, consensus "
        f"{governance['consensus_threshold']:g}"
    )
    click.echo("single-use enrolment tokens (hand each to its organisation only):")
    for name, token in created["tokens"].items():
        click.echo(f"  {name}: {token}")


@federation.command("join")
@click.option("--consortium-id", "federation_id", required=True, help="The federation's UUID.")
@click.option("--organization", "organisation", required=True, help="Your organisation.")
@click.option("--aggregator", "aggregator_url", help="Aggregator URL (default: [federation]).")
@click.option(
    "--token",
    envvar="BMAD_FEDERATION_TOKEN",
    help="Single-use enrolment token (or BMAD_FEDERATION_TOKEN; prompted when missing).",
)
@click.option(
    "--admin-fingerprint",
    help="The admin key's fingerprint the admin gave you: joining fails if the aggregator "
    "presents another admin.",
)
@click.option(
    "--aggregator-fingerprint",
    help="The aggregator key's fingerprint its operator gave you: joining fails if another "
    "server answers at that address.",
)
@click.option(
    "--certificate",
    "certificate_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="This machine's certificate from your organisation key (`federation certify` on the "
    "machine that holds it); without it, this machine's own organisation key certifies it.",
)
@click.option(
    "--budget-share",
    type=click.FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    help="Without --certificate: the share of the organisation's budget this machine may spend.",
)
@json_option
@handle_errors
def join(
    federation_id: str,
    organisation: str,
    aggregator_url: str | None,
    token: str | None,
    admin_fingerprint: str | None,
    aggregator_fingerprint: str | None,
    certificate_path: Path | None,
    budget_share: float,
    as_json: bool,
) -> None:
    """Register this machine's identity key for your organisation in a federation.

    Without --admin-fingerprint the admin key the aggregator presents is trusted on first use
    (a loud warning says so): give the fingerprint the admin handed you with the token."""
    import json

    from bmad.federation import enrolment, trust
    from bmad.privacy.identity import fingerprint

    federation_id = _federation_id(federation_id)
    if not token and not sys.stdin.isatty():
        raise click.UsageError(
            "no enrolment token: pass --token TOKEN or set BMAD_FEDERATION_TOKEN "
            "(there is no terminal to ask for it)"
        )
    secret = token or click.prompt("enrolment token", hide_input=True, err=True)
    store, identity, settings = _context()
    with store:
        url = aggregator_url or settings.aggregator
        if certificate_path is not None:
            certificate = trust.MachineCertificate.from_dict(
                json.loads(certificate_path.read_text(encoding="utf-8"))
            )
        else:
            certificate = enrolment.certify(
                store,
                enrolment.organisation_identity(store),
                federation_id,
                organisation,
                identity.public.signing_public,
                budget_share,
            )
        with settings.client(url, identity) as client:
            answer = enrolment.join(
                store,
                client,
                federation_id,
                organisation,
                secret,
                certificate,
                admin_fingerprint,
                aggregator_fingerprint,
            )
    if not answer["admin_key_checked"]:
        click.echo(
            "bmad: WARNING: the federation's admin key was NOT checked: no --admin-fingerprint "
            f"was given, so the key the aggregator presented ({answer['admin_fingerprint']}) is "
            "now trusted on first use. It signs the rules and admits every organisation: ask "
            "the admin for its fingerprint and, if it differs, stop taking part (a malicious "
            "aggregator can present its own admin key and rules).",
            err=True,
        )
    document = {
        "federation": federation_id,
        "aggregator": url,
        "organisation": organisation,
        "role": answer["role"],
        "fingerprint": identity.fingerprint,
        "organisation_key_fingerprint": fingerprint(certificate.organisation_key),
        "budget_share": certificate.budget_share,
        "admin_fingerprint": answer["admin_fingerprint"],
        "admin_key_checked": answer["admin_key_checked"],
        "aggregator_fingerprint": answer["aggregator_fingerprint"],
        "aggregator_key_checked": answer["aggregator_key_checked"],
    }
    if as_json:
        echo_json(document)
        return
    click.echo(
        f"joined {federation_id} as {organisation} ({answer['role']}); "
        f"key fingerprint {identity.fingerprint}, {certificate.budget_share:g} of the "
        "organisation's budget"
    )
    click.echo(
        f"organisation key fingerprint {fingerprint(certificate.organisation_key)}: give it to "
        "the federation's admin, who admits it with `federation admit`"
    )


@federation.command("certify")
@click.option("--consortium-id", "federation_id", required=True, help="The federation's UUID.")
@click.option("--organization", "organisation", required=True, help="Your organisation.")
@click.option("--machine-key", required=True, help="The other machine's key (`privacy keys`).")
@click.option(
    "--budget-share",
    type=click.FloatRange(0, 1, min_open=True),
    required=True,
    help="The share of the organisation's budget that machine may spend (all shares <= 1).",
)
@handle_errors
def certify(federation_id: str, organisation: str, machine_key: str, budget_share: float) -> None:
    """On the machine holding your organisation key: certify another machine (JSON on stdout)."""
    from bmad.federation import enrolment, trust

    store, _identity, _settings = _context()
    with store:
        certificate = enrolment.certify(
            store,
            enrolment.organisation_identity(store),
            _federation_id(federation_id),
            organisation,
            trust.unb64(machine_key, "machine key"),
            budget_share,
        )
    echo_json(certificate.to_dict())


@federation.command("admit")
@click.option("--organization", "organisation", required=True, help="The organisation to admit.")
@click.option(
    "--fingerprint",
    "expected",
    required=True,
    help="Its organisation key's fingerprint, as the organisation told you (not the aggregator).",
)
@json_option
@handle_errors
def admit(organisation: str, expected: str, as_json: bool) -> None:
    """Admin: admit an organisation key that joined; members refuse rosters without it."""
    from bmad.federation import enrolment

    store, identity, settings = _context()
    with store:
        member = _membership(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            answer = enrolment.admit(client, member.federation, organisation, expected, store)
    if as_json:
        echo_json(answer)
        return
    click.echo(f"admitted {organisation} (organisation key {expected})")


@federation.command("invite")
@click.option(
    "--organization",
    "organisation",
    required=True,
    help="Organisation the token enrols (a new one, or another machine of a member).",
)
@click.option(
    "--role",
    type=click.Choice(["member", "observer"]),
    default="member",
    show_default=True,
    help="member: takes part in rounds; observer: reads status and insights only.",
)
@json_option
@handle_errors
def invite(organisation: str, role: str, as_json: bool) -> None:
    """Admin: a single-use enrolment token for another machine of a member or an observer; for
    a new organisation, a proposal to admit it (its token comes once a quorum approved it)."""
    from bmad.federation.consortium import member as consortium
    from bmad.federation.consortium.member import held_organisation_key
    from bmad.federation.enrolment import organisation_key_path

    store, identity, settings = _context()
    with store:
        member = _membership(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            issued = consortium.invite(
                store,
                client,
                member,
                lambda: held_organisation_key(organisation_key_path()),
                organisation,
                role,
            )
    if as_json:
        echo_json(issued)
        return
    if "token" in issued:
        click.echo(f"{organisation} ({role}): {issued['token']}")
        return
    click.echo(
        f"admitting {organisation} is proposal {issued['proposal']}: approved by "
        f"{', '.join(issued['approvals'])} of the {issued['needed']} members needed; members "
        f"approve it with `bmad governance approve {issued['proposal']}`, then "
        f"`bmad governance token {issued['proposal']}` gives you its enrolment token"
    )


@federation.command("status")
@click.option("--show-participants", is_flag=True, help="List the member organisations.")
@click.option(
    "--trust-levels",
    is_flag=True,
    help="Rounds completed and dropped, trust level, reputation and credits per member.",
)
@json_option
@handle_errors
def status(show_participants: bool, trust_levels: bool, as_json: bool) -> None:
    """Members, roles, rounds and the last insights of this machine's federation."""
    from bmad.cli.guarantees import governance_guarantees
    from bmad.federation import membership
    from bmad.federation.reputation.remote import trust_levels as fetch_levels
    from bmad.federation.reputation.remote import with_trust_levels

    store, identity, settings = _context()
    with store:
        member = _membership(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            document = client.status(member.federation)
            if trust_levels:
                levels = fetch_levels(client, member.federation)
                membership.remember_trust_levels(store, member.federation, levels)
                document = with_trust_levels(document, levels)
        document["aggregator"] = member.aggregator
        document["local_rounds"] = membership.round_log(store, 10)
    document["privacy_units"] = governance_guarantees(document["governance"])
    if not (show_participants or trust_levels):
        document.pop("participants", None)
    elif not trust_levels:
        for row in document.get("participants", []):
            for key in ("rounds_completed", "rounds_dropped", "trust"):
                row.pop(key, None)
    if as_json:
        echo_json(document)
        return
    _render_status(document)


def _render_status(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from bmad.cli.guarantees import guarantee_lines

    console = Console()
    you, governance = document["you"], document["governance"]
    console.print(
        f"federation {document['federation']} at {document['aggregator']}: you are "
        f"{you['organisation']} ({you['role']})"
    )
    console.print(
        f"privacy level {governance['privacy_level']}: k={governance['k_min_participants']}, "
        f"epsilon {governance['epsilon_per_round']:g}/round, "
        f"{governance['epsilon_per_period']:g}/period, consensus "
        f"{governance['consensus_threshold']:g}, types "
        + ", ".join(governance["allowed_learning_types"])
    )
    console.print("unit of privacy per learning type (both guarantees):")
    for line in guarantee_lines(document["privacy_units"]):
        console.print(line, highlight=False)
    rounds = ", ".join(f"{state} {count}" for state, count in document["rounds"].items())
    console.print(f"rounds: {rounds or 'none yet'}")
    for item in document["last_insights"]:
        console.print(
            f"insights: {item['learning_type']} from round {item['round']} ({item['released_at']})"
        )
    participants = document.get("participants")
    if participants:
        table = Table(title="Participants")
        columns = [key for key in participants[0] if key != "trust"] + (
            ["trust"] if "trust" in participants[0] else []
        )
        for column in columns:
            table.add_column(column.replace("_", " "), overflow="fold")
        for row in participants:
            table.add_row(
                *(
                    "-"
                    if row[c] is None
                    else f"{row[c]:.2f}"
                    if isinstance(row[c], float)
                    else str(row[c])
                    for c in columns
                )
            )
        console.print(table)


@federation.command("participate")
@click.option(
    "--repo",
    "repos",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Repositories to contribute from (default: every one with sharing enabled).",
)
@json_option
@handle_errors
def participate(repos: tuple[Path, ...], as_json: bool) -> None:
    """Take part now in every open round (the daemon does this in the background)."""
    from bmad.federation.hierarchy import is_forwarding_key
    from bmad.federation.participant import participate_in_open_rounds
    from bmad.privacy import consent
    from bmad.privacy.sharing import repository_key, settings_for

    store, identity, settings = _context()
    with store:
        _membership(store)
        keys = [repository_key(path) for path in repos] or [
            record.repository
            for record in consent.all_consents(store)
            if record.enabled and not is_forwarding_key(record.repository)
        ]
        outcomes = participate_in_open_rounds(
            store, identity, keys, settings=settings_for(), federation=settings
        )
    if as_json:
        echo_json([outcome.to_dict() for outcome in outcomes])
        return
    if not outcomes:
        click.echo("no open round to take part in (or no repository shares its learning type)")
    for outcome in outcomes:
        click.echo(f"{outcome.round} {outcome.learning_type}: {outcome.outcome} ({outcome.detail})")
