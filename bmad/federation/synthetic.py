"""A synthetic global population of function metrics, drawn from released code-pattern marginals.

Post-processing of released insights only (no data, no budget): for each metric the federation
released for a language, the population holds ``size`` values at evenly spaced quantiles of
the released distribution (values spread evenly within a bin, floored to integers like the
metrics), and each metric's column is shuffled on its own with ``secrets``. The federation
releases one-dimensional marginals, so the population reproduces each metric's distribution
but not how metrics vary together: functions are combinations of independent draws.

``SyntheticSource`` hands that population to the anomaly model as its reference
(``bmad.analysis.reference``): where a function stands and how features are scaled then refer
to the federation's functions instead of the repository's own, for the released metrics.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import Any

from bmad.analysis.reference import LocalReference, Reference
from bmad.privacy.schemas import CODE_METRICS

DEFAULT_SIZE = 2_000


def released_quantile(entry: Mapping[str, Any], q: float) -> float:
    """The value below which a share ``q`` of the released distribution lies."""
    edges = entry["edges"]
    shares = entry["shares"]
    below = 0.0
    for index, share in enumerate(shares):
        if share > 0 and below + share >= q:
            if index + 1 == len(edges):
                return float(edges[index])
            inside = (q - below) / share
            return float(edges[index] + inside * (edges[index + 1] - edges[index]))
        below += share
    return float(edges[-1])


def synthetic_population(
    insights: Mapping[str, Any], language: str, size: int = DEFAULT_SIZE
) -> dict[str, list[float]]:
    """Metric -> ``size`` synthetic values, for every metric released for ``language``."""
    population: dict[str, list[float]] = {}
    shuffle = secrets.SystemRandom().shuffle
    for metric in CODE_METRICS:
        entry = insights.get("percentiles", {}).get(metric, {}).get(language)
        if entry is None or "shares" not in entry:
            continue
        column = [
            float(math.floor(released_quantile(entry, (index + 0.5) / size)))
            for index in range(size)
        ]
        shuffle(column)
        population[metric] = column
    return population


class SyntheticReference:
    """Released metrics refer to the synthetic population, the others to the local one."""

    def __init__(self, synthetic: LocalReference, metrics: frozenset[str], local: Reference):
        self._synthetic = synthetic
        self._metrics = metrics
        self._local = local

    def quantile(self, feature: str, q: float) -> float:
        if feature in self._metrics:
            return self._synthetic.quantile(feature, q)
        return self._local.quantile(feature, q)

    def percentile(self, feature: str, value: float) -> float:
        if feature in self._metrics:
            return self._synthetic.percentile(feature, value)
        return self._local.percentile(feature, value)


class SyntheticSource:
    """A ``ReferenceSource`` from released code-pattern insights (one population per family).

    A language family's model refers to its language's synthetic population when the
    federation released one; the pooled model and other families keep their local reference.
    """

    def __init__(self, insights: Mapping[str, Any], size: int = DEFAULT_SIZE) -> None:
        self._insights = insights
        self._size = size
        self._cache: dict[str, dict[str, list[float]]] = {}

    def population(self, language: str) -> dict[str, list[float]]:
        if language not in self._cache:
            self._cache[language] = synthetic_population(self._insights, language, self._size)
        return self._cache[language]

    def reference(self, family: str | None, local: LocalReference) -> Reference:
        population = {} if family is None else self.population(family)
        if not population:
            return local
        return SyntheticReference(LocalReference(population), frozenset(population), local)
