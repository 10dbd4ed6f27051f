"""This machine's side of the consortium: the verified log it keeps, and what it signs.

Every look at the rules fetches the aggregator's log from the version this machine verified
last and verifies what is new against it (``chain.verify_extension``; the whole log from
version 1 against the admin key pinned at join the first time, ``chain.verify_log``); only
then are the new versions kept (``consortium_log`` in the data store). The admin's machine
admits organisations the same way, so an admission costs the new versions, not the whole log.
A forged, forked or rolled-back log is refused, written to the audit log, and stops the rounds
this machine would take part in. Proposals and approvals are signed with the organisation key;
the learning agreement and a round's refusal report with the machine key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bmad.errors import BmadError
from bmad.federation.client import AggregatorClient, AggregatorError
from bmad.federation.consortium import changes
from bmad.federation.consortium.chain import (
    ADMIN_SIGNER,
    GENESIS,
    ConsortiumLogError,
    LogEntry,
    sign_entry,
    verify_extension,
    verify_log,
)
from bmad.federation.consortium.manifest import violations
from bmad.federation.consortium.policy import LocalPolicy
from bmad.federation.consortium.rules import (
    ConsortiumRules,
    Eligibility,
    Seat,
    agreement_message,
    everyone,
    founding_rules,
    with_seat,
)
from bmad.federation.governance import Governance
from bmad.federation.membership import Membership
from bmad.federation.trust import MachineCertificate, RoundRefused, b64, unb64
from bmad.privacy import audit
from bmad.privacy.db import timestamp, utc_now
from bmad.privacy.identity import Identity, load_identity
from bmad.store.connection import Store

logger = logging.getLogger(__name__)

COMPONENT = "consortium"
MIGRATIONS: list[str] = [
    """
    CREATE TABLE consortium_log (
        federation TEXT NOT NULL,
        version INTEGER NOT NULL,
        entry TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (federation, version)
    );
    """,
]
BIND_ATTEMPTS = 3  # another binding may land first: rebuild on the new head and sign again


def _path(federation: str, tail: str = "") -> str:
    return f"/v1/federations/{federation}/consortium{tail}"


def kept_log(store: Store, federation: str) -> list[LogEntry]:
    """The versions this machine verified, oldest first."""
    store.migrate(COMPONENT, MIGRATIONS)
    rows = store.connection.execute(
        "SELECT entry FROM consortium_log WHERE federation = ? ORDER BY version", (federation,)
    ).fetchall()
    return [LogEntry.from_dict(json.loads(row[0])) for row in rows]


def _pinned(store: Store, federation: str) -> LogEntry | None:
    """The last version this machine verified."""
    store.migrate(COMPONENT, MIGRATIONS)
    row = store.connection.execute(
        "SELECT entry FROM consortium_log WHERE federation = ? ORDER BY version DESC LIMIT 1",
        (federation,),
    ).fetchone()
    return None if row is None else LogEntry.from_dict(json.loads(row[0]))


def _keep(store: Store, federation: str, entries: list[LogEntry]) -> None:
    store.migrate(COMPONENT, MIGRATIONS)
    with store.transaction() as connection:
        for entry in entries:
            connection.execute(
                "INSERT INTO consortium_log (federation, version, entry, hash) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (federation, version) DO NOTHING",
                (federation, entry.version, json.dumps(entry.to_dict()), entry.hash),
            )


def served_log(client: AggregatorClient, federation: str, since: int = 1) -> list[LogEntry]:
    answer = client.request("GET", _path(federation, "/log"), query={"since": str(since)})
    return [LogEntry.from_dict(item) for item in answer.get("entries", [])]


def verified_head(
    store: Store,
    client: AggregatorClient,
    federation: str,
    admin_key: bytes,
    eligible: Eligibility = everyone,
) -> LogEntry:
    """The head of the aggregator's log once its new versions are verified and kept;
    ConsortiumLogError (audited) when it serves one this machine cannot accept. Only the
    versions from the one this machine verified last are fetched and checked (the earlier ones
    are kept here); the whole log from version 1, against ``admin_key``, when none is kept."""
    pinned = _pinned(store, federation)
    try:
        if pinned is None:
            entries = served_log(client, federation)
            head = verify_log(entries, federation, admin_key, None, eligible)
        else:
            entries = served_log(client, federation, pinned.version)
            head = verify_extension(pinned, entries, eligible)
    except ConsortiumLogError as exc:
        audit.record(
            store, "consortium_log_refused", {"federation": federation, "reason": exc.message}
        )
        raise
    _keep(store, federation, entries[1:] if pinned is not None else entries)
    return head


def current_head(
    store: Store, client: AggregatorClient, member: Membership, eligible: Eligibility = everyone
) -> LogEntry:
    """The verified head of the member's federation (see :func:`verified_head`)."""
    admin_key = unb64(member.admin_key, "admin key")
    return verified_head(store, client, member.federation, admin_key, eligible)


