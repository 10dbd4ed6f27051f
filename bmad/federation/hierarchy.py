"""Hierarchical federation: a federation's released result taking part in a parent federation
as one participant (team -> organisation -> ecosystem). README "Hierarchical federation" has
the whole privacy story; in short:

- What goes up is the child's *published* result: the block shares of its latest released
  insights, suppressed bins as zeros, bounded as one organisation's contribution (every block
  rescaled to the schema's mass). It is a function of an already noised, k-thresholded release,
  so for the child's members it is post-processing: no budget is spent below the child, and
  their guarantee stays the child round's (its unit, its epsilon).
- At the parent the forwarder is an ordinary participant: its own identity key certified by an
  organisation key the parent's admin admitted, its own ledger (charged the parent round's rho
  under that organisation's name), its consent, and every check a member makes (pinned rules,
  roster certificates, noise derived locally, the consistency check). The parent protects one
  whole child federation at the parent's epsilon, which is why a parent round must use the
  organisation unit: a forwarded vector is not made of repositories or records, so a smaller
  unit's sensitivity would describe nothing real. The parent's k counts children.
- A child forwards only to parents its admin-signed rules name (``Governance.forward_to``):
  members accept that by joining under those rules. The operator's own consent is the consent
  of the pseudo-repository ``federation:<child id>`` for the learning type.
- The masked pre-aggregate is never forwarded (see README for why it is not sound here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bmad.errors import BmadError

if TYPE_CHECKING:
    from bmad.federation.client import AggregatorClient
    from bmad.federation.membership import Membership
    from bmad.federation.participant import RoundOutcome
    from bmad.federation.settings import FederationSettings
    from bmad.privacy.identity import Identity
    from bmad.privacy.schemas import BoundedContribution
    from bmad.privacy.sharing import PrivacySettings
    from bmad.store.connection import Store

FORWARDING_PREFIX = "federation:"


def forwarding_key(child_federation: str) -> str:
    """The name a forwarded child federation has in this machine's consent and ledger tables."""
    return FORWARDING_PREFIX + child_federation


def is_forwarding_key(repository: str) -> bool:
    return repository.startswith(FORWARDING_PREFIX)


@dataclass(frozen=True, slots=True)
class ChildRelease:
    """The latest released insights of one learning type in a child federation."""

    federation: str
    round: str
    learning_type: str
    schema_version: int
    # As the child's aggregator reports it: exact there, but nothing the parent can verify.
    organisations: int
    blocks: Mapping[str, Any]

    @classmethod
    def from_item(cls, federation: str, item: Mapping[str, Any]) -> ChildRelease:
        try:
            insights = item["insights"]
            return cls(
                federation,
                str(item["round"]),
                str(item["learning_type"]),
                int(insights["schema_version"]),
                int(insights["organisations"]),
                dict(insights["blocks"]),
            )
        except (KeyError, TypeError, ValueError):
            raise BmadError(f"the child federation {federation} sent malformed insights") from None


def forwarded_contribution(release: ChildRelease) -> BoundedContribution:
    """The child's published block shares as one organisation's bounded contribution.

    Every block is rescaled to the schema's mass like an organisation's merged histogram, so
    the forwarded vector has the organisation unit's sensitivity whatever the child's size.
    """
    import math

    from bmad.privacy.schemas import BoundedContribution, schema_for

    schema = schema_for(release.learning_type)
    if release.schema_version != schema.version:
        raise BmadError(
            f"the child's {release.learning_type} release has schema version "
            f"{release.schema_version}, this bmad {schema.version}: not forwarded"
        )
    raw: list[list[float]] = []
    for block in schema.blocks:
        bins = release.blocks.get(block.name, {}).get("bins", [])
        if [str(entry.get("label")) for entry in bins] != list(block.labels):
            raise BmadError(f"the child's release lacks the bins of block {block.name!r}")
        shares = [entry.get("share") for entry in bins]
        raw.append(
            [
                float(share)
                if isinstance(share, int | float) and math.isfinite(share) and share > 0
                else 0.0
                for share in shares
            ]
        )
    return BoundedContribution(schema, schema.bound(raw))


