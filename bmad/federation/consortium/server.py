"""The aggregator's side of the consortium: it stores and serves the rules log, collects
proposals and approvals, and records members' refusals of rounds. It checks everything a
member will check (so a bad entry is refused early) but members never take its word for it.

Its tables are ``tables``'s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import FastAPI, Query, Response
from fastapi import Path as PathParameter
from pydantic import BaseModel, Field

from bmad.errors import BmadError
from bmad.federation import server_store
from bmad.federation.consortium.chain import (
    QUORUM_CHANGES,
    ConsortiumLogError,
    LogEntry,
    approvals,
    check_founding,
    check_next,
)
from bmad.federation.consortium.manifest import REQUESTED, check_signature
from bmad.federation.consortium.rules import Eligibility, everyone
from bmad.federation.database import Database, SqlConnection
from bmad.federation.governance import Governance
from bmad.federation.server_store import ApiError, Member
from bmad.federation.signing import decode_key
from bmad.federation.trust import unb64
from bmad.privacy.identity import verify_signature

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MAX_ENTRY_KEYS = 64


class Caller(Protocol):
    public_key: str


class Service(Protocol):
    """What the routes need of the aggregator (``bmad.federation.app.Aggregator``)."""

    store: Database
    lock: Any

    def require(self, federation: str, caller: Any, roles: tuple[str, ...]) -> Member: ...

    def round_federation(self, round_id: str) -> str: ...


class AppendEntry(BaseModel):
    entry: dict[str, Any] = Field(max_length=MAX_ENTRY_KEYS)


class Propose(BaseModel):
    entry: dict[str, Any] = Field(max_length=MAX_ENTRY_KEYS)
    signature: str = Field(min_length=1, max_length=200)


class Approve(BaseModel):
    signature: str = Field(min_length=1, max_length=200)


class Agreement(BaseModel):
    signature: str = Field(min_length=1, max_length=200)


class Refusal(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def log_entries(store: Database, federation: str, since: int = 1) -> list[LogEntry]:
    rows = store.connection.execute(
        "SELECT entry FROM agg_consortium_log WHERE federation = ? AND version >= ? "
        "ORDER BY version",
        (federation, since),
    ).fetchall()
    return [LogEntry.from_dict(json.loads(row[0])) for row in rows]


def _head(store: Database, federation: str) -> LogEntry | None:
    row = store.connection.execute(
        "SELECT entry FROM agg_consortium_log WHERE federation = ? ORDER BY version DESC LIMIT 1",
        (federation,),
    ).fetchone()
    return None if row is None else LogEntry.from_dict(json.loads(row[0]))


def _append(connection: SqlConnection, federation: str, entry: LogEntry) -> None:
    inserted = connection.execute(
        "INSERT INTO agg_consortium_log (federation, version, entry, hash) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (federation, version) DO NOTHING",
        (federation, entry.version, json.dumps(entry.to_dict()), entry.hash),
    )
    if inserted.rowcount != 1:
        raise ApiError(f"rules version {entry.version} exists already: build on the new head", 409)
    server_store.audit(
        connection,
        "consortium_version",
        {"federation": federation, "version": entry.version, "kind": entry.kind},
    )


def require_seat(store: Database, federation: str, organisation: str, role: str) -> None:
    """A member's enrolment token is issued only for an organisation with a seat in the rules:
    a new organisation needs an admission proposal with its quorum first."""
    if role != "member":
        return  # observers never count toward quorum nor enter a roster
    head = _head(store, federation)
    if head is None or head.rules.seat(organisation) is None:
        raise ApiError(
            f"{organisation} has no seat in the consortium rules: admitting a new organisation "
            "needs a quorum of members (`bmad federation invite` proposes it, members "
            "`bmad governance approve` it)",
            409,
        )


def checked_manifest(
    store: Database, federation: str, caller_key: str, learning_type: str, request: dict[str, Any]
) -> dict[str, Any]:
    """The opener's signed manifest with its machine certificate attached, once it is the
    caller's and names this very request."""
    signed = request.get("manifest")
    if not isinstance(signed, dict):
        raise ApiError("a round needs a manifest signed by its opener", 422)
    try:
        key = check_signature(signed)
    except BmadError as exc:
        raise ApiError(exc.message, 422) from None
    manifest = signed["manifest"]
    if (
        key != decode_key(caller_key)
        or manifest.get("federation") != federation
        or manifest.get("learning_type") != learning_type
        or any(manifest.get(name) != request.get(name) for name in REQUESTED)
    ):
        raise ApiError("the manifest is not the caller's signature of this request", 422)
    row = store.connection.execute(
        "SELECT certificate FROM agg_participants WHERE federation = ? AND public_key = ?",
        (federation, caller_key),
    ).fetchone()
    return {**signed, "certificate": json.loads(row[0]) if row else {}}


