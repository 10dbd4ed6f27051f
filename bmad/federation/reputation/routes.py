"""The aggregator's trust routes and the access check its other routes call.

- ``POST /v1/federations/{f}/ratings``: a member organisation's signed rating of another;
- ``GET /v1/federations/{f}/reputation/{org}``: score, credible interval, evidence (events
  with their rounds, ratings with their signatures), history and credits;
- ``GET /v1/federations/{f}/trust-levels``: every organisation's level;
- ``GET /v1/federations/{f}/reputation-evidence``: every event and rating of the federation with
  the audit-log entries that recorded them and the log's hash links, and the reputation the
  aggregator states for each organisation at a stated time, for members to recompute
  (``evidence.check``);
- ``GET /v1/federations/{f}/access``: the decision the caller's organisation would get for an
  action, with every check (what a denial says, without being denied).

``TrustService.enforce`` is what the round and insights routes call: it decides, writes the
decision to the audit log when the rules hold an incentive or access policy, and refuses with
a 403 whose body carries the whole decision (``decision``) besides its reason (``detail``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse

from bmad.federation import server_store
from bmad.federation.reputation import ledger
from bmad.federation.reputation.access import AccessRequest, Decision, Subject, decide
from bmad.federation.reputation.credits import credit_check
from bmad.federation.reputation.model import described_levels, history, level_at_least
from bmad.federation.reputation.policy import (
    ACTIONS,
    AccessPolicy,
    IncentiveRules,
    parse_access,
    parse_incentives,
)
from bmad.federation.reputation.ratings import SignedRating
from bmad.federation.server_store import ApiError, Member

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ALL_ROLES = ("admin", "member", "observer")

# federation -> the rules document in force (its "incentives" and "access" sections), or None
RulesSource = Callable[[str], Mapping[str, Any] | None]


def no_rules(_federation: str) -> Mapping[str, Any] | None:
    return None


def consortium_rules(database: Any) -> RulesSource:
    """The rules version at the head of the consortium's signed log (None before the first)."""
    from bmad.federation.consortium.server import log_entries

    def in_force(federation: str) -> Mapping[str, Any] | None:
        entries = log_entries(database, federation)
        return entries[-1].rules.to_dict() if entries else None

    return in_force


class AccessDenied(ApiError):
    def __init__(self, decision: Decision) -> None:
        super().__init__(f"access denied: {decision.reason}", 403)
        self.decision = decision


