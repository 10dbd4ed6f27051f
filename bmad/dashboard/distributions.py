"""Each code metric's distribution over a repository's functions, per language, in the bins the
federation's code-pattern insights use, beside the cached global distribution when there is one.

The dashboard's distributions page draws these as SVG and ``bmad insights patterns --plot`` as
a PNG, so both show the same numbers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bmad.analysis.inputs import FunctionRecord
from bmad.privacy.schemas import CODE_EDGES, CODE_METRICS, edge_labels


@dataclass(frozen=True, slots=True)
class MetricDistribution:
    metric: str
    language: str
    functions: int  # this repository's functions in the language
    labels: tuple[str, ...]  # bin labels as the global insights name them
    shares: tuple[float, ...]  # this repository's share of the functions per bin
    global_entry: Mapping[str, Any] | None  # the insights' entry for the metric and language


def metric_distributions(
    records: Iterable[FunctionRecord], insights: Mapping[str, Any] | None
) -> list[MetricDistribution]:
    """Per metric (in the schema's order), per language (most functions first)."""
    records = list(records)
    languages = Counter(record.language for record in records)
    distributions = []
    for metric in CODE_METRICS:
        edges = CODE_EDGES[metric]
        counts = {language: [0] * len(edges) for language in languages}
        for record in records:
            # the bin [edges[i], edges[i+1]) holding the value; values below edges[0] go to 0
            index = max(0, bisect_right(edges, getattr(record.metrics, metric)) - 1)
            counts[record.language][index] += 1
        for language, total in languages.most_common():
            entry = None
            if insights is not None:
                entry = insights.get("percentiles", {}).get(metric, {}).get(language)
            distributions.append(
                MetricDistribution(
                    metric,
                    language,
                    total,
                    edge_labels(edges),
                    tuple(count / total for count in counts[language]),
                    entry,
                )
            )
    return distributions