def register_consortium_routes(
    app: FastAPI,
    service: Service,
    signed: Any,
    eligibility: Callable[[str], Eligibility] = lambda _federation: everyone,
) -> None:
    """Mount the consortium routes; ``eligibility(federation)`` says which organisations count
    toward quorum (the reputation hook; members must apply the same one)."""
    _log_routes(app, service, signed, eligibility)
    _proposal_routes(app, service, signed, eligibility)
    _member_routes(app, service, signed)


FederationPath = PathParameter(pattern=UUID_PATTERN)
ANYONE = ("admin", "member", "observer")


def _log_routes(
    app: FastAPI, service: Service, signed: Any, eligibility: Callable[[str], Eligibility]
) -> None:
    store = service.store

    @app.get("/v1/federations/{federation}/consortium/log", response_model=None)
    async def consortium_log(
        federation: str = FederationPath,
        since: int = Query(default=1, ge=1, description="The first version to serve"),
        who: Caller = signed,
    ) -> Response:
        """The consortium's rules versions from ``since`` on, oldest first; members verify
        them from the version they verified last."""
        with service.lock:
            service.require(federation, who, ANYONE)
            rows = store.connection.execute(
                "SELECT entry FROM agg_consortium_log WHERE federation = ? AND version >= ? "
                "ORDER BY version",
                (federation, since),
            ).fetchall()
        # The entries as stored (each checked when it was appended), not parsed and encoded
        # again: the log holds every seat in every version, hundreds of MB at 1,000 members,
        # and members verify whatever they are served anyway.
        body = b'{"entries":[' + b",".join(str(row[0]).encode() for row in rows) + b"]}"
        return Response(body, media_type="application/json")

    @app.post("/v1/federations/{federation}/consortium/log", status_code=201)
    async def append_entry(
        body: AppendEntry, federation: str = FederationPath, who: Caller = signed
    ) -> dict[str, Any]:
        """The founding version, or an organisation key taking its seat (the admin's)."""
        with service.lock:
            service.require(federation, who, ("admin",))
            entry = _parsed(body.entry)
            head = _head(store, federation)
            try:
                if head is None:
                    check_founding(entry, federation, decode_key(who.public_key))
                elif entry.kind != "bind":
                    raise ApiError("other changes need a proposal and a quorum", 409)
                else:
                    check_next(head, entry, eligibility(federation))
            except ConsortiumLogError as exc:
                raise ApiError(exc.message, 422) from None
            with store.transaction() as connection:
                _append(connection, federation, entry)
            return {"version": entry.version, "hash": entry.hash}


