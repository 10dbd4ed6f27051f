"""Beta reputation of a member organisation from verifiable events and signed ratings.

The model is Josang & Ismail's beta reputation system ("The Beta Reputation System", 15th Bled
Electronic Commerce Conference, 2002): positive evidence r and negative evidence s give the
posterior Beta(r + 1, s + 1) over the probability that the organisation behaves well, from the
neutral prior Beta(1, 1); its mean (r + 1) / (r + s + 2) is the score. Evidence fades with a
forgetting factor (lambda per 30 days: an item t whole days old weighs lambda^(t / 30)), and a
rating Q in [0, 1] from another organisation is fractional evidence (w Q positive, w (1 - Q)
negative), weighted by the rater (section 4 of the paper: reputation discounting).

Defences against inflated ratings, beyond the paper:

- one rating per ordered pair per period (the aggregator keeps the latest; ``ledger``);
- a rater's weight is its own score from events only (never from ratings, so raters cannot lift
  each other) times its tenure, min(1, rounds it completed / ``TENURE_ROUNDS``): an
  organisation admitted yesterday, or a Sybil that never saw a round through, weighs nothing;
- ratings together add at most ``RATING_SHARE`` times the target's event evidence: a target is
  known first by what it did in rounds, and ratings can only refine that.

The score is bound to the organisation key: events and ratings recorded under another key of
the same organisation name are not counted (``ledger``), so reputation cannot be carried over.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bmad.federation.reputation.beta import beta_quantile
from bmad.federation.reputation.policy import TRUST_LEVELS

# (positive, negative) evidence of each event kind the aggregator records as rounds go on.
EVIDENCE: dict[str, tuple[float, float]] = {
    # saw a released round through every phase
    "round_completed": (1.0, 0.0),
    # missed a phase deadline, or sent a phase message its group refused (a bad signature or a
    # failed consistency check): either way the group lost a member mid-round
    "dropped_out": (0.0, 1.0),
}
FORGETTING_PER_30_DAYS = 0.9
TENURE_ROUNDS = 4
RATING_SHARE = 0.5
CREDIBLE_MASS = 0.9  # of the credible interval: from the 5% to the 95% quantile
# Cut-offs on the credible interval (README "Trust, reputation, incentives").
TRUSTED_LOWER_BOUND = 0.7
ESTABLISHED_LOWER_BOUND = 0.5
UNTRUSTED_BELOW_MEAN = 0.5


@dataclass(frozen=True, slots=True)
class Event:
    """One verifiable thing an organisation did, as the round engine recorded it."""

    kind: str
    at: datetime
    round: str = ""
    learning_type: str = ""


@dataclass(frozen=True, slots=True)
class WeightedRating:
    """A rating with the weight of its rater when the score is computed."""

    rater: str
    quality: float
    at: datetime
    rater_weight: float


@dataclass(frozen=True, slots=True)
class Reputation:
    positive_events: float
    negative_events: float
    positive_ratings: float
    negative_ratings: float
    rating_scale: float  # 1, or the factor the cap shrank the ratings' evidence by

    @property
    def alpha(self) -> float:
        return 1.0 + self.positive_events + self.positive_ratings

    @property
    def beta(self) -> float:
        return 1.0 + self.negative_events + self.negative_ratings

    @property
    def score(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def interval(self) -> tuple[float, float]:
        tail = (1 - CREDIBLE_MASS) / 2
        return (
            beta_quantile(tail, self.alpha, self.beta),
            beta_quantile(1 - tail, self.alpha, self.beta),
        )

    @property
    def level(self) -> str:
        return trust_level(self)

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "score": self.score,
            "interval": [low, high],
            "credible_mass": CREDIBLE_MASS,
            "level": self.level,
            "alpha": self.alpha,
            "beta": self.beta,
            "evidence": {
                "events": {"positive": self.positive_events, "negative": self.negative_events},
                "ratings": {"positive": self.positive_ratings, "negative": self.negative_ratings},
                "rating_scale": self.rating_scale,
            },
        }


def trust_level(reputation: Reputation) -> str:
    """untrusted: more bad than good expected; trusted / established: the interval's lower
    bound clears 0.7 / 0.5; new: too little evidence to say either."""
    if reputation.score < UNTRUSTED_BELOW_MEAN:
        return "untrusted"
    low, _ = reputation.interval
    if low >= TRUSTED_LOWER_BOUND:
        return "trusted"
    if low >= ESTABLISHED_LOWER_BOUND:
        return "established"
    return "new"


def level_at_least(level: str, minimum: str) -> bool:
    return TRUST_LEVELS.index(level) >= TRUST_LEVELS.index(minimum)


def fading(at: datetime, now: datetime, forgetting: float = FORGETTING_PER_30_DAYS) -> float:
    """The weight left to evidence recorded at ``at``: lambda^(whole days of age / 30), so
    that evidence fades day by day and a day's events weigh alike."""
    age_days = max(0, (now - at).days)
    return math.pow(forgetting, age_days / 30)


