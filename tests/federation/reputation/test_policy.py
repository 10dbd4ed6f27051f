"""The incentives and access sections of the rules document: what parses and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from bmad.errors import BmadError
from bmad.federation.reputation.policy import (
    AccessPolicy,
    AccessRule,
    IncentiveRules,
    OrganisationAttributes,
    parse_access,
    parse_incentives,
)

INCENTIVES: dict[str, Any] = {
    "enabled": True,
    "credits_per_round": {"default": 1.0, "code_patterns": 2},
    "unlocks": {"read_insights": 1, "export_insights": 3, "open_round": 5},
    "grace_period_days": 60,
    "exempt_roles": ["admin"],
}

ACCESS: dict[str, Any] = {
    "minimum_levels": {"open_round": "established", "quorum": "new"},
    "organisations": {"org-a": {"sector": "finance", "size_band": "large"}},
    "default": {"export_insights": "deny"},
    "rules": [
        {
            "action": "export_insights",
            "effect": "allow",
            "purposes": ["research"],
            "min_credits": 3,
        },
        {
            "action": "read_insights",
            "effect": "deny",
            "learning_types": ["success_patterns"],
            "size_bands": ["small"],
            "min_level": "trusted",
        },
    ],
}


def test_the_incentives_section_parses_into_its_rules() -> None:
    rules = parse_incentives(INCENTIVES)
    assert rules.enabled
    assert rules.credits_for("code_patterns") == 2.0
    assert rules.credits_for("anti_patterns") == 1.0
    assert rules.required("export_insights") == 3.0
    assert rules.grace_period_days == 60.0
    assert rules.exempt_roles == ("admin",)
    assert parse_incentives(rules.to_dict()) == rules


def test_an_absent_section_requires_nothing() -> None:
    assert parse_incentives(None) == IncentiveRules()
    assert not IncentiveRules().enabled
    assert parse_access(None) == AccessPolicy()
    assert AccessPolicy().default_effect("export_insights") == "allow"


def test_the_access_section_parses_into_its_table() -> None:
    policy = parse_access(ACCESS)
    assert policy.minimum_level("open_round") == "established"
    assert policy.minimum_level("read_insights") is None
    assert policy.attributes_of("org-a") == OrganisationAttributes("finance", "large")
    assert policy.attributes_of("org-b") == OrganisationAttributes()
    assert policy.default_effect("export_insights") == "deny"
    assert policy.rules[0] == AccessRule(
        "export_insights", "allow", purposes=("research",), min_credits=3.0
    )
    assert policy.rules[1].min_level == "trusted"
    assert parse_access(policy.to_dict()) == policy


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"enabled": "yes"}, "[incentives] enabled must be true or false"),
        ({"credits_per_round": {"code": 1}}, "unknown learning type 'code'"),
        (
            {"credits_per_round": {"default": -1}},
            "credits_per_round.default] must be a number >= 0",
        ),
        ({"unlocks": {"delete": 1}}, "unknown action 'delete'"),
        ({"unlocks": {"open_round": float("nan")}}, "must be a number >= 0"),
        ({"grace_period_days": True}, "grace_period_days] must be a number >= 0"),
        ({"exempt_roles": ["root"]}, "unknown value 'root'"),
        ({"bonus": 1}, "has unknown keys bonus"),
    ],
)
def test_a_malformed_incentives_section_is_refused_naming_its_key(
    section: dict[str, Any], message: str
) -> None:
    with pytest.raises(BmadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_incentives(section)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"minimum_levels": {"quorum": "famous"}}, "unknown trust level 'famous'"),
        ({"minimum_levels": {"vote": "new"}}, "unknown gate 'vote'"),
        ({"organisations": {"org-a": {"revenue": 1}}}, "has unknown keys revenue"),
        ({"organisations": {"org-a": {"sector": ""}}}, "must be a text of 1 to 64"),
        ({"default": {"open_round": "maybe"}}, "unknown effect 'maybe'"),
        ({"rules": {}}, "rules must be a list"),
        ({"rules": [{"action": "open_round"}]}, "unknown effect None"),
        ({"rules": [{"action": "read", "effect": "allow"}]}, "unknown action 'read'"),
        (
            {"rules": [{"action": "read_insights", "effect": "allow", "purposes": [None]}]},
            "must hold texts",
        ),
        (
            {"rules": [{"action": "read_insights", "effect": "allow", "learning_types": ["x"]}]},
            "unknown value 'x'",
        ),
        ([], "must be an object with text keys"),
    ],
)
def test_a_malformed_access_section_is_refused_naming_its_key(section: Any, message: str) -> None:
    with pytest.raises(BmadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_access(section)