def _proposal_routes(
    app: FastAPI, service: Service, signed: Any, eligibility: Callable[[str], Eligibility]
) -> None:
    store = service.store

    @app.post("/v1/federations/{federation}/consortium/proposals", status_code=201)
    async def propose(
        body: Propose, federation: str = FederationPath, who: Caller = signed
    ) -> dict[str, Any]:
        """A change of the rules or an admission, signed by the proposing organisation."""
        with service.lock:
            you = service.require(federation, who, ("admin", "member"))
            entry = _parsed(body.entry)
            head = _head(store, federation)
            if head is None or entry.kind not in QUORUM_CHANGES:
                raise ApiError("a proposal changes the rules or admits an organisation", 422)
            if entry.version != head.version + 1 or entry.previous != head.hash:
                raise ApiError("the proposal does not build on the current rules version", 409)
            _check_approval(head, entry, you.organisation, body.signature)
            proposal = str(uuid.uuid4())
            with store.transaction() as connection:
                connection.execute(
                    "INSERT INTO agg_consortium_proposals (id, federation, entry, proposer, "
                    "state, token_released, created_at) VALUES (?, ?, ?, ?, 'open', 0, ?)",
                    (
                        proposal,
                        federation,
                        json.dumps(entry.body()),
                        you.organisation,
                        server_store.now_text(),
                    ),
                )
                connection.execute(
                    "INSERT INTO agg_consortium_approvals (proposal, organisation, signature) "
                    "VALUES (?, ?, ?)",
                    (proposal, you.organisation, body.signature),
                )
                server_store.audit(
                    connection,
                    "consortium_proposal",
                    {"federation": federation, "proposal": proposal, "kind": entry.kind},
                )
                _accept_if_quorum(connection, federation, proposal, eligibility(federation))
            return _proposal(store, federation, proposal)

    @app.get("/v1/federations/{federation}/consortium/proposals")
    async def proposals(
        federation: str = FederationPath, who: Caller = signed
    ) -> list[dict[str, Any]]:
        with service.lock:
            service.require(federation, who, ANYONE)
            rows = store.connection.execute(
                "SELECT id FROM agg_consortium_proposals WHERE federation = ? ORDER BY created_at",
                (federation,),
            ).fetchall()
            return [_proposal(store, federation, row[0]) for row in rows]

    @app.post("/v1/federations/{federation}/consortium/proposals/{proposal}/approvals")
    async def approve(
        body: Approve,
        federation: str = FederationPath,
        proposal: str = PathParameter(pattern=UUID_PATTERN),
        who: Caller = signed,
    ) -> dict[str, Any]:
        with service.lock:
            you = service.require(federation, who, ("admin", "member"))
            entry, state = _stored_proposal(store, federation, proposal)
            if state != "open":
                raise ApiError(f"the proposal is {state}", 409)
            head = _head(store, federation)
            assert head is not None
            _check_approval(head, entry, you.organisation, body.signature)
            with store.transaction() as connection:
                connection.execute(
                    "INSERT INTO agg_consortium_approvals (proposal, organisation, signature) "
                    "VALUES (?, ?, ?) ON CONFLICT (proposal, organisation) DO NOTHING",
                    (proposal, you.organisation, body.signature),
                )
                _accept_if_quorum(connection, federation, proposal, eligibility(federation))
            return _proposal(store, federation, proposal)

    @app.post("/v1/federations/{federation}/consortium/proposals/{proposal}/token")
    async def admission_token(
        federation: str = FederationPath,
        proposal: str = PathParameter(pattern=UUID_PATTERN),
        who: Caller = signed,
    ) -> dict[str, Any]:
        """The enrolment token of an admitted organisation, once, to its proposer."""
        with service.lock:
            you = service.require(federation, who, ("admin", "member"))
            entry, state = _stored_proposal(store, federation, proposal)
            row = store.connection.execute(
                "SELECT proposer, token_released FROM agg_consortium_proposals WHERE id = ?",
                (proposal,),
            ).fetchone()
            if entry.kind != "admit" or state != "accepted":
                raise ApiError("the admission has no quorum yet: no token", 409)
            if row[0] != you.organisation or int(row[1]):
                raise ApiError("the token goes once, to the proposing organisation", 403)
            organisation = str(entry.change.get("organisation"))
            token = server_store.new_token()
            with store.transaction() as connection:
                connection.execute(
                    "UPDATE agg_consortium_proposals SET token_released = 1 WHERE id = ?",
                    (proposal,),
                )
                connection.execute(
                    "INSERT INTO agg_tokens (token_hash, federation, organisation, role, "
                    "created_at) VALUES (?, ?, ?, 'member', ?)",
                    (
                        server_store.token_digest(token),
                        federation,
                        organisation,
                        server_store.now_text(),
                    ),
                )
            return {"organisation": organisation, "role": "member", "token": token}


