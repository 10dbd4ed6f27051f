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
:func:`chosen_source` applies a repository's ``[analysis] anomaly_reference`` setting to the
code-pattern insights cached on this machine (:func:`cached_code_insights`); the daemon's
detection, the editor's buffer analysis and ``insights patterns --global`` go through it.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bmad.analysis.reference import (
    LOCAL_SCOPE,
    LocalOnly,
    LocalReference,
    Reference,
    ReferenceSource,
)
from bmad.privacy.schemas import CODE_METRICS
from bmad.store.connection import Store

DEFAULT_SIZE = 2_000
# "auto" refers to the federation only through released distributions at least this
# confident (one minus the width of the widest 95% interval: +-10 percentile points)
AUTO_CONFIDENCE = 0.8


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

    def scope(self, family: str | None) -> str:
        population = {} if family is None else self.population(family)
        if not population:
            return LOCAL_SCOPE
        percentiles = self._insights["percentiles"]
        organisations = min(
            int(percentiles[metric][family]["organisations"]) for metric in population
        )
        return f"{organisations} organisations' {family} functions"


def confident_percentiles(insights: Mapping[str, Any], threshold: float) -> dict[str, Any]:
    """The insights with only the released distributions at least ``threshold`` confident."""
    kept = {
        metric: {
            language: entry
            for language, entry in languages.items()
            if float(entry.get("confidence", 0.0)) >= threshold
        }
        for metric, languages in insights.get("percentiles", {}).items()
    }
    return {**insights, "percentiles": {metric: found for metric, found in kept.items() if found}}


def chosen_source(setting: str, insights: Mapping[str, Any] | None) -> ReferenceSource:
    """The anomaly model's reference under ``[analysis] anomaly_reference``: "local" always
    the repository; "global" the synthetic population of whatever was released; "auto" that
    of the confident releases only. A family without a (confident) release stays local."""
    if setting == "local" or insights is None:
        return LocalOnly()
    if setting == "auto":
        insights = confident_percentiles(insights, AUTO_CONFIDENCE)
    return SyntheticSource(insights)


def cached_code_insights(data_store: Path | None = None) -> dict[str, Any] | None:
    """The code-pattern insights last cached on this machine, or None. Read only: the editor
    and the daemon's readers never write (nor migrate) the data store."""
    import sqlite3

    from bmad.analysis.context import ReadOnlyStore
    from bmad.privacy.sharing import cached_global_insights
    from bmad.store.connection import data_store_path

    path = data_store or data_store_path()
    if not path.exists():
        return None
    with ReadOnlyStore(path) as store:
        try:
            cached = cached_global_insights(store)
        except sqlite3.OperationalError:  # the privacy tables were never created
            return None
    for entry in cached:
        if entry["learning_type"] == "code_patterns":
            document: dict[str, Any] = entry["insights"]
            return document
    return None


def code_insights_received_at(store: Store) -> str | None:
    """When the cached code-pattern insights arrived; None without any."""
    import sqlite3

    try:
        row = store.connection.execute(
            "SELECT received_at FROM privacy_global_insights WHERE learning_type = ?",
            ("code_patterns",),
        ).fetchone()
    except sqlite3.OperationalError:  # the privacy tables were never created
        return None
    return None if row is None else str(row[0])


def machine_source(setting: str, data_store: Path | None = None) -> ReferenceSource:
    """:func:`chosen_source` over the insights cached on this machine."""
    if setting == "local":
        return LocalOnly()
    return chosen_source(setting, cached_code_insights(data_store))