def event_evidence(
    events: Iterable[Event], now: datetime, forgetting: float = FORGETTING_PER_30_DAYS
) -> tuple[float, float]:
    positive = negative = 0.0
    for event in events:
        good, bad = EVIDENCE[event.kind]
        weight = fading(event.at, now, forgetting)
        positive += good * weight
        negative += bad * weight
    return positive, negative


def tenure(events: Iterable[Event]) -> float:
    """How far an organisation's track record counts for its ratings: rounds completed
    over ``TENURE_ROUNDS``, at most 1."""
    completed = sum(1 for event in events if event.kind == "round_completed")
    return min(1.0, completed / TENURE_ROUNDS)


def rater_weight(events: Sequence[Event], now: datetime) -> float:
    """A rater's weight: its score from events alone times its tenure."""
    return reputation(events, (), now).score * tenure(events)


def reputation(
    events: Iterable[Event],
    ratings: Iterable[WeightedRating],
    now: datetime,
    forgetting: float = FORGETTING_PER_30_DAYS,
) -> Reputation:
    positive, negative = event_evidence(events, now, forgetting)
    rated_positive = rated_negative = 0.0
    for rating in ratings:
        weight = rating.rater_weight * fading(rating.at, now, forgetting)
        rated_positive += weight * rating.quality
        rated_negative += weight * (1 - rating.quality)
    cap = RATING_SHARE * (positive + negative)
    rated = rated_positive + rated_negative
    scale = 1.0 if rated <= cap else cap / rated
    return Reputation(positive, negative, rated_positive * scale, rated_negative * scale, scale)


def history(
    events: Sequence[Event], ratings: Sequence[WeightedRating], now: datetime
) -> list[dict[str, Any]]:
    """The score after each event and rating, in time order, as seen at that moment."""
    moments = sorted(
        [(event.at, f"event {event.kind}") for event in events]
        + [(rating.at, f"rating {rating.quality:g} by {rating.rater}") for rating in ratings]
    )
    points: list[dict[str, Any]] = []
    for at, what in moments:
        state = reputation(
            [event for event in events if event.at <= at],
            [rating for rating in ratings if rating.at <= at],
            at,
        )
        low, high = state.interval
        points.append(
            {
                "at": at.isoformat(),
                "after": what,
                "score": state.score,
                "interval": [low, high],
                "level": state.level,
            }
        )
    if points:
        current = reputation(events, ratings, now)
        low, high = current.interval
        points.append(
            {
                "at": now.isoformat(),
                "after": "now (faded)",
                "score": current.score,
                "interval": [low, high],
                "level": current.level,
            }
        )
    return points


def described_levels() -> dict[str, str]:
    """The levels' cut-offs, in words, for the CLI and the README."""
    mass = round(CREDIBLE_MASS * 100)
    return {
        "untrusted": f"score below {UNTRUSTED_BELOW_MEAN:g} (more bad evidence than good)",
        "new": f"score at least {UNTRUSTED_BELOW_MEAN:g}, but the {mass}% interval's lower "
        f"bound below {ESTABLISHED_LOWER_BOUND:g} (too little evidence)",
        "established": f"the {mass}% interval's lower bound at least {ESTABLISHED_LOWER_BOUND:g}",
        "trusted": f"the {mass}% interval's lower bound at least {TRUSTED_LOWER_BOUND:g}",
    }


def rounds_to_reach_levels() -> dict[str, int]:
    """Rounds completed without a dropout that reach each level from the prior: the least r
    with 0.05^(1 / (r + 1)) >= cut-off (the lower bound of Beta(r + 1, 1) is 0.05^(1/(r+1)))."""
    tail = (1 - CREDIBLE_MASS) / 2
    return {
        "established": math.ceil(math.log(tail) / math.log(ESTABLISHED_LOWER_BOUND) - 1),
        "trusted": math.ceil(math.log(tail) / math.log(TRUSTED_LOWER_BOUND) - 1),
    }
