"""Governance of a federation: what its privacy level allows, as plain documented numbers.

A privacy level maps to defaults the federation's admin accepts at creation:

=========  ===  ================  =================  ====================  =========
level      k    epsilon / round   epsilon / period   learning types        consensus
=========  ===  ================  =================  ====================  =========
high       5    0.5  (delta 1e-6)  2.0 per month      code, anti-patterns,  0.8
                                                      technology, success
medium     5    1.0  (delta 1e-5)  4.0 per month      all eleven            0.7
low        3    2.0  (delta 1e-5)  8.0 per month      all eleven            0.6
=========  ===  ================  =================  ====================  =========

``k`` is the least number of distinct organisations a released sum (and every robust-combination
group) contains; the epsilon per round sizes the distributed noise of one round; the epsilon per
period caps what the aggregator lets the federation's rounds spend in one period (each
participant's own ledger enforces its own budget independently). Epsilons are converted to
zCDP rho with the federation's delta (CKS20, ``bmad.privacy.accounting``).

The unit of privacy is chosen per learning type (``units``; ``bmad.privacy.units``): every
level's default protects one function for ``code_patterns`` (at most 10,000 per organisation)
and the whole organisation for every other learning type.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from bmad.errors import BmadError
from bmad.federation.secagg.graph import SPARSE_FROM
from bmad.privacy.accounting import rho_budget
from bmad.privacy.schemas import LEARNING_TYPES
from bmad.privacy.units import Guarantee, Unit, unit_for

PRIVACY_LEVELS: tuple[str, ...] = ("high", "medium", "low")
ROBUST_COMBINERS: tuple[str, ...] = ("median", "trimmed_mean")
MIN_K = 3  # secure aggregation needs at least three participants
# Rules signed before ``verify_inputs_up_to`` existed prove the inputs of rounds up to this long:
# the learning types whose proofs cost a member under a second (bench/secagg/bench_validity.py).
VERIFY_INPUTS_UP_TO = 256
ALL = "all"  # verify_inputs_up_to: every round proves its inputs, whatever its length


_REAL_FIELDS = (
    "epsilon_per_round",
    "epsilon_per_period",
    "delta",
    "consensus_threshold",
    "trim_fraction",
    "phase_timeout",
    "enrol_timeout",
)


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
    # (learning type, unit of privacy); a learning type not named uses the organisation
    units: tuple[tuple[str, str], ...] = ()
    # groups of at least this many organisations use SecAgg+'s sparse graph (a cost choice only:
    # members derive and check the sparse parameters themselves, bmad.federation.secagg.graph)
    sparse_from: int = SPARSE_FROM
    # parent federations (ids) whose rounds may receive this federation's released results, one
    # participant each (bmad.federation.hierarchy); members accept it by joining under these rules
    forward_to: tuple[str, ...] = ()
    # the longest round vector whose inputs members must prove in range (validity proofs,
    # bmad.federation.secagg.round_bounds); None proves every round's, 0 none
    verify_inputs_up_to: int | None = VERIFY_INPUTS_UP_TO

    def __post_init__(self) -> None:
        for name in _REAL_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BmadError(f"{name} must be a number")
            # 100 and 100.0 must sign alike: the aggregator reads every one of these as a float
            object.__setattr__(self, name, float(value))
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
        if self.sparse_from < MIN_K:
            raise BmadError(f"sparse_from must be at least {MIN_K}")
        for learning_type, unit in self.units:
            unit_for(learning_type, unit)  # raises for a unit the learning type lacks
        limit = self.verify_inputs_up_to
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise BmadError(
                f"verify_inputs_up_to must be a vector length >= 0 or {ALL!r}, got {limit!r}"
            )
        for parent in self.forward_to:
            if not _is_federation_id(parent):
                raise BmadError(f"forward_to must name federation ids (UUIDs), got {parent!r}")

    def unit(self, learning_type: str) -> Unit:
        """The unit of privacy this federation's rounds of ``learning_type`` protect."""
        return unit_for(learning_type, dict(self.units).get(learning_type, "organisation"))

    def guarantee(self, learning_type: str) -> Guarantee:
        return Guarantee(self.unit(learning_type), self.rho_per_round, self.delta)

    @property
    def rho_per_round(self) -> float:
        return rho_budget(self.epsilon_per_round, self.delta)

    @property
    def rho_per_period(self) -> float:
        return rho_budget(self.epsilon_per_period, self.delta)

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["allowed_learning_types"] = list(self.allowed_learning_types)
        document["units"] = dict(self.units)
        document["forward_to"] = list(self.forward_to)
        if not self.forward_to:  # rules signed before forwarding existed still verify
            del document["forward_to"]
        if self.verify_inputs_up_to is None:
            document["verify_inputs_up_to"] = ALL
        elif self.verify_inputs_up_to == VERIFY_INPUTS_UP_TO:  # as rules signed before it
            del document["verify_inputs_up_to"]
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
                sparse_from=int(data.get("sparse_from", SPARSE_FROM)),
                units=tuple(
                    sorted((str(t), str(u)) for t, u in dict(data.get("units", {})).items())
                ),
                forward_to=tuple(str(parent) for parent in data.get("forward_to", ())),
                verify_inputs_up_to=verify_inputs_limit(
                    data.get("verify_inputs_up_to", VERIFY_INPUTS_UP_TO)
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BmadError(f"malformed governance settings: {exc.__class__.__name__}") from None


# Chosen from bench/privacy/utility.py (README: "Units of privacy"): code_patterns' record unit
# is the only unit that makes its standings readable below hundreds of organisations; the risk
# model has only the record unit (one file's gradient); every other learning type protects the
# whole organisation.
DEFAULT_UNITS: tuple[tuple[str, str], ...] = (
    ("code_patterns", "record"),
    ("risk_model", "record"),
)

_DEFAULTS: dict[str, Governance] = {
    "high": Governance(
        "high",
        5,
        0.5,
        2.0,
        1e-6,
        ("code_patterns", "anti_patterns", "technology_trends", "success_patterns"),
        0.8,
        units=DEFAULT_UNITS,
    ),
    "medium": Governance("medium", 5, 1.0, 4.0, 1e-5, LEARNING_TYPES, 0.7, units=DEFAULT_UNITS),
    "low": Governance("low", 3, 2.0, 8.0, 1e-5, LEARNING_TYPES, 0.6, units=DEFAULT_UNITS),
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
    if "forward_to" in given:
        given["forward_to"] = tuple(given["forward_to"])
    if "verify_inputs_up_to" in given:
        given["verify_inputs_up_to"] = verify_inputs_limit(given["verify_inputs_up_to"])
    if "units" in given:  # a mapping of the learning types to override
        given["units"] = tuple(sorted({**dict(base.units), **dict(given["units"])}.items()))
    return replace(base, **given)


def verify_inputs_limit(value: object) -> int | None:
    """``verify_inputs_up_to`` as written in rules, options and proposals: a length or "all"."""
    if value == ALL:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise BmadError(f"verify_inputs_up_to must be a vector length >= 0 or {ALL!r}, got {value!r}")


def _is_federation_id(text: str) -> bool:
    import uuid

    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


ROBUST_GROUPS = 3  # the median of three group sums tolerates one group of wild inputs
MIN_ROBUST_GROUP = 50  # organisations per group before a round is split for robustness


def group_sizes(participants: int, k: int) -> list[int]:
    """Split ``participants`` into secure-aggregation groups of at least k, evenly.

    One group unless every one of ``ROBUST_GROUPS`` groups can hold ``MIN_ROBUST_GROUP``
    organisations: each group's sum carries the full noise, and the robust median of G group
    means is further from the pooled value than one sum (by the groups' differences, which
    small groups make large). bench/privacy/utility.py measured today's earlier split into
    groups of k: at 20 organisations its median alone cost more than the +-5 points aimed at.
    """
    if participants <= 0:
        return []
    smallest = max(k, MIN_ROBUST_GROUP)
    groups = ROBUST_GROUPS if participants >= ROBUST_GROUPS * smallest else 1
    base, extra = divmod(participants, groups)
    return [base + (1 if index < extra else 0) for index in range(groups)]


def minimum_threshold(group_size: int) -> int:
    """The least Shamir threshold of a group of n: 2n/3 + 1, rounded up.

    Bonawitz et al. 2017 (active security) need t > 2n/3 so that a malicious aggregator with
    fewer than n/3 corrupt members cannot learn an honest member's input through
    contradictory unmask requests."""
    return (2 * group_size + 5) // 3


def reconstruction_threshold(group_size: int, k: int) -> int:
    """Shamir threshold of a group: at least 2n/3 + 1, and never below k."""
    return min(group_size, max(minimum_threshold(group_size), k))


def collusion_allowance(group_size: int) -> int:
    """How many members of a group of n may collude with the aggregator (Sybils included) and
    the guarantee still hold: a third of the group, rounded down."""
    return group_size // 3


def noise_shares(group_size: int, min_survivors: int) -> int:
    """The honest noise shares each participant sizes its share for: the least number of
    survivors minus the collusion allowance (colluders may reveal or withhold their own)."""
    return min_survivors - collusion_allowance(group_size)
