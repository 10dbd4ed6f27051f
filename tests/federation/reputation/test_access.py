"""Attribute-based decisions and contribution credits, table-driven and in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bmad.federation.reputation.access import AccessRequest, Subject, decide
from bmad.federation.reputation.credits import credit_check, credits
from bmad.federation.reputation.model import Event
from bmad.federation.reputation.policy import (
    IncentiveRules,
    OrganisationAttributes,
    parse_access,
    parse_incentives,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)

POLICY = parse_access(
    {
        "minimum_levels": {"open_round": "established"},
        "default": {"export_insights": "deny"},
        "rules": [
            {
                "action": "export_insights",
                "effect": "allow",
                "purposes": ["research"],
                "sectors": ["health", "public"],
                "min_credits": 3,
            },
            {
                "action": "read_insights",
                "effect": "deny",
                "learning_types": ["success_patterns"],
                "size_bands": ["small"],
            },
            {"action": "open_round", "effect": "deny", "roles": ["observer"]},
            {
                "action": "read_insights",
                "effect": "allow",
                "min_level": "trusted",
                "learning_types": ["success_patterns"],
            },
        ],
    }
)
PASS = (True, "no credits needed")


def subject(
    sector: str = "health",
    size_band: str = "large",
    credit_balance: float = 5.0,
    level: str = "established",
    role: str = "member",
) -> Subject:
    return Subject("org-a", role, OrganisationAttributes(sector, size_band), credit_balance, level)


@pytest.mark.parametrize(
    ("who", "request_", "allowed", "failing_check", "reason_part"),
    [
        (subject(), AccessRequest("export_insights", "code_patterns", "research"), True, None, ""),
        (
            subject(sector="finance"),
            AccessRequest("export_insights", "code_patterns", "research"),
            False,
            "policy",
            "sector finance not in ['health', 'public']",
        ),
        (
            subject(credit_balance=2),
            AccessRequest("export_insights", "code_patterns", "research"),
            False,
            "policy",
            "credits 2 below 3",
        ),
        (
            subject(),
            AccessRequest("export_insights", "code_patterns", "marketing"),
            False,
            "policy",
            "purpose marketing not in ['research']",
        ),
        (subject(), AccessRequest("read_insights", "code_patterns"), True, None, ""),
        (
            subject(size_band="small", level="trusted"),
            AccessRequest("read_insights", "success_patterns"),
            False,
            "policy",
            "denied by access rule 1",
        ),
        (
            subject(level="trusted"),
            AccessRequest("read_insights", "success_patterns"),
            True,
            None,
            "",
        ),
        (subject(), AccessRequest("open_round", "code_patterns"), True, None, ""),
        (
            subject(level="new"),
            AccessRequest("open_round", "code_patterns"),
            False,
            "reputation",
            "needs trust level established or above; org-a is new",
        ),
        (
            subject(role="observer", level="trusted"),
            AccessRequest("open_round", "code_patterns"),
            False,
            "policy",
            "denied by access rule 2",
        ),
    ],
)
def test_access_decisions(
    who: Subject,
    request_: AccessRequest,
    allowed: bool,
    failing_check: str | None,
    reason_part: str,
) -> None:
    decision = decide(POLICY, who, request_, PASS)
    assert decision.allowed is allowed
    failed = [check.name for check in decision.checks if not check.passed]
    assert failed == ([] if failing_check is None else [failing_check])
    assert reason_part in decision.reason
    document = decision.to_dict()
    assert document["allowed"] is allowed
    assert document["attributes"]["sector"] == who.attributes.sector


def test_a_credit_denial_is_a_failed_check_of_its_own() -> None:
    decision = decide(
        POLICY, subject(), AccessRequest("read_insights", "code_patterns"), (False, "needs 1")
    )
    assert not decision.allowed
    assert decision.reason == "needs 1"


INCENTIVES = parse_incentives(
    {
        "enabled": True,
        "credits_per_round": {"default": 1, "risk_model": 2},
        "unlocks": {"read_insights": 1, "export_insights": 3},
        "grace_period_days": 30,
        "exempt_roles": ["admin"],
    }
)
JOINED = NOW - timedelta(days=100)


def rounds(*specs: tuple[str, int]) -> list[Event]:
    """(learning type, days ago) of each completed round."""
    return [
        Event("round_completed", NOW - timedelta(days=days), f"r{index}", learning_type)
        for index, (learning_type, days) in enumerate(specs)
    ]


def test_credits_are_earned_by_learning_type_and_unlock_actions() -> None:
    held = credits(rounds(("code_patterns", 20), ("risk_model", 10)), JOINED, INCENTIVES)
    assert held.balance == 3.0  # 1 + 2
    assert held.active_until == NOW + timedelta(days=20)
    assert credit_check(INCENTIVES, held, "member", "export_insights", NOW)[0]
    one = credits(rounds(("code_patterns", 5)), JOINED, INCENTIVES)
    allowed, reason = credit_check(INCENTIVES, one, "member", "export_insights", NOW)
    assert not allowed
    assert reason.startswith("export_insights needs 3 credits and the organisation holds 1")
    assert credit_check(INCENTIVES, one, "member", "open_round", NOW)[0]  # no unlock set


def test_access_lapses_after_the_grace_period_and_returns_with_a_round() -> None:
    lapsed = credits(rounds(("code_patterns", 31), ("code_patterns", 40)), JOINED, INCENTIVES)
    allowed, reason = credit_check(INCENTIVES, lapsed, "member", "read_insights", NOW)
    assert not allowed
    assert "30-day grace period" in reason
    assert "2026-05-31" in reason  # 31 days ago + 30
    back = credits(
        rounds(("code_patterns", 31), ("code_patterns", 40), ("anti_patterns", 0)),
        JOINED,
        INCENTIVES,
    )
    assert credit_check(INCENTIVES, back, "member", "read_insights", NOW)[0]


def test_exempt_roles_and_disabled_incentives_need_no_credits() -> None:
    none = credits([], JOINED, INCENTIVES)
    assert credit_check(INCENTIVES, none, "admin", "export_insights", NOW)[0]
    assert not credit_check(INCENTIVES, none, "member", "read_insights", NOW)[0]
    assert credit_check(IncentiveRules(), none, "member", "export_insights", NOW)[0]
