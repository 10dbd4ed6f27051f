"""The next version of the rules: what a proposal or a seat binding writes, before signatures.

``rules_change`` applies ``--set NAME=VALUE`` settings (and whole ``incentives`` / ``access``
sections) to the head's rules, re-validating everything through ``Governance`` and
``ConsortiumRules``; ``admission`` adds a seat for a new organisation; ``binding`` gives a
free seat its organisation key and learning agreement. ``describe_change`` says in one line
what differs, for the proposal list and the review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bmad.errors import BmadError
from bmad.federation.consortium.chain import LogEntry
from bmad.federation.consortium.rules import (
    ConsortiumRules,
    Quorum,
    Retention,
    Seat,
    canonical,
    with_seat,
)
from bmad.federation.governance import Governance
from bmad.privacy.db import timestamp, utc_now

GOVERNANCE_SETTINGS: tuple[str, ...] = (
    "k_min_participants",
    "epsilon_per_round",
    "epsilon_per_period",
    "delta",
    "consensus_threshold",
    "phase_timeout",
    "enrol_timeout",
    "verify_inputs_up_to",
)
OTHER_SETTINGS: tuple[str, ...] = (
    "learning_types",
    "quorum",
    "quorum_minimum",
    "round_openers",
    "released_insights_days",
    "purpose",
)
SETTINGS: tuple[str, ...] = GOVERNANCE_SETTINGS + OTHER_SETTINGS


def next_entry(head: LogEntry, rules: ConsortiumRules, change: Mapping[str, Any]) -> LogEntry:
    """The unsigned version after ``head``."""
    at = max(timestamp(utc_now()), head.at)
    return LogEntry(head.version + 1, head.hash, at, dict(change), rules)


def _words(value: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip() for part in value.split(",") if part.strip()}))


def _quorum(value: str, current: Quorum) -> Quorum:
    numerator, slash, denominator = value.partition("/")
    try:
        if not slash:
            raise ValueError
        return replace(current, numerator=int(numerator), denominator=int(denominator))
    except ValueError:
        raise BmadError(f"quorum must look like 2/3, got {value!r}") from None


def rules_change(
    rules: ConsortiumRules,
    settings: Mapping[str, str],
    sections: Mapping[str, Mapping[str, Any]] | None = None,
) -> ConsortiumRules:
    """``rules`` with the named settings changed; BmadError for an unknown name or a value the
    rules refuse."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise BmadError(
            f"unknown rule setting {sorted(unknown)[0]!r} (known: {', '.join(SETTINGS)})"
        )
    governance = rules.governance.to_dict()
    for name in GOVERNANCE_SETTINGS:
        if name in settings:
            governance[name] = settings[name]
    agreement = rules.agreement
    if "learning_types" in settings:
        governance["allowed_learning_types"] = list(_words(settings["learning_types"]))
        agreement = replace(agreement, learning_types=_words(settings["learning_types"]))
    if "purpose" in settings:
        agreement = replace(agreement, purpose=settings["purpose"].strip())
    quorum = rules.quorum
    if "quorum" in settings:
        quorum = _quorum(settings["quorum"], quorum)
    try:
        if "quorum_minimum" in settings:
            quorum = replace(quorum, minimum=int(settings["quorum_minimum"]))
        retention = Retention(
            int(settings.get("released_insights_days", rules.retention.released_insights_days))
        )
    except ValueError as exc:
        raise BmadError(f"a quorum minimum or retention must be a whole number: {exc}") from None
    if retention != rules.retention:
        agreement = replace(agreement, retention=retention.describe())
    openers = rules.round_openers
    if "round_openers" in settings:
        openers = _words(settings["round_openers"])
    given = dict(sections or {})
    return replace(
        rules,
        governance=Governance.from_dict(governance),
        agreement=agreement,
        quorum=quorum,
        round_openers=openers,
        retention=retention,
        incentives=dict(given.get("incentives", rules.incentives)),
        access=dict(given.get("access", rules.access)),
    )


def admission(rules: ConsortiumRules, organisation: str) -> ConsortiumRules:
    """``rules`` with a free seat for a new organisation."""
    if rules.seat(organisation) is not None:
        raise BmadError(f"{organisation} already has a seat in the consortium")
    return with_seat(rules, Seat(organisation))


def binding(
    rules: ConsortiumRules,
    organisation: str,
    organisation_key: str,
    certificate: Mapping[str, Any],
    agreement_signature: str,
) -> ConsortiumRules:
    """``rules`` with ``organisation``'s free seat taken by its key."""
    seat = rules.seat(organisation)
    if seat is None or seat.taken:
        raise BmadError(f"{organisation} has no free seat in the consortium to take")
    return with_seat(
        rules, Seat(organisation, organisation_key, dict(certificate), agreement_signature)
    )


def _flat(document: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and key not in ("incentives", "access", "certificate"):
            flat.update(_flat(value, f"{name}."))
        else:
            flat[name] = canonical(value).decode("utf-8")
    return flat


def describe_change(before: ConsortiumRules, after: ConsortiumRules) -> str:
    """One line naming each setting that differs: 'governance.epsilon_per_round 2.0 -> 1.0'."""
    old, new = _flat(before.to_dict()), _flat(after.to_dict())
    parts = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name) and not name.endswith(
            ("certificate", "agreement_signature")
        ):
            parts.append(f"{name} {old.get(name, '-')} -> {new.get(name, '-')}")
    return "; ".join(parts) or "no change"