class TrustService:
    """Reputation, credits and access decisions over the aggregator's database."""

    def __init__(
        self,
        database: ledger.Database,
        rules: RulesSource = no_rules,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        ledger.install(database)
        self.database = database
        self.rules = rules
        self.clock = clock

    def policies(self, federation: str) -> tuple[IncentiveRules, AccessPolicy, bool]:
        """The federation's incentive rules and access policy, and whether it wrote either."""
        document = self.rules(federation) or {}
        incentives = document.get("incentives") or None
        access = document.get("access") or None
        return (
            parse_incentives(incentives),
            parse_access(access),
            incentives is not None or access is not None,
        )

    def standing(self, federation: str, organisation: str) -> ledger.Standing:
        incentives, _, _ = self.policies(federation)
        return ledger.standing(
            self.database.connection, federation, organisation, incentives, self.clock()
        )

    def decision(self, federation: str, member: Member, request: AccessRequest) -> Decision:
        incentives, policy, _ = self.policies(federation)
        held = self.standing(federation, member.organisation)
        subject = Subject(
            member.organisation,
            member.role,
            policy.attributes_of(member.organisation),
            held.credits.balance,
            held.reputation.level,
        )
        verdict = credit_check(incentives, held.credits, member.role, request.action, self.clock())
        return decide(policy, subject, request, verdict)

    def enforce(self, federation: str, member: Member, request: AccessRequest) -> None:
        """Decide ``request`` for ``member``; audit it under a policy; refuse a denial."""
        _, _, governed = self.policies(federation)
        made = self.decision(federation, member, request)
        if governed:
            with self.database.transaction() as connection:
                server_store.audit(
                    connection,
                    "access_decision",
                    {
                        "federation": federation,
                        "organisation": member.organisation,
                        "action": request.action,
                        "learning_type": request.learning_type,
                        "purpose": request.purpose,
                        "allowed": made.allowed,
                        "reason": made.reason,
                    },
                )
        if not made.allowed:
            raise AccessDenied(made)

    def readable(
        self,
        federation: str,
        member: Member,
        items: list[dict[str, Any]],
        export: bool,
        purpose: str | None,
    ) -> list[dict[str, Any]]:
        """The released insights ``member`` may read (or export), each learning type decided
        on its own; refused outright when it may read none of those asked for."""
        action = "export_insights" if export else "read_insights"
        allowed: list[dict[str, Any]] = []
        denial: AccessDenied | None = None
        for item in items:
            try:
                self.enforce(
                    federation, member, AccessRequest(action, str(item["learning_type"]), purpose)
                )
            except AccessDenied as exc:
                denial = denial or exc
                continue
            allowed.append(item)
        if denial is not None and not allowed:
            raise denial
        return allowed

    def quorum_eligibility(self, federation: str) -> Callable[[str], bool]:
        return lambda organisation: self.counts_toward_quorum(federation, organisation)

    def counts_toward_quorum(self, federation: str, organisation: str) -> bool:
        """The consortium's quorum eligibility: the access policy's minimum level for
        ``quorum``, if it sets one."""
        _, policy, _ = self.policies(federation)
        minimum = policy.minimum_level("quorum")
        if minimum is None:
            return True
        return level_at_least(self.standing(federation, organisation).reputation.level, minimum)

    def report(self, federation: str, organisation: str) -> dict[str, Any]:
        incentives, _, _ = self.policies(federation)
        held = self.standing(federation, organisation)
        now = self.clock()
        return {
            "organisation": organisation,
            "organisation_key": ledger.organisation_key(
                self.database.connection, federation, organisation
            ),
            "reputation": held.reputation.to_dict(),
            "tenure": held.tenure,
            "events": [
                {
                    "kind": event.kind,
                    "at": event.at.isoformat(),
                    "round": event.round,
                    "learning_type": event.learning_type,
                }
                for event in held.events
            ],
            "ratings": [
                {
                    **stored.signed.to_dict(),
                    "at": stored.at.isoformat(),
                    "rater_weight": weighted.rater_weight,
                }
                for stored, weighted in zip(held.counted_ratings, held.ratings, strict=True)
            ],
            "history": history(held.events, held.ratings, now),
            "credits": {
                **held.credits.to_dict(incentives, now),
                "incentives": incentives.to_dict(),
            },
            "levels": described_levels(),
        }

    def evidence(self, federation: str, since: int | None = None) -> dict[str, Any]:
        incentives, _, _ = self.policies(federation)
        connection = self.database.connection
        now = self.clock()
        return {
            "federation": federation,
            "now": now.isoformat(),
            "organisations": [
                {
                    "organisation": organisation,
                    "organisation_key": ledger.organisation_key(
                        connection, federation, organisation
                    ),
                    "reputation": ledger.standing(
                        connection, federation, organisation, incentives, now
                    ).reputation.to_dict(),
                }
                for organisation in ledger.organisations(connection, federation)
            ],
            **ledger.evidence(connection, federation, since),
        }

    def levels(self, federation: str) -> list[dict[str, Any]]:
        rows = []
        for organisation in ledger.organisations(self.database.connection, federation):
            held = self.standing(federation, organisation)
            low, high = held.reputation.interval
            rows.append(
                {
                    "organisation": organisation,
                    "level": held.reputation.level,
                    "score": held.reputation.score,
                    "interval": [low, high],
                    "events": len(held.events),
                    "ratings": len(held.ratings),
                    "credits": held.credits.balance,
                }
            )
        return rows


def service_of(app: FastAPI) -> TrustService:
    service = app.state.trust
    assert isinstance(service, TrustService)
    return service


def install(
    app: FastAPI,
    aggregator: Any,
    signed: Any,
    rules: RulesSource | None = None,
) -> TrustService:
    """Add the trust routes to the aggregator's app; the service is ``app.state.trust``. The
    policies come from the consortium's rules in force unless ``rules`` names another source."""
    service = TrustService(aggregator.store, rules or consortium_rules(aggregator.store))
    app.state.trust = service

    @app.exception_handler(AccessDenied)
    async def denied(_: Request, exc: AccessDenied) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "decision": exc.decision.to_dict()}, status_code=403
        )

    @app.post("/v1/federations/{federation}/ratings", status_code=201)
    async def rate(
        body: dict[str, Any],
        federation: str = PathParameter(pattern=UUID_PATTERN),
        who: Any = signed,
    ) -> dict[str, Any]:
        """A member organisation's signed rating of another (one per pair and period)."""
        with aggregator.lock:
            you = aggregator.require(federation, who, ("admin", "member"))
            rating = SignedRating.from_dict(body)
            if rating.rating.federation != federation or rating.rating.rater != you.organisation:
                raise ApiError("a rating names this federation and the caller's organisation")
            return ledger.store_rating(service.database, rating, service.clock())

    @app.get("/v1/federations/{federation}/reputation/{organisation}")
    async def reputation(
        federation: str = PathParameter(pattern=UUID_PATTERN),
        organisation: str = PathParameter(pattern=NAME_PATTERN),
        who: Any = signed,
    ) -> dict[str, Any]:
        with aggregator.lock:
            aggregator.require(federation, who, ALL_ROLES)
            if (
                ledger.organisation_key(service.database.connection, federation, organisation)
                is None
            ):
                raise ApiError(f"no organisation {organisation} in this federation", 404)
            return service.report(federation, organisation)

    @app.get("/v1/federations/{federation}/reputation-evidence")
    async def reputation_evidence(
        federation: str = PathParameter(pattern=UUID_PATTERN),
        since: int | None = Query(default=None, ge=1),
        who: Any = signed,
    ) -> dict[str, Any]:
        """``since``: the audit entry of the head the member kept; links start there at latest."""
        with aggregator.lock:
            aggregator.require(federation, who, ALL_ROLES)
            return service.evidence(federation, since)

    @app.get("/v1/federations/{federation}/trust-levels")
    async def trust_levels(
        federation: str = PathParameter(pattern=UUID_PATTERN), who: Any = signed
    ) -> dict[str, Any]:
        with aggregator.lock:
            aggregator.require(federation, who, ALL_ROLES)
            return {"levels": described_levels(), "organisations": service.levels(federation)}

    @app.get("/v1/federations/{federation}/access")
    async def access(
        federation: str = PathParameter(pattern=UUID_PATTERN),
        action: str = Query(pattern="^(" + "|".join(ACTIONS) + ")$"),
        learning_type: str | None = None,
        purpose: str | None = Query(default=None, max_length=64),
        who: Any = signed,
    ) -> dict[str, Any]:
        with aggregator.lock:
            you = aggregator.require(federation, who, ALL_ROLES)
            request = AccessRequest(action, learning_type, purpose)
            return service.decision(federation, you, request).to_dict()

    return service
