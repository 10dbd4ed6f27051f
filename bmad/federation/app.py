"""The aggregator's HTTP API (FastAPI). Import it only where the service runs.

Every route but ``/v1/health`` requires a signed request (``bmad.federation.signing``); the
signer's key must be registered in the federation the route names, with a role that allows
the action (admin: open rounds, issue tokens, close enrolment; member: take part in rounds;
observer: read status and insights). Creating a federation and joining one are the two routes
an unregistered key may call: the creator becomes the federation's admin, a joiner must
present a one-time enrolment token issued for its organisation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt

from bmad.errors import BmadError
from bmad.federation import server_store, trust
from bmad.federation.answer_signing import AnswerSigning
from bmad.federation.consortium import server as consortium_server
from bmad.federation.database import Database, DatabaseBusy
from bmad.federation.engine import RoundEngine, SessionFactory
from bmad.federation.governance import Governance, governance_for
from bmad.federation.reputation import routes as trust_routes
from bmad.federation.reputation.access import AccessRequest
from bmad.federation.server_store import ApiError, Member
from bmad.federation.signing import (
    RequestRejected,
    decode_key,
    encode_key,
    verify_request,
)
from bmad.federation.wire import PHASES
from bmad.privacy.identity import verify_signature
from bmad.privacy.schemas import LEARNING_TYPES

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024 * 1024
TICK_SECONDS = 0.1
NONCE_SWEEP_SECONDS = 10.0  # how often each worker deletes nonces past the window
MAX_WAIT = 30.0
ALL_ROLES = ("admin", "member", "observer")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class GovernanceOverrides(BaseModel):
    k_min_participants: int | None = Field(default=None, ge=3, le=10_000)
    epsilon_per_round: float | None = Field(default=None, gt=0, le=10_000)
    epsilon_per_period: float | None = Field(default=None, gt=0, le=100_000)
    consensus_threshold: float | None = Field(default=None, gt=0, le=1)
    robust_combiner: str | None = Field(default=None, pattern="^(median|trimmed_mean)$")
    phase_timeout: float | None = Field(default=None, gt=0, le=3600)
    enrol_timeout: float | None = Field(default=None, gt=0, le=3600)
    sparse_from: int | None = Field(default=None, ge=3, le=1_000_000)
    units: dict[str, str] | None = Field(default=None, max_length=16)
    forward_to: list[str] | None = Field(default=None, max_length=16)
    verify_inputs_up_to: Annotated[StrictInt, Field(ge=0)] | Literal["all"] | None = None


class CreateFederation(BaseModel):
    federation: str = Field(pattern=UUID_PATTERN, description="The new federation's id.")
    organisation: str = Field(pattern=NAME_PATTERN, description="The creator's organisation.")
    participants: list[str] = Field(min_length=1, max_length=10_000)
    privacy_level: str = Field(default="high", pattern="^(high|medium|low)$")
    governance: GovernanceOverrides = Field(default_factory=GovernanceOverrides)
    rules_signature: str = Field(
        min_length=1, max_length=200, description="The creator's signature of the rules."
    )
    certificate: dict[str, Any] = Field(description="The creator machine's certificate.")
    admission: str = Field(
        min_length=1, max_length=200, description="The creator's admission of its organisation."
    )


class JoinFederation(BaseModel):
    organisation: str = Field(pattern=NAME_PATTERN)
    token: str = Field(min_length=16, max_length=128)
    certificate: dict[str, Any] = Field(description="This machine's certificate.")


class Admission(BaseModel):
    organisation: str = Field(pattern=NAME_PATTERN)
    signature: str = Field(min_length=1, max_length=200)


class IssueToken(BaseModel):
    organisation: str = Field(pattern=NAME_PATTERN)
    role: str = Field(default="member", pattern="^(member|observer)$")


class OpenRound(BaseModel):
    learning_type: str = Field(pattern="^(" + "|".join(LEARNING_TYPES) + ")$")
    epsilon: float | None = Field(default=None, gt=0, le=10_000)
    delta: float | None = Field(default=None, gt=0, lt=1)
    min_participants: int | None = Field(default=None, ge=3, le=10_000)
    phase_timeout: float | None = Field(default=None, gt=0, le=3600)
    enrol_timeout: float | None = Field(default=None, gt=0, le=3600)
    weights: list[float] | None = Field(default=None, max_length=256)  # risk_model: its model
    manifest: dict[str, Any] = Field(description="The round as its opener signed it.")


class PhaseMessage(BaseModel):
    message: str = Field(max_length=MAX_BODY_BYTES)


@dataclass
class Caller:
    public_key: str


class Aggregator:
    """Shared state of one service: the store, the round engine and the lock guarding both."""

    def __init__(self, store: Database, session_factory: SessionFactory, max_skew: float) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self.store = store
        self.signing_key = Ed25519PrivateKey.from_private_bytes(server_store.signing_key(store))
        self.public_key = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.engine = RoundEngine(store, session_factory)
        self.lock = self.engine.lock
        self.max_skew = max_skew
        self.changed = asyncio.Event()  # set (and replaced) on every round change

    def wake(self) -> None:
        """In the event loop: answer the held long polls."""
        self.changed.set()
        self.changed = asyncio.Event()

    def governance(self, federation: str) -> Governance:
        row = self.store.connection.execute(
            "SELECT governance FROM agg_federations WHERE id = ?", (federation,)
        ).fetchone()
        if row is None:
            raise ApiError(f"no federation {federation}", 404)
        in_force = consortium_server.governance_in_force(self.store, federation)
        return in_force or Governance.from_dict(json.loads(row[0]))

    def require(self, federation: str, caller: Caller, roles: tuple[str, ...]) -> Member:
        known = self.store.connection.execute(
            "SELECT 1 FROM agg_federations WHERE id = ?", (federation,)
        ).fetchone()
        if known is None:
            raise ApiError(f"no federation {federation}", 404)
        found = server_store.member(self.store, federation, caller.public_key)
        if found is None:
            raise ApiError("this key is not a member of the federation", 403)
        if found.role not in roles:
            raise ApiError(f"the {found.role} role may not do this", 403)
        return found

    def round_federation(self, round_id: str) -> str:
        row = self.store.connection.execute(
            "SELECT federation FROM agg_rounds WHERE id = ?", (round_id,)
        ).fetchone()
        if row is None:
            raise ApiError(f"no round {round_id}", 404)
        return str(row[0])


async def _held_until_changed(aggregator: Aggregator, since: int | None, wait: float) -> bool:
    """A long poll: wait up to ``wait`` seconds while the aggregator's ``changes`` is still
    ``since``; whether the request was held at all."""
    deadline = time.monotonic() + wait
    held = False
    while True:
        event = aggregator.changed  # taken before the check: a later change sets it
        remaining = deadline - time.monotonic()
        if since != aggregator.engine.changes or remaining <= 0:
            return held
        held = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), remaining)


def _tick(aggregator: Aggregator, stop: threading.Event) -> None:
    """The worker's clock until ``stop``: deadlines of every round, and old nonces now and then."""
    swept_at = time.monotonic()
    while not stop.wait(TICK_SECONDS):
        try:
            aggregator.engine.tick()
            if time.monotonic() - swept_at >= NONCE_SWEEP_SECONDS:
                with aggregator.lock:
                    server_store.forget_nonces(aggregator.store, aggregator.max_skew)
                swept_at = time.monotonic()
        except Exception:  # the ticker must survive any one round's failure
            logger.exception("round engine tick failed")


