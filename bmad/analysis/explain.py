"""Explanations in words: "nesting depth 7 (99th percentile), 14 parameters (98th)"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_DRIVERS = 4
DRIVER_SHARE = 0.2  # a feature counts as a driver when its effect is >= 20% of the largest

FEATURE_WORDS: dict[str, str] = {
    "nloc": "{value} lines of code",
    "ccn": "cyclomatic complexity {value}",
    "cognitive": "cognitive complexity {value}",
    "max_nesting": "nesting depth {value}",
    "params": "{value} parameters",
    "returns": "{value} exit points",
    "tokens": "{value} tokens",
    "revisions": "changed in {value} commits",
    "churn": "{value} lines churned",
    "coupling": "sum of coupling {value}",
    "ownership_spread": "ownership spread {value}",
}


@dataclass(frozen=True, slots=True)
class FeatureEffect:
    feature: str
    value: float
    percentile: float  # within the reference, 0..100
    score_drop: float  # how much the anomaly score falls when the feature is set to its median


def ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _value_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def drivers(effects: Sequence[FeatureEffect]) -> list[FeatureEffect]:
    """The features that drive the score, strongest first (ties by name, for stability)."""
    positive = sorted(
        (effect for effect in effects if effect.score_drop > 0),
        key=lambda effect: (-effect.score_drop, effect.feature),
    )
    if not positive:
        return []
    floor = positive[0].score_drop * DRIVER_SHARE
    return [effect for effect in positive if effect.score_drop >= floor][:MAX_DRIVERS]


def describe(effects: Sequence[FeatureEffect]) -> str:
    parts: list[str] = []
    for index, effect in enumerate(drivers(effects)):
        words = FEATURE_WORDS[effect.feature].format(value=_value_text(effect.value))
        rank = ordinal(min(int(effect.percentile), 99))
        parts.append(f"{words} ({rank} percentile)" if index == 0 else f"{words} ({rank})")
    return ", ".join(parts)
