"""One ranking over functions and files: smell severities + anomaly + hotspot weight.

priority = sum of the severity weights of the entity's findings
         + ANOMALY_WEIGHT x the function's anomaly-score percentile (0..1; for a file, the
           highest of its functions')
         + HOTSPOT_WEIGHT x the file's hotspot percentile (revisions x complexity, 0..1)
Ties break on path, line, kind and name, so the same input always gives the same order.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K")

SEVERITY_WEIGHTS: dict[str, float] = {"error": 3.0, "warning": 2.0, "note": 1.0}
ANOMALY_WEIGHT = 2.0
HOTSPOT_WEIGHT = 2.0


def percentile_ranks(values: Mapping[K, float]) -> dict[K, float]:
    """Each key's mid-rank share among the positive values (0 for values <= 0)."""
    positive = sorted(value for value in values.values() if value > 0)
    ranks: dict[K, float] = {}
    for key, value in values.items():
        if value <= 0:
            ranks[key] = 0.0
            continue
        below = bisect.bisect_left(positive, value)
        ties = bisect.bisect_right(positive, value) - below
        ranks[key] = (below + 0.5 * ties + 0.5) / len(positive)
    return ranks


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str  # function | file
    path: str
    start_line: int
    end_line: int
    name: str | None


def priority(severities: Sequence[str], anomaly_rank: float, hotspot_rank: float) -> float:
    return (
        sum(SEVERITY_WEIGHTS[level] for level in severities)
        + ANOMALY_WEIGHT * anomaly_rank
        + HOTSPOT_WEIGHT * hotspot_rank
    )


def order_key(entity: Entity, value: float) -> tuple[float, str, int, str, str]:
    return (-round(value, 9), entity.path, entity.start_line, entity.kind, entity.name or "")