def create_app(
    database: Path | str, session_factory: SessionFactory, max_skew: float = 300.0
) -> FastAPI:
    """The service on ``database``: an SQLite path or a URL (``bmad.federation.database``)."""
    store = server_store.open_aggregator_store(database)
    aggregator = Aggregator(store, session_factory, max_skew)
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def notify() -> None:  # called by the engine in any thread
            loop.call_soon_threadsafe(aggregator.wake)

        aggregator.engine.on_change = notify
        thread = threading.Thread(
            target=_tick, args=(aggregator, stop), name="bmad-rounds", daemon=True
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            store.close()

    app = FastAPI(
        title="bmad aggregator",
        version="1",
        description="Secure-aggregation rounds for bmad federations. Requests are signed.",
        lifespan=lifespan,
    )
    app.state.aggregator = aggregator

    app.add_middleware(
        AnswerSigning, sign=aggregator.signing_key.sign, max_body_bytes=MAX_BODY_BYTES
    )

    @app.exception_handler(BmadError)
    async def refused(_: Request, exc: BmadError) -> JSONResponse:
        status = exc.status if isinstance(exc, ApiError) else 400
        if isinstance(exc, RequestRejected):
            status = 401
        if isinstance(exc, DatabaseBusy):
            status = 503
        return JSONResponse({"detail": exc.message}, status_code=status)

    async def caller(request: Request) -> Caller:
        body = await request.body()
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        verified = verify_request(
            request.headers,
            aggregator.public_key,
            request.method,
            target,
            body,
            aggregator.max_skew,
        )
        with aggregator.lock:
            if not server_store.remember_nonce(store, verified.nonce):
                raise RequestRejected("replayed request: nonce already used")
        return Caller(encode_key(verified.public_key))

    signed = Depends(caller)
    _federation_routes(app, aggregator, signed)
    _membership_routes(app, aggregator, signed)
    _round_routes(app, aggregator, signed)
    trust_routes.install(app, aggregator, signed)
    consortium_server.register_consortium_routes(
        app, aggregator, signed, trust_routes.service_of(app).quorum_eligibility
    )
    return app


def _federation_routes(app: FastAPI, aggregator: Aggregator, signed: Any) -> None:
    store = aggregator.store

    @app.get("/v1/health")
    async def health() -> dict[str, str]:
        """Unsigned: the aggregator's key, which members pin at join and check every answer
        against."""
        return {"status": "ok", "aggregator_key": encode_key(aggregator.public_key)}

    @app.post("/v1/federations", status_code=201)
    async def create_federation(body: CreateFederation, who: Caller = signed) -> dict[str, Any]:
        governance = governance_for(
            body.privacy_level, **body.governance.model_dump(exclude_none=True)
        )
        organisations = sorted({name.strip() for name in body.participants})
        for name in organisations:
            if not _valid_name(name):
                raise ApiError(f"invalid organisation name {name[:64]!r}", 422)
        federation = body.federation
        admin_key = decode_key(who.public_key)
        trust.verify_rules(admin_key, governance.to_dict(), body.rules_signature)
        certificate = _checked_certificate(body.certificate, federation, body.organisation, who)
        _check_admission(admin_key, federation, body.organisation, certificate, body.admission)
        tokens = {name: server_store.new_token() for name in organisations}
        now = server_store.now_text()
        with aggregator.lock, store.transaction() as connection:
            if connection.execute(
                "SELECT 1 FROM agg_federations WHERE id = ?", (federation,)
            ).fetchone():
                raise ApiError(f"federation {federation} exists already", 409)
            connection.execute(
                "INSERT INTO agg_federations (id, privacy_level, governance, created_at, "
                "admin_key, rules_signature) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    federation,
                    body.privacy_level,
                    json.dumps(governance.to_dict()),
                    now,
                    who.public_key,
                    body.rules_signature,
                ),
            )
            connection.execute(
                "INSERT INTO agg_participants (federation, public_key, organisation, role, "
                "joined_at, certificate) VALUES (?, ?, ?, 'admin', ?, ?)",
                (
                    federation,
                    who.public_key,
                    body.organisation,
                    now,
                    json.dumps(certificate.to_dict()),
                ),
            )
            connection.execute(
                "INSERT INTO agg_admissions (federation, organisation, organisation_key, "
                "signature) VALUES (?, ?, ?, ?)",
                (
                    federation,
                    body.organisation,
                    trust.b64(certificate.organisation_key),
                    body.admission,
                ),
            )
            for name, token in tokens.items():
                connection.execute(
                    "INSERT INTO agg_tokens (token_hash, federation, organisation, role, "
                    "created_at) VALUES (?, ?, ?, 'member', ?)",
                    (server_store.token_digest(token), federation, name, now),
                )
            server_store.audit(
                connection,
                "federation_created",
                {"federation": federation, "organisations": len(organisations)},
            )
        return {"federation": federation, "governance": governance.to_dict(), "tokens": tokens}

    @app.post("/v1/federations/{federation}/tokens", status_code=201)
    async def issue_token(
        body: IssueToken, federation: str = _uuid_path(), who: Caller = signed
    ) -> dict[str, Any]:
        with aggregator.lock:
            aggregator.require(federation, who, ("admin",))
            consortium_server.require_seat(store, federation, body.organisation, body.role)
            token = server_store.new_token()
            with store.transaction() as connection:
                connection.execute(
                    "INSERT INTO agg_tokens (token_hash, federation, organisation, role, "
                    "created_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        server_store.token_digest(token),
                        federation,
                        body.organisation,
                        body.role,
                        server_store.now_text(),
                    ),
                )
        return {"organisation": body.organisation, "role": body.role, "token": token}

    @app.get("/v1/federations/{federation}")
    async def federation_status(
        federation: str = _uuid_path(), who: Caller = signed
    ) -> dict[str, Any]:
        with aggregator.lock:
            you = aggregator.require(federation, who, ("admin", "member", "observer"))
            return _status(store, aggregator.governance(federation), federation, you)


