"""Anonymity checks for aggregated tables before release.

- k-participants: a cell is released only when at least k distinct participants contributed
  to it, decided on the *noisy* participant count (thresholding the exact count would leak it).
- l-diversity of a sensitive column within each group (equivalence class): distinct (at least
  l different values) and entropy (exp(H) >= l, H in nats). Comparisons use a relative
  tolerance: a uniform group of l values has exp(H) = l up to rounding, and must pass (pycanon
  truncates int(e**H) and reports l - 1 there).
- t-closeness: the distance between each group's distribution of the sensitive value and the
  whole table's: ordinal EMD for ordered values (Li, Li and Venkatasubramanian 2007:
  (1 / (m - 1)) * sum_i |sum_{j <= i} (p_j - q_j)|) and the equal-distance EMD for categories
  (half the L1 distance).

Tables are given as counts: ``groups[g][v]`` is how many records of group g have sensitive value
v (noisy counts below zero are treated as zero).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bmad.errors import BmadError

TOLERANCE = 1e-9

Distance = Literal["ordinal", "equal"]


def released_cells(noisy_participant_counts: Sequence[float], k: int) -> list[bool]:
    """Which cells may be published: noisy count of distinct participants >= k."""
    if k < 1:
        raise BmadError(f"k must be at least 1, got {k}")
    return [count >= k for count in noisy_participant_counts]


def suppress(
    values: Sequence[int], noisy_participant_counts: Sequence[float], k: int
) -> list[int | None]:
    """The cells' values, with None wherever the release rule withholds the cell."""
    if len(values) != len(noisy_participant_counts):
        raise BmadError("values and participant counts must have the same length")
    keep = released_cells(noisy_participant_counts, k)
    return [value if ok else None for value, ok in zip(values, keep, strict=True)]


def _distribution(counts: Sequence[float]) -> list[float]:
    clipped = [max(0.0, float(c)) for c in counts]
    total = math.fsum(clipped)
    if total == 0:
        return [0.0] * len(clipped)
    return [c / total for c in clipped]


def _check_table(groups: Sequence[Sequence[float]]) -> None:
    if not groups:
        raise BmadError("the table has no groups")
    widths = {len(group) for group in groups}
    if len(widths) != 1 or 0 in widths:
        raise BmadError("every group must give a count for each sensitive value")


def distinct_l(groups: Sequence[Sequence[float]]) -> int:
    """The table's distinct l: the fewest different sensitive values in any non-empty group."""
    _check_table(groups)
    sizes = [sum(1 for c in group if c > 0) for group in groups if any(c > 0 for c in group)]
    return min(sizes) if sizes else 0


def entropy_l(groups: Sequence[Sequence[float]]) -> float:
    """The table's entropy l: min over non-empty groups of exp(H), H in nats (not truncated)."""
    _check_table(groups)
    values = []
    for group in groups:
        p = _distribution(group)
        if any(p):
            values.append(math.exp(-math.fsum(x * math.log(x) for x in p if x > 0)))
    return min(values) if values else 0.0


def is_distinct_l_diverse(groups: Sequence[Sequence[float]], l_value: int) -> bool:
    return distinct_l(groups) >= l_value


def is_entropy_l_diverse(groups: Sequence[Sequence[float]], l_value: float) -> bool:
    return entropy_l(groups) >= l_value * (1 - TOLERANCE)


def emd(p: Sequence[float], q: Sequence[float], distance: Distance) -> float:
    """Earth mover's distance between two distributions over the same values."""
    if len(p) != len(q) or not p:
        raise BmadError("distributions must be non-empty and of the same length")
    if distance == "equal":
        return 0.5 * math.fsum(abs(a - b) for a, b in zip(p, q, strict=True))
    if len(p) == 1:
        return 0.0
    running, total = 0.0, 0.0
    for a, b in zip(p, q, strict=True):
        running += a - b
        total += abs(running)
    return total / (len(p) - 1)


def closeness_t(groups: Sequence[Sequence[float]], distance: Distance) -> float:
    """The table's t: the largest EMD between a non-empty group and the whole table."""
    _check_table(groups)
    overall = _distribution([math.fsum(column) for column in zip(*groups, strict=True)])
    distances = [
        emd(_distribution(group), overall, distance)
        for group in groups
        if any(c > 0 for c in group)
    ]
    return max(distances) if distances else 0.0


def is_t_close(groups: Sequence[Sequence[float]], t: float, distance: Distance) -> bool:
    return closeness_t(groups, distance) <= t + TOLERANCE


@dataclass(frozen=True, slots=True)
class TableCheck:
    distinct_l: int
    entropy_l: float
    t: float
    passed: bool


def check_table(
    groups: Sequence[Sequence[float]],
    *,
    min_distinct_l: int,
    min_entropy_l: float,
    max_t: float,
    distance: Distance,
) -> TableCheck:
    """All three checks on a table with a sensitive column, for a release decision."""
    d, e, t = distinct_l(groups), entropy_l(groups), closeness_t(groups, distance)
    passed = d >= min_distinct_l and e >= min_entropy_l * (1 - TOLERANCE) and t <= max_t + TOLERANCE
    return TableCheck(d, e, t, passed)
