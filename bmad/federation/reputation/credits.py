"""Contribution credits: give to get.

An organisation earns the rules' credits for each released round it saw through (by learning
type); credits unlock actions (an action needs a balance, nothing is spent), and an
organisation whose last completed round (or, before its first, its joining) is older than the
grace period has its unlocked actions suspended until it takes part again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bmad.federation.reputation.model import Event
from bmad.federation.reputation.policy import ACTIONS, IncentiveRules


@dataclass(frozen=True, slots=True)
class Credits:
    balance: float
    rounds: int
    last_contribution: datetime | None
    active_until: datetime  # the grace period's end

    def active(self, now: datetime) -> bool:
        return now <= self.active_until

    def to_dict(self, rules: IncentiveRules, now: datetime) -> dict[str, Any]:
        return {
            "balance": self.balance,
            "rounds": self.rounds,
            "last_contribution": None
            if self.last_contribution is None
            else self.last_contribution.isoformat(),
            "active_until": self.active_until.isoformat(),
            "active": self.active(now),
            "unlocked": {
                action: self.balance >= rules.required(action) and self.active(now)
                for action in ACTIONS
            },
        }


def credits(events: Iterable[Event], joined: datetime, rules: IncentiveRules) -> Credits:
    completed = [event for event in events if event.kind == "round_completed"]
    balance = sum(rules.credits_for(event.learning_type) for event in completed)
    last = max((event.at for event in completed), default=None)
    since = max(last, joined) if last is not None else joined
    return Credits(balance, len(completed), last, since + timedelta(days=rules.grace_period_days))


def credit_check(
    rules: IncentiveRules, held: Credits, role: str, action: str, now: datetime
) -> tuple[bool, str]:
    """Whether the incentive rule lets ``action`` through, and why in words."""
    if not rules.enabled:
        return True, "the rules enable no incentives"
    if role in rules.exempt_roles:
        return True, f"the {role} role is exempt from credits"
    required = rules.required(action)
    if required <= 0:
        return True, f"{action} needs no credits"
    if held.balance < required:
        return False, (
            f"{action} needs {required:g} credits and the organisation holds {held.balance:g} "
            f"(earned by taking part in rounds)"
        )
    if not held.active(now):
        return False, (
            f"no round completed within the {rules.grace_period_days:g}-day grace period "
            f"(access lapsed on {held.active_until.date().isoformat()}): take part in a round "
            "to restore it"
        )
    return True, f"{held.balance:g} credits unlock {action} (needs {required:g})"