def _membership_routes(app: FastAPI, aggregator: Aggregator, signed: Any) -> None:
    """Joining with a token and a certificate, and the admin admitting organisation keys."""
    store = aggregator.store

    @app.post("/v1/federations/{federation}/join")
    async def join(
        body: JoinFederation, federation: str = _uuid_path(), who: Caller = signed
    ) -> dict[str, Any]:
        with aggregator.lock:
            aggregator.governance(federation)
            certificate = _checked_certificate(body.certificate, federation, body.organisation, who)
            existing = server_store.member(store, federation, who.public_key)
            if existing is not None:
                if existing.organisation != body.organisation:
                    raise ApiError("this key is registered for another organisation", 409)
                return _joined(store, federation, existing.organisation, existing.role)
            with store.transaction() as connection:
                row = connection.execute(
                    "SELECT organisation, role, used_at FROM agg_tokens "
                    "WHERE token_hash = ? AND federation = ?",
                    (server_store.token_digest(body.token), federation),
                ).fetchone()
                if row is None or row[2] is not None or row[0] != body.organisation:
                    raise ApiError("invalid or already used enrolment token", 403)
                known = connection.execute(
                    "SELECT organisation_key FROM agg_admissions WHERE federation = ? "
                    "AND organisation = ?",
                    (federation, body.organisation),
                ).fetchone()
                organisation_key = trust.b64(certificate.organisation_key)
                if known is not None and known[0] != organisation_key:
                    raise ApiError(
                        f"{body.organisation} joined with another organisation key; a machine "
                        "joins with a certificate from that key (`bmad federation certify`)",
                        409,
                    )
                now = server_store.now_text()
                connection.execute(
                    "UPDATE agg_tokens SET used_at = ? WHERE token_hash = ?",
                    (now, server_store.token_digest(body.token)),
                )
                connection.execute(
                    "INSERT INTO agg_participants (federation, public_key, organisation, role, "
                    "joined_at, certificate) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        federation,
                        who.public_key,
                        body.organisation,
                        row[1],
                        now,
                        json.dumps(certificate.to_dict()),
                    ),
                )
                if known is None:  # pending until the admin admits the organisation key
                    connection.execute(
                        "INSERT INTO agg_admissions (federation, organisation, "
                        "organisation_key, signature) VALUES (?, ?, ?, NULL)",
                        (federation, body.organisation, organisation_key),
                    )
                server_store.audit(
                    connection,
                    "participant_joined",
                    {"federation": federation, "organisation": body.organisation},
                )
            return _joined(store, federation, body.organisation, str(row[1]))

    @app.post("/v1/federations/{federation}/admissions")
    async def admit(
        body: Admission, federation: str = _uuid_path(), who: Caller = signed
    ) -> dict[str, Any]:
        """The admin's signature admitting an organisation key that joined."""
        with aggregator.lock:
            aggregator.require(federation, who, ("admin",))
            row = store.connection.execute(
                "SELECT organisation_key FROM agg_admissions WHERE federation = ? "
                "AND organisation = ?",
                (federation, body.organisation),
            ).fetchone()
            if row is None:
                raise ApiError(f"no machine of {body.organisation} joined yet", 404)
            try:
                verify_signature(
                    decode_key(who.public_key),
                    trust.admission_message(
                        federation, body.organisation, trust.unb64(row[0], "key")
                    ),
                    trust.unb64(body.signature, "signature"),
                )
            except BmadError:
                raise ApiError("the admission is not the admin's signature of that key") from None
            with store.transaction() as connection:
                connection.execute(
                    "UPDATE agg_admissions SET signature = ? WHERE federation = ? "
                    "AND organisation = ?",
                    (body.signature, federation, body.organisation),
                )
                server_store.audit(
                    connection,
                    "organisation_admitted",
                    {"federation": federation, "organisation": body.organisation},
                )
            return {"organisation": body.organisation, "admitted": True}