def sync(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    eligible: Eligibility = everyone,
) -> list[LogEntry]:
    """The whole verified log, oldest first, once its new versions are verified and kept."""
    current_head(store, client, member, eligible)
    return kept_log(store, member.federation)


def _post(client: AggregatorClient, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = client.request("POST", path, dict(body))
    return answer


# -- founding, joining, taking a seat ------------------------------------------------------------


def found(
    store: Store,
    client: AggregatorClient,
    organisation_key: Identity,
    federation: str,
    governance: Governance,
    founder: str,
    organisations: list[str],
    certificate: MachineCertificate,
) -> LogEntry:
    """Write version 1: the founder's seat taken by its organisation key (with its agreement)
    and a free seat for each organisation it names; signed by the founding organisation."""
    admin_key = client.identity.public.signing_public
    rules = founding_rules(federation, governance, founder, organisations, admin_key)
    org_key = organisation_key.public.signing_public
    agreement = client.identity.sign(agreement_message(rules, founder, org_key))
    rules = with_seat(rules, Seat(founder, b64(org_key), certificate.to_dict(), b64(agreement)))
    entry = LogEntry(
        1,
        GENESIS,
        timestamp(utc_now()),
        {"kind": "found", "summary": f"founded by {founder}"},
        rules,
    )
    entry = entry.signed_by(founder, sign_entry(entry, organisation_key))
    _post(client, _path(federation, "/log"), {"entry": entry.to_dict()})
    _keep(store, federation, [entry])
    return entry


def sign_agreement(
    store: Store, client: AggregatorClient, member: Membership, certificate: MachineCertificate
) -> bool:
    """At join: sign the learning agreement for this organisation's free seat (with the
    machine key its organisation key certified). False when there is nothing to sign (the
    seat is taken already, or this machine joined as an observer)."""
    head = current_head(store, client, member)
    seat = head.rules.seat(member.organisation)
    if member.role != "member" or seat is None or seat.taken:
        return False
    message = agreement_message(head.rules, member.organisation, certificate.organisation_key)
    signature = b64(client.identity.sign(message))
    _post(client, _path(member.federation, "/agreements"), {"signature": signature})
    return True


def bind_seat(
    client: AggregatorClient,
    federation: str,
    organisation: str,
    organisation_key: bytes,
    kept: Store | None = None,
) -> LogEntry | None:
    """The admin's half of an admission it checked out of band: ``organisation``'s key takes
    its free seat with the agreement it signed. None when that key holds the seat already.
    With ``kept`` (the admin machine's store) only the versions after the one it verified last
    are fetched and verified; without, the whole log every time."""
    admin_key = client.identity.public.signing_public
    for attempt in range(BIND_ATTEMPTS):
        if kept is not None:
            head = verified_head(kept, client, federation, admin_key)
        else:
            head = verify_log(served_log(client, federation), federation, admin_key)
        seat = head.rules.seat(organisation)
        if seat is not None and seat.key == b64(organisation_key):
            return None
        signed = client.request("GET", _path(federation, f"/agreements/{organisation}"))
        certificate = MachineCertificate.from_dict(signed["certificate"])
        if certificate.organisation_key != organisation_key:
            raise BmadError(
                f"{organisation}'s learning agreement was signed for another organisation key"
            )
        rules = changes.binding(
            head.rules,
            organisation,
            b64(organisation_key),
            signed["certificate"],
            signed["signature"],
        )
        change = {"kind": "bind", "organisation": organisation, "summary": "took its seat"}
        entry = changes.next_entry(head, rules, change)
        entry = entry.signed_by(ADMIN_SIGNER, sign_entry(entry, client.identity))
        try:
            _post(client, _path(federation, "/log"), {"entry": entry.to_dict()})
        except AggregatorError as exc:
            if exc.status != 409 or attempt + 1 == BIND_ATTEMPTS:
                raise
            continue
        if kept is not None:  # built on the verified head and signed here: verified too
            _keep(kept, federation, [entry])
        return entry
    return None


# -- proposals and approvals ---------------------------------------------------------------


def propose(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    organisation_key: Identity,
    kind: str,
    rules: ConsortiumRules,
    change: Mapping[str, Any],
) -> dict[str, Any]:
    head = current_head(store, client, member)
    summary = changes.describe_change(head.rules, rules)
    if summary == "no change":
        raise BmadError("the proposal changes nothing in the current rules")
    entry = changes.next_entry(head, rules, {"kind": kind, "summary": summary, **change})
    return _post(
        client,
        _path(member.federation, "/proposals"),
        {"entry": entry.to_dict(), "signature": sign_entry(entry, organisation_key)},
    )


def propose_rules(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    organisation_key: Identity,
    settings: Mapping[str, str],
    sections: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    head = current_head(store, client, member)
    rules = changes.rules_change(head.rules, settings, sections)
    return propose(store, client, member, organisation_key, "rules", rules, {})


def propose_admission(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    organisation_key: Identity,
    organisation: str,
) -> dict[str, Any]:
    head = current_head(store, client, member)
    rules = changes.admission(head.rules, organisation)
    return propose(
        store, client, member, organisation_key, "admit", rules, {"organisation": organisation}
    )


def proposals(store: Store, client: AggregatorClient, member: Membership) -> list[dict[str, Any]]:
    """The aggregator's proposals, each open one's change described from this machine's own
    verified head (not the aggregator's summary)."""
    head = current_head(store, client, member)
    listed: list[dict[str, Any]] = client.request("GET", _path(member.federation, "/proposals"))
    for item in listed:
        entry = LogEntry.from_dict(item["entry"])
        if item["state"] == "open" and entry.previous == head.hash:
            item["summary"] = changes.describe_change(head.rules, entry.rules)
    return listed


def approve(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    organisation_key: Identity,
    proposal: str,
) -> dict[str, Any]:
    """Sign a proposal that builds on the head this machine verified."""
    head = current_head(store, client, member)
    found_item = next(
        (item for item in proposals(store, client, member) if item["id"] == proposal), None
    )
    if found_item is None:
        raise BmadError(f"no proposal {proposal} in {member.federation}")
    entry = LogEntry.from_dict(found_item["entry"])
    if found_item["state"] != "open" or entry.previous != head.hash:
        raise BmadError(
            f"proposal {proposal} is {found_item['state']}: it does not build on the current "
            f"rules version {head.version}; propose it again"
        )
    answer = _post(
        client,
        _path(member.federation, f"/proposals/{proposal}/approvals"),
        {"signature": sign_entry(entry, organisation_key)},
    )
    if answer["state"] == "accepted":
        current_head(store, client, member)
    return answer


def admission_token(client: AggregatorClient, federation: str, proposal: str) -> dict[str, Any]:
    return _post(client, _path(federation, f"/proposals/{proposal}/token"), {})


# -- rounds ----------------------------------------------------------------------------------


def rules_in_force(store: Store, client: AggregatorClient, member: Membership) -> ConsortiumRules:
    """The rules of the verified head; RoundRefused when the log cannot be accepted."""
    try:
        return current_head(store, client, member).rules
    except ConsortiumLogError as exc:
        raise RoundRefused(f"the consortium's rules log is refused: {exc.message}") from None


def check_manifest(
    rules: ConsortiumRules,
    round_state: Mapping[str, Any],
    policy: LocalPolicy,
    aggregator_key: bytes,
) -> None:
    """RoundRefused naming everything the round breaks in the rules or the local policy."""
    found = violations(rules, round_state, policy, aggregator_key)
    if found:
        raise RoundRefused("; ".join(f"{v.source}: {v.message}" for v in found))


def report_refusal(client: AggregatorClient, round_id: str, reason: str) -> None:
    """Tell the aggregator (and so the round's opener) why this organisation refused."""
    try:
        client.request("POST", f"/v1/rounds/{round_id}/refusals", {"reason": reason[:2000]})
    except BmadError as exc:  # the refusal stands locally whatever the aggregator answers
        logger.warning("could not report the refusal of round %s: %s", round_id, exc.message)


def invite(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    organisation_key: Callable[[], Identity],
    organisation: str,
    role: str,
) -> dict[str, Any]:
    """``federation invite``: a token at once for an observer or an organisation with a seat
    (another machine of a member); for a new member organisation, a proposal to admit it,
    whose token is released once a quorum approved it (at once when this signature is
    enough)."""
    head = current_head(store, client, member)
    if member.role != "admin" or role != "member" or head.rules.seat(organisation) is not None:
        issued: dict[str, Any] = client.issue_token(member.federation, organisation, role)
        return issued
    proposal = propose_admission(store, client, member, organisation_key(), organisation)
    document = {
        "organisation": organisation,
        "role": role,
        "proposal": proposal["id"],
        "state": proposal["state"],
        "approvals": proposal["approvals"],
        "needed": proposal["needed"],
    }
    if proposal["state"] == "accepted":
        document["token"] = admission_token(client, member.federation, proposal["id"])["token"]
    return document


def held_organisation_key(path: Path) -> Identity:
    """The organisation key kept at ``path``; an error (never a new key) when this machine
    does not hold it: approvals must come from the key that holds the seat."""
    if not path.exists():
        raise BmadError(
            f"this machine holds no organisation key ({path}): propose and approve on the "
            "machine that holds it (the one that joined first)"
        )
    return load_identity(path)
