"""Attribute-based access decisions on top of the admin/member/observer roles.

The role check comes first (the aggregator's routes). Then, in order, for the organisation
asking (its declared sector and size band, credits, reputation level) and the request
(action, learning type, purpose):

1. the minimum reputation level the access policy sets for the action;
2. the incentive rule: the credits the action needs, within the grace period;
3. the policy's table: a matching deny rule denies, else a matching allow rule allows, else
   the action's default applies.

Every step is kept in the decision, so that a denial explains itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bmad.federation.reputation.model import level_at_least
from bmad.federation.reputation.policy import (
    AccessPolicy,
    AccessRule,
    OrganisationAttributes,
)


@dataclass(frozen=True, slots=True)
class Subject:
    """The organisation asking, with what the rules and the record say about it."""

    organisation: str
    role: str
    attributes: OrganisationAttributes
    credits: float
    level: str


@dataclass(frozen=True, slots=True)
class AccessRequest:
    action: str
    learning_type: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    subject: Subject
    request: AccessRequest
    checks: tuple[Check, ...]

    @property
    def reason(self) -> str:
        failed = [check.detail for check in self.checks if not check.passed]
        return "; ".join(failed) if failed else "allowed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "organisation": self.subject.organisation,
            "role": self.subject.role,
            "attributes": {
                "sector": self.subject.attributes.sector,
                "size_band": self.subject.attributes.size_band,
                "credits": self.subject.credits,
                "level": self.subject.level,
            },
            "request": {
                "action": self.request.action,
                "learning_type": self.request.learning_type,
                "purpose": self.request.purpose,
            },
            "checks": [
                {"check": check.name, "passed": check.passed, "detail": check.detail}
                for check in self.checks
            ],
            "reason": self.reason,
        }


def decide(
    policy: AccessPolicy,
    subject: Subject,
    request: AccessRequest,
    credit_verdict: tuple[bool, str],
) -> Decision:
    """The decision for ``request``; ``credit_verdict`` is ``credits.credit_check``'s."""
    checks: list[Check] = []
    minimum = policy.minimum_level(request.action)
    if minimum is not None:
        checks.append(
            Check(
                "reputation",
                level_at_least(subject.level, minimum),
                f"{request.action} needs trust level {minimum} or above; "
                f"{subject.organisation} is {subject.level}",
            )
        )
    checks.append(Check("credits", *credit_verdict))
    matching = [
        (index, rule)
        for index, rule in enumerate(policy.rules)
        if rule.action == request.action and _unmet(rule, subject, request) == []
    ]
    denying = [index for index, rule in matching if rule.effect == "deny"]
    allowing = [index for index, rule in matching if rule.effect == "allow"]
    if denying:
        checks.append(Check("policy", False, f"denied by access rule {denying[0]}"))
    elif allowing:
        checks.append(Check("policy", True, f"allowed by access rule {allowing[0]}"))
    else:
        default = policy.default_effect(request.action)
        unmet = [
            f"rule {index}: " + ", ".join(_unmet(rule, subject, request))
            for index, rule in enumerate(policy.rules)
            if rule.action == request.action and rule.effect == "allow"
        ]
        detail = f"no access rule matched; the default for {request.action} is {default}"
        if unmet and default == "deny":
            detail += " (unmet: " + "; ".join(unmet) + ")"
        checks.append(Check("policy", default == "allow", detail))
    return Decision(all(check.passed for check in checks), subject, request, tuple(checks))


def _unmet(rule: AccessRule, subject: Subject, request: AccessRequest) -> list[str]:
    """The rule's conditions this subject and request do not meet."""
    unmet: list[str] = []
    if rule.roles and subject.role not in rule.roles:
        unmet.append(f"role {subject.role} not in {list(rule.roles)}")
    if rule.sectors and subject.attributes.sector not in rule.sectors:
        unmet.append(f"sector {subject.attributes.sector} not in {list(rule.sectors)}")
    if rule.size_bands and subject.attributes.size_band not in rule.size_bands:
        unmet.append(f"size band {subject.attributes.size_band} not in {list(rule.size_bands)}")
    if rule.learning_types and request.learning_type not in rule.learning_types:
        unmet.append(f"learning type {request.learning_type} not in {list(rule.learning_types)}")
    if rule.purposes and request.purpose not in rule.purposes:
        unmet.append(f"purpose {request.purpose} not in {list(rule.purposes)}")
    if rule.min_credits is not None and subject.credits < rule.min_credits:
        unmet.append(f"credits {subject.credits:g} below {rule.min_credits:g}")
    if rule.min_level is not None and not level_at_least(subject.level, rule.min_level):
        unmet.append(f"level {subject.level} below {rule.min_level}")
    return unmet