def _round_routes(app: FastAPI, aggregator: Aggregator, signed: Any) -> None:
    store = aggregator.store

    @app.post("/v1/federations/{federation}/rounds", status_code=201)
    async def open_round(
        body: OpenRound, federation: str = _uuid_path(), who: Caller = signed
    ) -> dict[str, Any]:
        with aggregator.lock:
            you = consortium_server.require_opener(
                store, federation, aggregator.require(federation, who, ("admin", "member"))
            )
            trust_routes.service_of(app).enforce(
                federation, you, AccessRequest("open_round", body.learning_type)
            )
            return aggregator.engine.open_round(
                federation,
                aggregator.governance(federation),
                body.learning_type,
                {
                    **body.model_dump(exclude_none=True),
                    "manifest": consortium_server.checked_manifest(
                        store, federation, who.public_key, body.learning_type, body.model_dump()
                    ),
                },
            )

    @app.get("/v1/federations/{federation}/rounds")
    async def list_rounds(
        federation: str = _uuid_path(),
        state: str | None = None,
        who: Caller = signed,
    ) -> list[dict[str, Any]]:
        with aggregator.lock:
            aggregator.require(federation, who, ("admin", "member", "observer"))
            query = "SELECT id FROM agg_rounds WHERE federation = ?"
            parameters: tuple[str, ...] = (federation,)
            if state is not None:
                query += " AND state = ?"
                parameters = (federation, state)
            rows = store.connection.execute(query + " ORDER BY created_at", parameters)
            return [aggregator.engine.describe(str(row[0])) for row in rows.fetchall()]

    @app.get("/v1/rounds/{round_id}")
    async def round_status(
        round_id: str = _uuid_path(),
        since: int | None = Query(default=None, ge=0, description="`changes` last seen"),
        wait: float = Query(default=0.0, ge=0, le=MAX_WAIT, description="Long-poll seconds"),
        who: Caller = signed,
    ) -> dict[str, Any]:
        """The round as the caller sees it; with ``since`` and ``wait``, answered once anything
        changed on the aggregator (or after ``wait`` seconds), so participants need not poll."""
        with aggregator.lock:  # refuse unknown rounds and strangers before holding the request
            you = aggregator.require(aggregator.round_federation(round_id), who, ALL_ROLES)
        held = await _held_until_changed(aggregator, since, wait)
        with aggregator.lock:
            if held:  # the membership may have changed while the request was held
                you = aggregator.require(aggregator.round_federation(round_id), who, ALL_ROLES)
            return aggregator.engine.assignment(round_id, you.organisation, who.public_key)

    @app.post("/v1/rounds/{round_id}/enrol")
    async def enrol(round_id: str = _uuid_path(), who: Caller = signed) -> dict[str, Any]:
        with aggregator.lock:
            federation = aggregator.round_federation(round_id)
            you = aggregator.require(federation, who, ("admin", "member"))
            credentials = server_store.credentials(
                store, federation, you.organisation, who.public_key
            )
            if not credentials["admission"]:
                raise ApiError(
                    f"the federation's admin has not admitted {you.organisation}'s organisation "
                    "key yet (`bmad federation admit`)",
                    403,
                )
            aggregator.engine.enrol(
                round_id,
                you.organisation,
                who.public_key,
                _participating(store, federation),
                credentials,
            )
            return aggregator.engine.assignment(round_id, you.organisation, who.public_key)

    @app.post("/v1/rounds/{round_id}/close-enrolment")
    async def close_enrolment(round_id: str = _uuid_path(), who: Caller = signed) -> dict[str, Any]:
        with aggregator.lock:
            federation = aggregator.round_federation(round_id)
            aggregator.require(federation, who, ("admin",))
            aggregator.engine.close_enrolment(round_id)
            return aggregator.engine.describe(round_id)

    @app.post("/v1/rounds/{round_id}/messages/{phase}")
    async def submit(
        body: PhaseMessage,
        round_id: str = _uuid_path(),
        phase: str = _phase_path(),
        who: Caller = signed,
    ) -> dict[str, Any]:
        with aggregator.lock:
            federation = aggregator.round_federation(round_id)
            you = aggregator.require(federation, who, ("admin", "member"))
            aggregator.engine.submit(
                round_id, you.organisation, who.public_key, phase, body.message
            )
            return {"accepted": True}

    @app.get("/v1/federations/{federation}/insights")
    async def insights(
        federation: str = _uuid_path(),
        learning_type: str | None = None,
        export: bool = Query(default=False, description="Asked for to export them"),
        purpose: str | None = Query(default=None, max_length=64),
        who: Caller = signed,
    ) -> list[dict[str, Any]]:
        with aggregator.lock:
            you = aggregator.require(federation, who, ("admin", "member", "observer"))
            return trust_routes.service_of(app).readable(
                federation, you, _latest_insights(store, federation, learning_type), export, purpose
            )


