"""Where a value stands: per-feature distributions that scaling and explanations refer to.

The model only talks to :class:`Reference`. Today the reference is the repository's own
functions (:class:`LocalReference`); the federation can later hand in a
:class:`ReferenceSource` that blends global quantiles into it, and no caller changes.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Protocol

LOCAL_SCOPE = "this repository's functions"
# [analysis] anomaly_reference: auto (the federation's when confident insights are cached),
# local (always this repository), global (the federation's whenever insights are cached)
ANOMALY_REFERENCES = ("auto", "local", "global")


class Reference(Protocol):
    def quantile(self, feature: str, q: float) -> float:
        """The value below which a share ``q`` (0..1) of the reference lies."""
        ...

    def percentile(self, feature: str, value: float) -> float:
        """Where ``value`` stands in the reference, 0..100 (mid-rank for ties)."""
        ...


class ReferenceSource(Protocol):
    def reference(self, family: str | None, local: LocalReference) -> Reference:
        """The reference for a language family (None: the pooled model), given the local one."""
        ...

    def scope(self, family: str | None) -> str:
        """Whose functions that family's reference holds, for explanations."""
        ...


class LocalReference:
    """Empirical distribution of the repository's own values, feature by feature."""

    def __init__(self, values: Mapping[str, Sequence[float]]) -> None:
        self._sorted = {feature: sorted(column) for feature, column in values.items()}

    def size(self, feature: str) -> int:
        return len(self._sorted[feature])

    def quantile(self, feature: str, q: float) -> float:
        column = self._sorted[feature]
        if not column:
            return 0.0
        position = q * (len(column) - 1)  # linear interpolation, numpy's default
        low = math.floor(position)
        high = min(low + 1, len(column) - 1)
        return column[low] + (column[high] - column[low]) * (position - low)

    def percentile(self, feature: str, value: float) -> float:
        column = self._sorted[feature]
        if not column:
            return 50.0
        below = bisect.bisect_left(column, value)
        ties = bisect.bisect_right(column, value) - below
        return 100.0 * (below + 0.5 * ties) / len(column)


class LocalOnly:
    """The default source: every model refers to the repository's own distribution."""

    def reference(self, family: str | None, local: LocalReference) -> Reference:
        return local

    def scope(self, family: str | None) -> str:
        return LOCAL_SCOPE
