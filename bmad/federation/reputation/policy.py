"""The ``incentives`` and ``access`` sections of the consortium rules document.

Both are plain JSON objects in the rules every member signs; ``parse_incentives`` and
``parse_access`` turn them into frozen dataclasses and refuse anything malformed with a message
naming the key to fix. An absent section parses to the defaults below, which keep the
role-based behaviour of a federation that never wrote one: no credit is required and every
request the role allows is allowed.

Example of both sections::

    "incentives": {
        "enabled": true,
        "credits_per_round": {"default": 1.0, "code_patterns": 2.0},
        "unlocks": {"read_insights": 1, "export_insights": 3, "open_round": 5},
        "grace_period_days": 60,
        "exempt_roles": ["admin"]
    },
    "access": {
        "minimum_levels": {"open_round": "established", "quorum": "established"},
        "organisations": {"org-a": {"sector": "finance", "size_band": "large"}},
        "default": {"export_insights": "deny"},
        "rules": [
            {"action": "export_insights", "effect": "allow", "purposes": ["research"],
             "min_credits": 3},
            {"action": "read_insights", "effect": "deny", "learning_types": ["success_patterns"],
             "size_bands": ["small"]}
        ]
    }
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bmad.errors import BmadError
from bmad.privacy.schemas import LEARNING_TYPES

# What an organisation asks the aggregator for; each is decided by the access policy and, when
# incentives are enabled, unlocked by credits.
ACTIONS: tuple[str, ...] = ("open_round", "read_insights", "export_insights")
EFFECTS: tuple[str, ...] = ("allow", "deny")
ROLES: tuple[str, ...] = ("admin", "member", "observer")
# Lowest first; cut-offs in ``model.trust_level``.
TRUST_LEVELS: tuple[str, ...] = ("untrusted", "new", "established", "trusted")
# Where a minimum reputation level may be required: the actions, and counting toward the
# membership quorum of governance proposals.
LEVEL_GATES: tuple[str, ...] = (*ACTIONS, "quorum")
DEFAULT_CREDITS_KEY = "default"
ATTRIBUTE_PATTERN_MAX = 64


@dataclass(frozen=True, slots=True)
class IncentiveRules:
    """Give to get: credits earned by taking part in rounds unlock actions."""

    enabled: bool = False
    # learning type -> credits for one released round the organisation saw through
    credits_per_round: tuple[tuple[str, float], ...] = ()
    default_credits_per_round: float = 1.0
    # action -> credits an organisation must hold (credits unlock, they are not spent)
    unlocks: tuple[tuple[str, float], ...] = ()
    # without a completed round in this many days, the unlocked actions are suspended
    grace_period_days: float = 60.0
    exempt_roles: tuple[str, ...] = ()

    def credits_for(self, learning_type: str) -> float:
        return dict(self.credits_per_round).get(learning_type, self.default_credits_per_round)

    def required(self, action: str) -> float:
        return dict(self.unlocks).get(action, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "credits_per_round": {
                DEFAULT_CREDITS_KEY: self.default_credits_per_round,
                **dict(self.credits_per_round),
            },
            "unlocks": dict(self.unlocks),
            "grace_period_days": self.grace_period_days,
            "exempt_roles": list(self.exempt_roles),
        }


@dataclass(frozen=True, slots=True)
class OrganisationAttributes:
    """What an organisation declared about itself in the rules its peers signed."""

    sector: str | None = None
    size_band: str | None = None


@dataclass(frozen=True, slots=True)
class AccessRule:
    """One row of the policy table: when every condition given holds, ``effect`` applies."""

    action: str
    effect: str
    roles: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    size_bands: tuple[str, ...] = ()
    learning_types: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    min_credits: float | None = None
    min_level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"action": self.action, "effect": self.effect}
        for name in ("roles", "sectors", "size_bands", "learning_types", "purposes"):
            if getattr(self, name):
                document[name] = list(getattr(self, name))
        if self.min_credits is not None:
            document["min_credits"] = self.min_credits
        if self.min_level is not None:
            document["min_level"] = self.min_level
        return document


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Attribute-based access control on top of the roles.

    A request is denied when a matching rule denies it, allowed when a matching rule allows
    it, and otherwise gets its action's default (allow unless the policy says deny).
    """

    rules: tuple[AccessRule, ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()
    organisations: tuple[tuple[str, OrganisationAttributes], ...] = ()
    minimum_levels: tuple[tuple[str, str], ...] = ()

    def default_effect(self, action: str) -> str:
        return dict(self.defaults).get(action, "allow")

    def attributes_of(self, organisation: str) -> OrganisationAttributes:
        return dict(self.organisations).get(organisation, OrganisationAttributes())

    def minimum_level(self, gate: str) -> str | None:
        return dict(self.minimum_levels).get(gate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "minimum_levels": dict(self.minimum_levels),
            "organisations": {
                name: {
                    key: value
                    for key, value in (
                        ("sector", attributes.sector),
                        ("size_band", attributes.size_band),
                    )
                    if value is not None
                }
                for name, attributes in self.organisations
            },
            "default": dict(self.defaults),
            "rules": [rule.to_dict() for rule in self.rules],
        }


def parse_incentives(document: Mapping[str, Any] | None) -> IncentiveRules:
    """The rules document's ``incentives`` section, validated (None: the defaults)."""
    if document is None:
        return IncentiveRules()
    section = _mapping(document, "incentives")
    _only_keys(
        section,
        "incentives",
        {"enabled", "credits_per_round", "unlocks", "grace_period_days", "exempt_roles"},
    )
    enabled = section.get("enabled", False)
    if not isinstance(enabled, bool):
        raise BmadError(f"[incentives] enabled must be true or false, got {enabled!r}")
    earned = _mapping(section.get("credits_per_round", {}), "incentives.credits_per_round")
    per_type: dict[str, float] = {}
    default_credits = 1.0
    for key, value in earned.items():
        credits = _non_negative(value, f"incentives.credits_per_round.{key}")
        if key == DEFAULT_CREDITS_KEY:
            default_credits = credits
        else:
            _known(key, LEARNING_TYPES, "incentives.credits_per_round", "learning type")
            per_type[key] = credits
    unlocks: dict[str, float] = {}
    for key, value in _mapping(section.get("unlocks", {}), "incentives.unlocks").items():
        _known(key, ACTIONS, "incentives.unlocks", "action")
        unlocks[key] = _non_negative(value, f"incentives.unlocks.{key}")
    grace = _non_negative(section.get("grace_period_days", 60.0), "incentives.grace_period_days")
    exempt = _names(section.get("exempt_roles", []), "incentives.exempt_roles", ROLES)
    return IncentiveRules(
        enabled=enabled,
        credits_per_round=tuple(sorted(per_type.items())),
        default_credits_per_round=default_credits,
        unlocks=tuple(sorted(unlocks.items())),
        grace_period_days=grace,
        exempt_roles=exempt,
    )


def parse_access(document: Mapping[str, Any] | None) -> AccessPolicy:
    """The rules document's ``access`` section, validated (None: allow what roles allow)."""
    if document is None:
        return AccessPolicy()
    section = _mapping(document, "access")
    _only_keys(section, "access", {"minimum_levels", "organisations", "default", "rules"})
    levels: dict[str, str] = {}
    for gate, level in _mapping(section.get("minimum_levels", {}), "access.minimum_levels").items():
        _known(gate, LEVEL_GATES, "access.minimum_levels", "gate")
        _known(level, TRUST_LEVELS, f"access.minimum_levels.{gate}", "trust level")
        levels[gate] = level
    organisations: dict[str, OrganisationAttributes] = {}
    declared = _mapping(section.get("organisations", {}), "access.organisations")
    for name, attributes in declared.items():
        where = f"access.organisations.{name}"
        values = _mapping(attributes, where)
        _only_keys(values, where, {"sector", "size_band"})
        organisations[name] = OrganisationAttributes(
            sector=_optional_word(values.get("sector"), f"{where}.sector"),
            size_band=_optional_word(values.get("size_band"), f"{where}.size_band"),
        )
    defaults: dict[str, str] = {}
    for action, effect in _mapping(section.get("default", {}), "access.default").items():
        _known(action, ACTIONS, "access.default", "action")
        _known(effect, EFFECTS, f"access.default.{action}", "effect")
        defaults[action] = effect
    rules_value = section.get("rules", [])
    if not isinstance(rules_value, list):
        raise BmadError(f"[access] rules must be a list, got {type(rules_value).__name__}")
    rules = tuple(_rule(item, f"access.rules[{index}]") for index, item in enumerate(rules_value))
    return AccessPolicy(
        rules=rules,
        defaults=tuple(sorted(defaults.items())),
        organisations=tuple(sorted(organisations.items())),
        minimum_levels=tuple(sorted(levels.items())),
    )


def _rule(item: Any, where: str) -> AccessRule:
    values = _mapping(item, where)
    _only_keys(
        values,
        where,
        {
            "action",
            "effect",
            "roles",
            "sectors",
            "size_bands",
            "learning_types",
            "purposes",
            "min_credits",
            "min_level",
        },
    )
    action = values.get("action")
    effect = values.get("effect")
    _known(action, ACTIONS, f"{where}.action", "action")
    _known(effect, EFFECTS, f"{where}.effect", "effect")
    min_level = values.get("min_level")
    if min_level is not None:
        _known(min_level, TRUST_LEVELS, f"{where}.min_level", "trust level")
    min_credits = values.get("min_credits")
    return AccessRule(
        action=str(action),
        effect=str(effect),
        roles=_names(values.get("roles", []), f"{where}.roles", ROLES),
        sectors=_names(values.get("sectors", []), f"{where}.sectors"),
        size_bands=_names(values.get("size_bands", []), f"{where}.size_bands"),
        learning_types=_names(
            values.get("learning_types", []), f"{where}.learning_types", LEARNING_TYPES
        ),
        purposes=_names(values.get("purposes", []), f"{where}.purposes"),
        min_credits=None
        if min_credits is None
        else _non_negative(min_credits, f"{where}.min_credits"),
        min_level=None if min_level is None else str(min_level),
    )


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise BmadError(f"[{where}] must be an object with text keys, got {type(value).__name__}")
    return value


def _only_keys(values: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise BmadError(
            f"[{where}] has unknown keys {', '.join(unknown)} (known: {', '.join(sorted(allowed))})"
        )


def _known(value: Any, known: tuple[str, ...], where: str, what: str) -> None:
    if value not in known:
        raise BmadError(f"[{where}] unknown {what} {value!r} (known: {', '.join(known)})")


def _non_negative(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BmadError(f"[{where}] must be a number >= 0, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise BmadError(f"[{where}] must be a number >= 0, got {value!r}")
    return number


def _optional_word(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= ATTRIBUTE_PATTERN_MAX:
        raise BmadError(
            f"[{where}] must be a text of 1 to {ATTRIBUTE_PATTERN_MAX} characters, got {value!r}"
        )
    return value


def _names(value: Any, where: str, known: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BmadError(f"[{where}] must be a list, got {type(value).__name__}")
    names: list[str] = []
    for item in value:
        word = _optional_word(item, where) if item is not None else None
        if word is None:
            raise BmadError(f"[{where}] must hold texts, got {item!r}")
        if known is not None:
            _known(word, known, where, "value")
        names.append(word)
    return tuple(sorted(set(names)))