def _checked_certificate(
    document: dict[str, Any], federation: str, organisation: str, who: Caller
) -> trust.MachineCertificate:
    try:
        certificate = trust.MachineCertificate.from_dict(document)
        certificate.verify()
    except BmadError as exc:
        raise ApiError(exc.message, 422) from None
    if (
        certificate.federation != federation
        or certificate.organisation != organisation
        or certificate.machine_key != decode_key(who.public_key)
    ):
        raise ApiError("the certificate is for another federation, organisation or key", 422)
    return certificate


def _check_admission(
    admin_key: bytes,
    federation: str,
    organisation: str,
    certificate: trust.MachineCertificate,
    signature: str,
) -> None:
    message = trust.admission_message(federation, organisation, certificate.organisation_key)
    try:
        verify_signature(admin_key, message, trust.unb64(signature, "signature"))
    except BmadError:
        raise ApiError(
            "the admission is not the admin's signature of its organisation key"
        ) from None


def _joined(store: Database, federation: str, organisation: str, role: str) -> dict[str, Any]:
    """What a joining machine pins: the rules as the admin signed them, and the admin's key."""
    row = store.connection.execute(
        "SELECT governance, rules_signature, admin_key FROM agg_federations WHERE id = ?",
        (federation,),
    ).fetchone()
    return {
        "organisation": organisation,
        "role": role,
        "governance": json.loads(row[0]),
        "rules_signature": row[1],
        "admin_key": row[2],
    }


