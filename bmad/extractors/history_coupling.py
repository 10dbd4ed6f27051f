"""Change coupling, as code-maat computes it (``coupling_algos.clj``, ``logical_coupling.clj``,
``sum_of_coupling.clj``).

- Change sets larger than ``max_changeset`` are dropped before anything is counted.
- A file's revisions are the retained change sets that contain it (single-file ones included).
- degree = 100 * shared / mean(revs_a, revs_b); a pair is kept when the mean >= min_revs,
  shared >= min_shared_revs, degree >= min_coupling and floor(degree) <= max_coupling.
  The reported degree is truncated to an integer, average_revs rounded up, as code-maat does.
- Sum of coupling: each file gets (size - 1) per change set it is in (no size limit), and
  only files with a sum above ``min_revs`` are kept.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True, slots=True)
class CouplingThresholds:
    min_revs: int = 5
    min_shared_revs: int = 5
    min_coupling: int = 30
    max_coupling: int = 100
    max_changeset: int = 30


@dataclass(frozen=True, slots=True)
class CouplingPair:
    a: int  # file indexes, a < b
    b: int
    degree: int
    shared: int
    average_revs: int


def coupling_pairs(
    change_sets: Sequence[Sequence[int]], thresholds: CouplingThresholds
) -> list[CouplingPair]:
    """Coupled pairs, strongest first (degree, then average revisions, descending)."""
    revisions: Counter[int] = Counter()
    shared: Counter[tuple[int, int]] = Counter()
    for change_set in change_sets:
        if not change_set or len(change_set) > thresholds.max_changeset:
            continue
        members = sorted(set(change_set))
        revisions.update(members)
        shared.update(combinations(members, 2))
    pairs: list[CouplingPair] = []
    for (a, b), together in shared.items():
        average = (revisions[a] + revisions[b]) / 2
        degree = 100 * together / average
        if (
            average >= thresholds.min_revs
            and together >= thresholds.min_shared_revs
            and degree >= thresholds.min_coupling
            and math.floor(degree) <= thresholds.max_coupling
        ):
            pairs.append(CouplingPair(a, b, int(degree), together, math.ceil(average)))
    pairs.sort(key=lambda pair: (-pair.degree, -pair.average_revs, pair.a, pair.b))
    return pairs


def sum_of_coupling(change_sets: Sequence[Sequence[int]], min_revs: int) -> dict[int, int]:
    totals: Counter[int] = Counter()
    for change_set in change_sets:
        members = set(change_set)
        for member in members:
            totals[member] += len(members) - 1
    return {member: total for member, total in totals.items() if total > min_revs}
