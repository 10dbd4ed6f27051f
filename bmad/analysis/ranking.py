"""One ranking over functions and files: smell severities + anomaly + hotspot weight.

priority = sum of the severity weights of the entity's findings
         + ANOMALY_WEIGHT x the function's anomaly-score percentile (0..1; for a file, the
           highest of its functions')
         + HOTSPOT_WEIGHT x the file's hotspot percentile (revisions x complexity, 0..1)
Ties break on path, line, kind and name, so the same input always gives the same order.

An entity whose findings are all of one capped rule (``CAPPED_SHARES``: knowledge islands,
which can name most files of a repository) holds at most that rule's share of every top N:
the ones held back follow as soon as the share allows, the rest come last, in their order.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K")
E = TypeVar("E")

SEVERITY_WEIGHTS: dict[str, float] = {"error": 3.0, "warning": 2.0, "note": 1.0}
ANOMALY_WEIGHT = 2.0
HOTSPOT_WEIGHT = 2.0
CAPPED_SHARES: dict[str, float] = {"knowledge-island": 0.2}  # at most 2 of any top 10


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


def capped_rule(rule_ids: Collection[str]) -> str | None:
    """The capped rule that all of an entity's findings are of, if any."""
    distinct = set(rule_ids)
    if len(distinct) == 1:
        (only,) = distinct
        return only if only in CAPPED_SHARES else None
    return None


def ranked_order(
    entries: Iterable[E],
    key: Callable[[E], tuple[float, str, int, str, str]],
    rule_ids: Callable[[E], Collection[str]],
) -> list[E]:
    """``entries`` ordered by ``key``, each capped rule holding at most its share of every
    prefix (see the module's docstring)."""
    others: deque[E] = deque()
    held: dict[str, deque[E]] = {rule: deque() for rule in CAPPED_SHARES}
    for entry in sorted(entries, key=key):
        rule = capped_rule(rule_ids(entry))
        (others if rule is None else held[rule]).append(entry)
    placed = dict.fromkeys(CAPPED_SHARES, 0)
    ranked: list[E] = []
    while others or any(held.values()):
        candidates: list[tuple[tuple[float, str, int, str, str], str | None]] = (
            [(key(others[0]), None)] if others else []
        )
        candidates += [
            (key(queue[0]), rule)
            for rule, queue in held.items()
            if queue and placed[rule] + 1 <= CAPPED_SHARES[rule] * (len(ranked) + 1)
        ]
        if not candidates:  # only held-back entries are left: they come last
            candidates = [(key(queue[0]), rule) for rule, queue in held.items() if queue]
        _key, chosen = min(candidates, key=lambda candidate: candidate[0])
        if chosen is None:
            ranked.append(others.popleft())
        else:
            ranked.append(held[chosen].popleft())
            placed[chosen] += 1
    return ranked