def _uuid_path() -> Any:
    return PathParameter(pattern=UUID_PATTERN)


def _phase_path() -> Any:
    return PathParameter(pattern="^(" + "|".join(PHASES) + ")$")


def _valid_name(name: str) -> bool:
    return re.fullmatch(NAME_PATTERN, name) is not None


def _participating(store: Database, federation: str) -> int:
    """Organisations whose enrolment closes a round early: those with a member key (an
    admin-only organisation, such as a coordinator, does not hold rounds open)."""
    row = store.connection.execute(
        "SELECT COUNT(DISTINCT organisation) FROM agg_participants "
        "WHERE federation = ? AND role = 'member'",
        (federation,),
    ).fetchone()
    return int(row[0])


def _status(
    store: Database, governance: Governance, federation: str, you: Member
) -> dict[str, Any]:
    connection = store.connection
    participants = []
    for organisation, role, machines in connection.execute(
        "SELECT organisation, MIN(role), COUNT(*) FROM agg_participants WHERE federation = ? "
        "GROUP BY organisation ORDER BY organisation",
        (federation,),
    ).fetchall():
        outcomes = dict(
            connection.execute(
                "SELECT m.outcome, COUNT(*) FROM agg_round_members m JOIN agg_rounds r "
                "ON r.id = m.round WHERE r.federation = ? AND m.organisation = ? "
                "GROUP BY m.outcome",
                (federation, organisation),
            ).fetchall()
        )
        completed, dropped = int(outcomes.get("completed", 0)), int(outcomes.get("dropped", 0))
        admission = connection.execute(
            "SELECT organisation_key, signature FROM agg_admissions WHERE federation = ? "
            "AND organisation = ?",
            (federation, organisation),
        ).fetchone()
        participants.append(
            {
                "organisation": organisation,
                "organisation_key": None if admission is None else admission[0],
                "admitted": admission is not None and admission[1] is not None,
                "role": role,
                "machines": int(machines),
                "rounds_completed": completed,
                "rounds_dropped": dropped,
                # trust: the share of the rounds it was selected for that it saw through
                "trust": completed / (completed + dropped) if completed + dropped else None,
            }
        )
    rounds = connection.execute(
        "SELECT state, COUNT(*) FROM agg_rounds WHERE federation = ? GROUP BY state",
        (federation,),
    ).fetchall()
    last = connection.execute(
        "SELECT learning_type, round, released_at FROM agg_releases WHERE federation = ? "
        "ORDER BY released_at DESC LIMIT 5",
        (federation,),
    ).fetchall()
    pending = connection.execute(
        "SELECT COUNT(*) FROM agg_tokens WHERE federation = ? AND used_at IS NULL", (federation,)
    ).fetchone()
    document: dict[str, Any] = {
        "federation": federation,
        "governance": governance.to_dict(),
        "you": {"organisation": you.organisation, "role": you.role},
        "rounds": {str(state): int(count) for state, count in rounds},
        "last_insights": [
            {"learning_type": row[0], "round": row[1], "released_at": row[2]} for row in last
        ],
        "unused_tokens": int(pending[0]),
    }
    if you.role != "observer":
        document["participants"] = participants
    return document


def _latest_insights(
    store: Database, federation: str, learning_type: str | None
) -> list[dict[str, Any]]:
    query = (
        "SELECT learning_type, round, released_at, insights FROM agg_releases r1 "
        "WHERE federation = ? AND released_at = (SELECT MAX(released_at) FROM agg_releases r2 "
        "WHERE r2.federation = r1.federation AND r2.learning_type = r1.learning_type)"
    )
    parameters: tuple[str, ...] = (federation,)
    if learning_type is not None:
        query += " AND learning_type = ?"
        parameters = (federation, learning_type)
    rows = store.connection.execute(query + " ORDER BY learning_type", parameters).fetchall()
    return [
        {
            "learning_type": row[0],
            "round": row[1],
            "released_at": row[2],
            "insights": json.loads(row[3]),
        }
        for row in rows
    ]