def check_forwarding_allowed(child_rules_forward_to: tuple[str, ...], parent: str) -> None:
    if parent not in child_rules_forward_to:
        raise BmadError(
            f"the child federation's signed rules do not allow forwarding to {parent}: its "
            "admin must create it with `--forward-to` that parent (members accept forwarding "
            "by joining under those rules)"
        )


def allow_forwarding(store: Store, child_federation: str, learning_type: str) -> None:
    """This operator's consent: releases of ``learning_type`` of the child may go up."""
    from bmad.privacy import consent

    key = forwarding_key(child_federation)
    given = consent.get(store, key)
    types = set(given.learning_types) if given.enabled else set()
    consent.enable(store, key, sorted(types | {learning_type}))


def latest_child_release(
    client: AggregatorClient, child_federation: str, learning_type: str
) -> ChildRelease | None:
    for item in client.insights(child_federation, learning_type):
        if item.get("learning_type") == learning_type:
            return ChildRelease.from_item(child_federation, item)
    return None


def forward_release(
    store: Store,
    identity: Identity,
    child: Membership,
    parent: Membership,
    learning_type: str,
    *,
    settings: PrivacySettings,
    federation: FederationSettings,
    stop: Callable[[], bool] = lambda: False,
) -> list[RoundOutcome]:
    """Take part in the parent's open rounds of ``learning_type`` with the child's latest
    release; return when each one is over. Nothing is sent (not even an enrolment) unless the
    child's rules name the parent and this machine consented."""
    from bmad.federation import membership, trust
    from bmad.federation.client import AggregatorError
    from bmad.federation.participant import (
        RoundOutcome,
        RoundParticipation,
        drive_rounds,
        local_limits,
        pinned_rules,
        refuse_round,
    )
    from bmad.privacy import audit, consent

    child_rules, _ = pinned_rules(child)
    check_forwarding_allowed(child_rules.forward_to, parent.federation)
    key = forwarding_key(child.federation)
    if not consent.allowed(store, key, learning_type):
        raise BmadError(
            f"forwarding {learning_type} releases of {child.federation} is not enabled on this "
            "machine (`bmad aggregator forward` enables it)"
        )
    with federation.client(child.aggregator, identity, child.pinned_aggregator_key) as client:
        release = latest_child_release(client, child.federation, learning_type)
    if release is None:
        return []
    contribution = forwarded_contribution(release)
    settings = replace(settings, organisation=parent.organisation).for_machine(store)
    parent_rules, _ = pinned_rules(parent)
    outcomes: list[RoundOutcome] = []
    active: list[RoundParticipation] = []
    handled = membership.handled_rounds(store)
    with federation.client(parent.aggregator, identity, parent.pinned_aggregator_key) as client:
        for state in client.rounds(parent.federation, state="enrolling"):
            round_id = str(state["id"])
            if state["learning_type"] != learning_type or round_id in handled:
                continue
            try:
                terms = trust.check_round(
                    parent_rules, local_limits(settings), learning_type, state["parameters"]
                )
                if terms.unit.name != "organisation":
                    raise trust.RoundRefused(
                        f"the parent round protects the unit {terms.unit.name!r}; a forwarded "
                        "release is one participant's whole contribution, so only the "
                        "organisation unit describes what the parent's noise protects"
                    )
            except trust.RoundRefused as exc:
                refuse_round(store, parent, round_id, learning_type, exc.message)
                outcomes.append(RoundOutcome(round_id, learning_type, "refused", exc.message))
                continue
            try:
                client.enrol(round_id)
            except AggregatorError as exc:
                if exc.status >= 500:
                    raise
                outcomes.append(RoundOutcome(round_id, learning_type, "skipped", exc.message))
                continue
            audit.record(
                store,
                "release_forwarded",
                {
                    "child_federation": release.federation,
                    "child_round": release.round,
                    "child_organisations_reported": release.organisations,
                    "parent_federation": parent.federation,
                    "parent_round": round_id,
                },
            )
            active.append(
                RoundParticipation(
                    store,
                    client,
                    settings,
                    parent,
                    round_id,
                    learning_type,
                    [key],
                    contribution,
                    terms,
                )
            )
        outcomes.extend(drive_rounds(active, federation, stop))
    return outcomes
