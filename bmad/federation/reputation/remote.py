"""What a member asks the aggregator about trust: rate another organisation, read a
reputation and the evidence behind every reputation, the trust levels, and the access
decision it would get."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bmad.federation.client import AggregatorClient
from bmad.federation.reputation.ratings import Rating, sign_rating
from bmad.privacy.identity import Identity
from bmad.privacy.ledger import period_key


def rate(
    client: AggregatorClient,
    organisation_key: Identity,
    federation: str,
    rater: str,
    target: str,
    quality: float,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Sign a rating of ``target`` with this organisation's key and send it."""
    period = period_key("month", now or datetime.now(UTC))
    signed = sign_rating(Rating(federation, rater, target, period, quality), organisation_key)
    answer: dict[str, Any] = client.request(
        "POST", f"/v1/federations/{federation}/ratings", signed.to_dict()
    )
    return answer


def reputation(client: AggregatorClient, federation: str, organisation: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.request(
        "GET", f"/v1/federations/{federation}/reputation/{organisation}"
    )
    return answer


def reputation_evidence(
    client: AggregatorClient, federation: str, since: int | None = None
) -> dict[str, Any]:
    """The federation's reputation evidence; ``since``: the audit entry of a head kept earlier."""
    query = None if since is None else {"since": str(since)}
    answer: dict[str, Any] = client.request(
        "GET", f"/v1/federations/{federation}/reputation-evidence", query=query
    )
    return answer


def trust_levels(client: AggregatorClient, federation: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.request("GET", f"/v1/federations/{federation}/trust-levels")
    return answer


def access_decision(
    client: AggregatorClient,
    federation: str,
    action: str,
    learning_type: str | None = None,
    purpose: str | None = None,
) -> dict[str, Any]:
    query = {"action": action}
    if learning_type is not None:
        query["learning_type"] = learning_type
    if purpose is not None:
        query["purpose"] = purpose
    answer: dict[str, Any] = client.request(
        "GET", f"/v1/federations/{federation}/access", query=query
    )
    return answer


def with_trust_levels(status: dict[str, Any], levels: dict[str, Any]) -> dict[str, Any]:
    """``federation status`` with each participant's trust level, score and credits, and the
    levels' cut-offs."""
    by_organisation = {row["organisation"]: row for row in levels["organisations"]}
    for participant in status.get("participants", []):
        found = by_organisation.get(participant["organisation"], {})
        participant["level"] = found.get("level")
        participant["reputation"] = found.get("score")
        participant["credits"] = found.get("credits")
    status["trust_level_cutoffs"] = levels["levels"]
    return status
