"""Whether this machine may export global insights: the aggregator's access decision.

A federation whose signed rules hold an incentive or access policy decides who may export its
insights (``export_insights``: credits, sector, purpose, ...). ``bmad insights export`` asks
before writing anything: a denial stops the export with the decision's explanation. When the
machine is in no federation, when the rules hold no such policy, or when the aggregator cannot
be reached, nothing was decided and the answer says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bmad.errors import BmadError
from bmad.federation.client import AggregatorError, ImpostorAnswer
from bmad.federation.trust import RoundRefused

if TYPE_CHECKING:
    from bmad.federation.settings import FederationSettings
    from bmad.store.connection import Store

ACTION = "export_insights"


@dataclass(frozen=True, slots=True)
class ExportAccess:
    """``checked``: the aggregator decided; ``allowed`` is then its decision (True when
    nothing was checked); ``explanation`` says what was decided or what was not checked."""

    checked: bool
    allowed: bool
    explanation: str
    decision: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": ACTION,
            "checked": self.checked,
            "allowed": self.allowed,
            "explanation": self.explanation,
            "decision": self.decision,
        }


def export_access(store: Store, settings: FederationSettings, purpose: str | None) -> ExportAccess:
    """Ask the aggregator whether this organisation may export insights for ``purpose``."""
    from bmad.federation import membership
    from bmad.federation.consortium.member import rules_in_force
    from bmad.federation.reputation.remote import access_decision
    from bmad.privacy.identity import load_or_create_identity

    member = membership.current(store)
    if member is None:
        return ExportAccess(
            False, True, "this machine is in no federation: no access decision was asked"
        )
    identity = load_or_create_identity(store)
    try:
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            rules = rules_in_force(store, client, member)
            if not rules.incentives and not rules.access:
                return ExportAccess(
                    False,
                    True,
                    "the federation's rules hold no incentive or access policy: no access "
                    "decision applies",
                )
            decision = access_decision(client, member.federation, ACTION, purpose=purpose)
    except RoundRefused as exc:  # the rules log cannot be accepted: its policy is unknown
        return ExportAccess(True, False, exc.message)
    except (AggregatorError, ImpostorAnswer) as exc:
        return ExportAccess(True, False, f"the aggregator refused to decide: {exc.message}")
    except BmadError as exc:
        return ExportAccess(
            False,
            True,
            f"the aggregator could not be reached ({exc.message}): the federation's access "
            "policy for exports was not checked",
        )
    allowed = bool(decision["allowed"])
    explanation = (
        "the federation's access policy allows the export"
        if allowed
        else f"the federation's access policy denies the export: {decision['reason']}"
    )
    return ExportAccess(True, allowed, explanation, decision)