def _member_routes(app: FastAPI, service: Service, signed: Any) -> None:
    """Agreements signed at join, and refusals of rounds."""
    store = service.store

    @app.post("/v1/federations/{federation}/consortium/agreements", status_code=201)
    async def agreement(
        body: Agreement, federation: str = FederationPath, who: Caller = signed
    ) -> dict[str, Any]:
        """A joining machine's signature of the learning agreement, kept until its
        organisation key takes its seat."""
        with service.lock:
            you = service.require(federation, who, ("admin", "member"))
            row = store.connection.execute(
                "SELECT certificate FROM agg_participants WHERE federation = ? AND public_key = ?",
                (federation, who.public_key),
            ).fetchone()
            with store.transaction() as connection:
                connection.execute(
                    "INSERT INTO agg_consortium_agreements (federation, organisation, "
                    "certificate, signature) VALUES (?, ?, ?, ?) ON CONFLICT (federation, "
                    "organisation) DO UPDATE SET certificate = excluded.certificate, "
                    "signature = excluded.signature",
                    (federation, you.organisation, row[0], body.signature),
                )
            return {"organisation": you.organisation}

    @app.get("/v1/federations/{federation}/consortium/agreements/{organisation}")
    async def signed_agreement(
        federation: str = FederationPath,
        organisation: str = PathParameter(pattern=NAME_PATTERN),
        who: Caller = signed,
    ) -> dict[str, Any]:
        with service.lock:
            service.require(federation, who, ("admin",))
            row = store.connection.execute(
                "SELECT certificate, signature FROM agg_consortium_agreements "
                "WHERE federation = ? AND organisation = ?",
                (federation, organisation),
            ).fetchone()
            if row is None:
                raise ApiError(f"{organisation} has not signed the learning agreement yet", 404)
            return {"certificate": json.loads(row[0]), "signature": row[1]}

    @app.post("/v1/rounds/{round_id}/refusals", status_code=201)
    async def refuse(
        body: Refusal,
        round_id: str = PathParameter(pattern=UUID_PATTERN),
        who: Caller = signed,
    ) -> dict[str, Any]:
        """A member refused the round (its manifest broke the rules or the member's policy)."""
        with service.lock:
            you = service.require(service.round_federation(round_id), who, ("admin", "member"))
            with store.transaction() as connection:
                connection.execute(
                    "INSERT INTO agg_round_refusals (round, organisation, reason, at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (round, organisation) DO NOTHING",
                    (round_id, you.organisation, body.reason, server_store.now_text()),
                )
                server_store.audit(
                    connection,
                    "round_refused",
                    {"round": round_id, "organisation": you.organisation},
                )
            return {"round": round_id, "organisation": you.organisation}


def _parsed(document: dict[str, Any]) -> LogEntry:
    try:
        return LogEntry.from_dict(document)
    except BmadError as exc:
        raise ApiError(exc.message, 422) from None


def _check_approval(head: LogEntry, entry: LogEntry, organisation: str, signature: str) -> None:
    key = head.rules.member_keys().get(organisation)
    if key is None:
        raise ApiError(f"{organisation} holds no seat with a key: it cannot approve", 403)
    try:
        verify_signature(key, entry.signed_bytes(), unb64(signature, "signature"))
    except BmadError:
        raise ApiError(
            f"the approval is not {organisation}'s organisation key's signature of the proposal",
            403,
        ) from None


def _stored_proposal(store: Database, federation: str, proposal: str) -> tuple[LogEntry, str]:
    row = store.connection.execute(
        "SELECT entry, state FROM agg_consortium_proposals WHERE id = ? AND federation = ?",
        (proposal, federation),
    ).fetchone()
    if row is None:
        raise ApiError(f"no proposal {proposal}", 404)
    signatures = dict(
        store.connection.execute(
            "SELECT organisation, signature FROM agg_consortium_approvals WHERE proposal = ?",
            (proposal,),
        ).fetchall()
    )
    entry = LogEntry.from_dict({**json.loads(row[0]), "signatures": signatures})
    return entry, str(row[1])


