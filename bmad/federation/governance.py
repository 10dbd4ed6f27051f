"""Governance of a federation: what its privacy level allows, as plain documented numbers.

A privacy level maps to defaults the federation's admin accepts at creation:

=========  ===  ================  =================  ====================  =========
level      k    epsilon / round   epsilon / period   learning types        consensus
=========  ===  ================  =================  ====================  =========
high       5    0.5  (delta 1e-6)  2.0 per month      code, anti-patterns,  0.8
                                                      technology, success
medium     5    1.0  (delta 1e-5)  4.0 per month      all six               0.7
low        3    2.0  (delta 1e-5)  8.0 per month      all six               0.6
=========  ===  ================  =================  ====================  =========

``k`` is the least number of distinct organisations a released sum (and every robust-combination
group) contains; the epsilon per round sizes the distributed noise of one round; the epsilon per
period caps what the aggregator lets the federation's rounds spend in one period (each
participant's own ledger enforces its own budget independently). Epsilons are converted to
zCDP rho with the federation's delta (CKS20, ``bmad.privacy.accounting``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from bmad.errors import BmadError
from bmad.privacy.accounting import rho_budget
from bmad.privacy.schemas import LEARNING_TYPES

PRIVACY_LEVELS: tuple[str, ...] = ("high", "medium", "low")
ROBUST_COMBINERS: tuple[str, ...] = ("median", "trimmed_mean")
MIN_K = 3  # secure aggregation needs at least three participants


@dataclass(frozen=True, slots=True)
class Governance:
    privacy_level: str
    k_min_participants: int
    epsilon_per_round: float
    epsilon_per_period: float
    delta: float
    allowed_learning_types: tuple[str, ...]
    consensus_threshold: float
    robust_combiner: str = "median"
    trim_fraction: float = 0.2  # per side, for trimmed_mean
    phase_timeout: float = 60.0  # seconds the aggregator waits for each phase's messages
    enrol_timeout: float = 60.0  # seconds a round stays open for enrolment

    def __post_init__(self) -> None:
        if self.privacy_level not in PRIVACY_LEVELS:
            raise BmadError(
                f"unknown privacy level {self.privacy_level!r} (known: {', '.join(PRIVACY_LEVELS)})"
            )
        if self.k_min_participants < MIN_K:
            raise BmadError(f"k (minimum participants) must be at least {MIN_K}")
        for name in ("epsilon_per_round", "epsilon_per_period"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise BmadError(f"{name} must be a positive number")
        if self.epsilon_per_round > self.epsilon_per_period:
            raise BmadError("epsilon per round cannot exceed epsilon per period")
        if not 0 < self.delta < 1:
            raise BmadError("delta must be in (0, 1)")
        unknown = set(self.allowed_learning_types) - set(LEARNING_TYPES)
        if unknown or not self.allowed_learning_types:
            raise BmadError(f"allowed learning types must be among {', '.join(LEARNING_TYPES)}")
        if not 0 < self.consensus_threshold <= 1:
            raise BmadError("the consensus threshold must be in (0, 1]")
        if self.robust_combiner not in ROBUST_COMBINERS:
            raise BmadError(f"robust combiner must be one of {', '.join(ROBUST_COMBINERS)}")
        if not 0 <= self.trim_fraction < 0.5:
            raise BmadError("trim fraction must be in [0, 0.5)")
        for name in ("phase_timeout", "enrol_timeout"):
            value = getattr(self, name)
            if not (0 < value <= 3600 and math.isfinite(value)):
                raise BmadError(f"{name} must be in (0, 3600] seconds")

    @property
    def rho_per_round(self) -> float:
        return rho_budget(self.epsilon_per_round, self.delta)

    @property
    def rho_per_period(self) -> float:
        return rho_budget(self.epsilon_per_period, self.delta)

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["allowed_learning_types"] = list(self.allowed_learning_types)
        return document

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Governance:
        try:
            return cls(
                privacy_level=str(data["privacy_level"]),
                k_min_participants=int(data["k_min_participants"]),
                epsilon_per_round=float(data["epsilon_per_round"]),
                epsilon_per_period=float(data["epsilon_per_period"]),
                delta=float(data["delta"]),
                allowed_learning_types=tuple(str(t) for t in data["allowed_learning_types"]),
                consensus_threshold=float(data["consensus_threshold"]),
                robust_combiner=str(data.get("robust_combiner", "median")),
                trim_fraction=float(data.get("trim_fraction", 0.2)),
                phase_timeout=float(data.get("phase_timeout", 60.0)),
                enrol_timeout=float(data.get("enrol_timeout", 60.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BmadError(f"malformed governance settings: {exc.__class__.__name__}") from None


_DEFAULTS: dict[str, Governance] = {
    "high": Governance(
        "high",
        5,
        0.5,
        2.0,
        1e-6,
        ("code_patterns", "anti_patterns", "technology_trends", "success_patterns"),
        0.8,
    ),
    "medium": Governance("medium", 5, 1.0, 4.0, 1e-5, LEARNING_TYPES, 0.7),
    "low": Governance("low", 3, 2.0, 8.0, 1e-5, LEARNING_TYPES, 0.6),
}


def governance_for(level: str, **overrides: Any) -> Governance:
    """The documented defaults of a privacy level, with explicit overrides (None = default)."""
    try:
        base = _DEFAULTS[level]
    except KeyError:
        raise BmadError(
            f"unknown privacy level {level!r} (known: {', '.join(PRIVACY_LEVELS)})"
        ) from None
    given = {name: value for name, value in overrides.items() if value is not None}
    if "allowed_learning_types" in given:
        given["allowed_learning_types"] = tuple(given["allowed_learning_types"])
    return replace(base, **given)


def group_sizes(participants: int, k: int) -> list[int]:
    """Split ``participants`` into as many groups of at least ``k`` as possible, evenly.

    Fewer than 2k participants make one group (no robust combination is possible then).
    """
    if participants < k:
        return [participants] if participants else []
    groups = max(1, participants // k)
    base, extra = divmod(participants, groups)
    return [base + (1 if index < extra else 0) for index in range(groups)]


def reconstruction_threshold(group_size: int, k: int) -> int:
    """Shamir threshold of a group: a strict majority, and never below k."""
    return min(group_size, max(group_size // 2 + 1, k))
