"""Global insights from a round's released noisy sum (pure functions, no I/O).

The released aggregate follows the round layout (``bmad.federation.wire``): the summed bounded
contributions, then the summed participation bits (the noisy number of organisations behind
each bin). Everything below is post-processing of that noisy sum, so it costs no extra privacy.

- Per bin: the share of the block's mass and the noisy organisation count; a bin whose noisy
  count is below k is suppressed (its share is not published).
- ``code_patterns``: per metric and language, the distribution over the log2 bins, the bins
  holding the 50th/75th/90th/95th percentiles, and the cumulative share below each bin (what a
  local value is compared with).
- Consensus patterns: bins where the noisy share of organisations is >= the consensus
  threshold; divergent ones: shares strictly between 1 - threshold and threshold.
- ``success_patterns``: for each practice x outcome table, the lift P(outcome | practice) /
  P(outcome) with a 95% interval from the delta method on log lift, whose variance includes
  both the counts (Poisson) and the DP noise variance of each cell.
- Confidence, in [0, 1]: for a distribution, the share of its mass that is signal rather than
  expected absolute noise (1 - E|noise|_1 / mass); for a consensus or divergent pattern, the
  probability under the noise that the true share is on the reported side of the threshold;
  for a lift, the probability that the true association has the reported direction. Each
  insight carries the number of organisations behind it.

The noise of one coordinate of the sum has standard deviation ``share_scale * sqrt(n)`` for
n participants (each added a discrete Gaussian share of scale ``share_scale``); on organisation
counts it is that divided by ``PARTICIPATION_WEIGHT``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bmad.federation.wire import PARTICIPATION_WEIGHT
from bmad.privacy.bounding import ContributionSchema
from bmad.privacy.schemas import (
    CODE_METRICS,
    LOG2_EDGES,
    OUTCOMES,
    PRACTICES,
    bin_index,
    schema_for,
)

PERCENTILES: tuple[float, ...] = (0.5, 0.75, 0.9, 0.95)
_Z95 = 1.959963984540054
INSIGHTS_FORMAT = 1


@dataclass(frozen=True, slots=True)
class RoundFacts:
    learning_type: str
    schema_version: int
    participants: int
    groups: int
    share_scale: float
    epsilon: float
    delta: float
    consensus_threshold: float
    k: int

    @property
    def sum_std(self) -> float:
        return self.share_scale * math.sqrt(self.participants)

    @property
    def count_std(self) -> float:
        return self.sum_std / PARTICIPATION_WEIGHT


def _organisations(noisy_count: float, facts: RoundFacts) -> int:
    """A noisy organisation count, rounded and clipped to what the round can hold."""
    return min(facts.participants, max(0, round(noisy_count)))


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _distribution_confidence(mass: float, bins: int, sigma: float) -> float:
    if mass <= 0:
        return 0.0
    expected_noise = bins * sigma * math.sqrt(2 / math.pi)
    return max(0.0, min(1.0, 1 - expected_noise / mass))


def _split(
    schema: ContributionSchema, aggregate: Sequence[float]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    values: dict[str, list[float]] = {}
    counts: dict[str, list[float]] = {}
    offset = 0
    for block in schema.blocks:
        width = len(block.labels)
        values[block.name] = list(aggregate[offset : offset + width])
        weighted = aggregate[schema.dim + offset : schema.dim + offset + width]
        counts[block.name] = [value / PARTICIPATION_WEIGHT for value in weighted]
        offset += width
    return values, counts


def _block_insight(
    labels: Sequence[str], values: Sequence[float], counts: Sequence[float], facts: RoundFacts
) -> dict[str, Any]:
    clipped = [max(0.0, value) for value in values]
    mass = sum(clipped)
    bins = []
    for label, value, count in zip(labels, clipped, counts, strict=True):
        organisations = _organisations(count, facts)
        published = organisations >= facts.k
        bins.append(
            {
                "label": label,
                "share": (value / mass if mass > 0 else 0.0) if published else None,
                "organisations": organisations if published else None,
                "suppressed": not published,
            }
        )
    return {
        "bins": bins,
        "confidence": _distribution_confidence(mass, len(labels), facts.sum_std),
    }


def _percentile_label(cumulative: Sequence[float], labels: Sequence[str], p: float) -> str:
    for label, share in zip(labels, cumulative, strict=True):
        if share >= p:
            return label
    return labels[-1]


def _code_percentiles(
    schema: ContributionSchema,
    values: Mapping[str, list[float]],
    counts: Mapping[str, list[float]],
    facts: RoundFacts,
) -> dict[str, dict[str, Any]]:
    width = len(LOG2_EDGES)
    block_labels = schema.blocks[0].labels
    languages = [block_labels[i].split(":", 1)[0] for i in range(0, len(block_labels), width)]
    bin_labels = [label.split(":", 1)[1] for label in block_labels[:width]]
    result: dict[str, dict[str, Any]] = {}
    for metric in CODE_METRICS:
        per_language: dict[str, Any] = {}
        for index, language in enumerate(languages):
            chunk = [max(0.0, v) for v in values[metric][index * width : (index + 1) * width]]
            organisations = _organisations(
                max(counts[metric][index * width : (index + 1) * width]), facts
            )
            mass = sum(chunk)
            if organisations < facts.k or mass <= 0:
                continue
            cumulative, running = [], 0.0
            for value in chunk:
                running += value / mass
                cumulative.append(running)
            below = [0.0, *cumulative[:-1]]
            per_language[language] = {
                "bins": bin_labels,
                "share_below": below,
                "percentiles": {
                    f"p{round(p * 100)}": _percentile_label(cumulative, bin_labels, p)
                    for p in PERCENTILES
                },
                "organisations": organisations,
                "confidence": _distribution_confidence(mass, width, facts.sum_std),
            }
        if per_language:
            result[metric] = per_language
    return result


def _patterns(
    schema: ContributionSchema, counts: Mapping[str, list[float]], facts: RoundFacts
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    consensus: list[dict[str, Any]] = []
    divergent: list[dict[str, Any]] = []
    n = facts.participants
    threshold = facts.consensus_threshold
    sigma = facts.count_std
    low = 1 - threshold
    for block in schema.blocks:
        for label, count in zip(block.labels, counts[block.name], strict=True):
            share = max(0.0, min(1.0, count / n))
            organisations = _organisations(count, facts)
            if organisations < facts.k:
                continue
            item = {
                "block": block.name,
                "label": label,
                "share_of_organisations": share,
                "organisations": organisations,
                "of": n,
            }
            if share >= threshold:
                item["confidence"] = _phi((count - threshold * n) / sigma)
                consensus.append(item)
            elif low < share < threshold:
                item["confidence"] = min(
                    _phi((count - low * n) / sigma), _phi((threshold * n - count) / sigma)
                )
                divergent.append(item)
    return consensus, divergent


def _lift(cells: Sequence[float], sigma: float) -> dict[str, Any]:
    a, b, c, d = (max(0.5, value) for value in cells)
    total = a + b + c + d
    lift = (a / (a + b)) / ((a + c) / total)
    gradient = (
        1 / a - 1 / (a + b) - 1 / (a + c) + 1 / total,
        -1 / (a + b) + 1 / total,
        -1 / (a + c) + 1 / total,
        1 / total,
    )
    variance = sum(g * g * (x + sigma**2) for g, x in zip(gradient, (a, b, c, d), strict=True))
    spread = _Z95 * math.sqrt(variance)
    log_lift = math.log(lift)
    return {
        "lift": lift,
        "ci95": [math.exp(log_lift - spread), math.exp(log_lift + spread)],
        "confidence": _phi(abs(log_lift) / math.sqrt(variance)),
    }


def _success_factors(
    values: Mapping[str, list[float]], counts: Mapping[str, list[float]], facts: RoundFacts
) -> list[dict[str, Any]]:
    factors = []
    for practice in PRACTICES:
        for outcome in OUTCOMES:
            name = f"{practice}x{outcome}"
            organisations = _organisations(sum(counts[name]), facts)
            if organisations < facts.k:
                continue
            factors.append(
                {
                    "practice": practice,
                    "outcome": outcome,
                    "organisations": organisations,
                    **_lift(values[name], facts.sum_std),
                }
            )
    return factors


def compute_insights(aggregate: Sequence[float], facts: RoundFacts) -> dict[str, Any]:
    schema = schema_for(facts.learning_type)
    if len(aggregate) != 2 * schema.dim:
        raise ValueError(
            f"aggregate has {len(aggregate)} entries, the round layout {2 * schema.dim}"
        )
    values, counts = _split(schema, aggregate)
    consensus, divergent = _patterns(schema, counts, facts)
    document: dict[str, Any] = {
        "format": INSIGHTS_FORMAT,
        "learning_type": facts.learning_type,
        "schema_version": facts.schema_version,
        "organisations": facts.participants,
        "groups": facts.groups,
        "k": facts.k,
        "privacy": {"epsilon": facts.epsilon, "delta": facts.delta},
        "noise_std": facts.sum_std,
        "count_noise_std": facts.count_std,
        "consensus_threshold": facts.consensus_threshold,
        "blocks": {
            block.name: _block_insight(block.labels, values[block.name], counts[block.name], facts)
            for block in schema.blocks
        },
        "consensus": consensus,
        "divergent": divergent,
    }
    if facts.learning_type == "code_patterns":
        document["percentiles"] = _code_percentiles(schema, values, counts, facts)
    if facts.learning_type == "anti_patterns":
        document["smell_prevalence"] = document["blocks"]["smells"]
    if facts.learning_type == "success_patterns":
        document["success_factors"] = _success_factors(values, counts, facts)
    return document


def standing(
    insights: Mapping[str, Any], metric: str, language: str, value: float
) -> dict[str, Any] | None:
    """Where a local function's metric stands globally: share of functions in lower bins."""
    entry = insights.get("percentiles", {}).get(metric, {}).get(language)
    if entry is None:
        return None
    below = float(entry["share_below"][bin_index(value, LOG2_EDGES)])
    return {
        "metric": metric,
        "language": language,
        "value": value,
        "above_share": below,
        "organisations": entry["organisations"],
        "confidence": entry["confidence"],
        "text": (
            f"{metric} {value:g}: above {below:.0%} of {language} functions across "
            f"{entry['organisations']} organisations"
        ),
    }