def _accept_if_quorum(
    connection: SqlConnection, federation: str, proposal: str, eligible: Eligibility
) -> None:
    rows = connection.execute(
        "SELECT entry, state FROM agg_consortium_proposals WHERE id = ?", (proposal,)
    ).fetchone()
    if rows[1] != "open":  # another aggregator process decided it in the meantime
        return
    signatures = dict(
        connection.execute(
            "SELECT organisation, signature FROM agg_consortium_approvals WHERE proposal = ?",
            (proposal,),
        ).fetchall()
    )
    entry = LogEntry.from_dict({**json.loads(rows[0]), "signatures": signatures})
    head_row = connection.execute(
        "SELECT entry FROM agg_consortium_log WHERE federation = ? ORDER BY version DESC LIMIT 1",
        (federation,),
    ).fetchone()
    head = LogEntry.from_dict(json.loads(head_row[0]))
    if entry.previous != head.hash:
        state = "stale"
    elif len(approvals(head.rules, entry, eligible)) >= head.rules.quorum_needed():
        check_next(head, entry, eligible)
        _append(connection, federation, entry)
        state = "accepted"
    else:
        return
    connection.execute(
        "UPDATE agg_consortium_proposals SET state = ? WHERE id = ?", (state, proposal)
    )


def _proposal(store: Database, federation: str, proposal: str) -> dict[str, Any]:
    entry, state = _stored_proposal(store, federation, proposal)
    head = _head(store, federation)
    assert head is not None
    if state == "open" and entry.previous != head.hash:
        state = "stale"  # another version was appended since: propose again on the new head
    base = head.rules if state == "open" else None
    row = store.connection.execute(
        "SELECT proposer, created_at FROM agg_consortium_proposals WHERE id = ?", (proposal,)
    ).fetchone()
    return {
        "id": proposal,
        "state": state,
        "kind": entry.kind,
        "version": entry.version,
        "summary": entry.change.get("summary", ""),
        "organisation": entry.change.get("organisation"),
        "proposer": row[0],
        "created_at": row[1],
        "approvals": sorted(entry.signatures),
        "needed": base.quorum_needed() if base is not None else None,
        "entry": entry.body(),
    }


# The governance of each log head, by the head's hash: an entry's hash names its content, so a
# hit is right whichever database or worker asks. Decoding the entry costs O(seats) and
# governance_in_force runs on every signed request (a fifth of the aggregator's time at 300
# members in bench/federation/bench_scale.py before this cache).
_IN_FORCE: dict[str, Governance] = {}
_IN_FORCE_ENTRIES = 64  # heads kept: a few per federation this process serves


def governance_in_force(store: Database, federation: str) -> Governance | None:
    """The privacy numbers of the consortium's latest rules version (None before version 1):
    the aggregator opens rounds under them, as members check them. Read on every request, so
    only the governance is parsed (the entry was checked when it was appended), once per head."""
    row = store.connection.execute(
        "SELECT hash, entry FROM agg_consortium_log WHERE federation = ? "
        "ORDER BY version DESC LIMIT 1",
        (federation,),
    ).fetchone()
    if row is None:
        return None
    head = str(row[0])
    governance = _IN_FORCE.get(head)
    if governance is None:
        governance = Governance.from_dict(json.loads(row[1])["rules"]["governance"])
        if len(_IN_FORCE) >= _IN_FORCE_ENTRIES:
            _IN_FORCE.clear()
        _IN_FORCE[head] = governance
    return governance


def require_opener(store: Database, federation: str, opener: Member) -> Member:
    """``opener``, if the rules in force let its organisation open rounds (the founder by
    default, any member with ``*``; before the log exists, only the admin)."""
    head = _head(store, federation)
    allowed = (
        opener.role == "admin" if head is None else head.rules.may_open_rounds(opener.organisation)
    )
    if not allowed:
        openers = "the admin" if head is None else ", ".join(head.rules.round_openers)
        raise ApiError(
            f"the consortium rules let only {openers} open rounds, not {opener.organisation}",
            403,
        )
    return opener
