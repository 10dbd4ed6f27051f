"""Global insights from a round's released noisy sum (pure functions, no I/O).

The released aggregate follows the round layout (``bmad.federation.wire``): the summed bounded
contributions, then (when the unit of privacy is the organisation) the summed participation
bits, the noisy number of organisations behind each bin. Everything below is post-processing
of that noisy sum, so it costs no extra privacy.

- Release rules: a round's sum holds at least k organisations (the engine's groups). With the
  organisation unit, a bin whose noisy organisation count is below k is suppressed; with
  smaller units (no per-bin organisation count, see ``bmad.privacy.units``) a distribution is
  published when its noisy mass is at least ``MIN_MASS_IN_STDS`` noise deviations.
- Post-processing: each histogram is the least-squares projection of the noisy counts onto the
  non-negative histograms with the noisy total (Euclidean projection onto the scaled simplex),
  so shares are non-negative and every cumulative distribution is monotone.
- ``code_patterns``: per metric and language, the share of functions below each bin edge, the
  bins holding the 50th-95th percentiles, and ``standing``: the share of functions below a
  local value, interpolated within its bin.
- Intervals: every released share carries a 95% interval from the known noise distribution
  (the discrete Gaussian shares sum to a variance of ``share_scale^2`` per participant, per
  coordinate), by the delta method on the ratio of the noisy prefix mass to the noisy total.
  The projection moves estimates towards the feasible set; the coverage of these intervals on
  post-processed values is measured by the tests and the utility benchmark.
- Confidence, in [0, 1]: one minus the width of the widest 95% interval an insight holds (in
  shares), so ``--confidence-threshold 0.9`` keeps what is known to within +-5 points. For a
  lift, the probability that the association has the reported direction.
- Consensus patterns: bins where the noisy share of organisations is >= the consensus
  threshold; divergent ones: shares strictly between 1 - threshold and threshold.
- ``success_patterns``: for each practice x outcome table, the lift P(outcome | practice) /
  P(outcome) with a 95% interval from the delta method on log lift (counts and noise).

The noise of one coordinate of a group's sum has standard deviation ``share_scale * sqrt(n)``
for n participants; robust combination of three or more groups by their median multiplies it
by about sqrt(pi / 2) (the median's efficiency). On organisation counts it is divided by
``PARTICIPATION_WEIGHT``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bmad.federation.trend_insights import trend_insights
from bmad.federation.wire import PARTICIPATION_WEIGHT
from bmad.privacy.accounting import rho_budget
from bmad.privacy.bounding import ContributionSchema
from bmad.privacy.risk_schema import LEARNING_TYPE as RISK_MODEL
from bmad.privacy.risk_schema import release as risk_release
from bmad.privacy.schemas import (
    CODE_EDGES,
    CODE_METRICS,
    LOG2_EDGES,
    OUTCOMES,
    PRACTICES,
    bin_index,
    edge_labels,
    schema_for,
)
from bmad.privacy.trend_schemas import COUNTING_TYPES, TREND_LEARNING_TYPES
from bmad.privacy.units import Guarantee, unit_for

PERCENTILES: tuple[float, ...] = (0.5, 0.75, 0.9, 0.95)
Z95 = 1.959963984540054
MIN_MASS_IN_STDS = 3.0
MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)
MAX_LOG = math.log(1e300)  # the largest exponent an interval end is computed for
INSIGHTS_FORMAT = 2


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
    unit: str = "organisation"
    weights: tuple[float, ...] = ()  # risk_model: the model the step started from

    @property
    def sum_std(self) -> float:
        """Noise std of one coordinate of the released (combined) sum."""
        single = self.share_scale * math.sqrt(self.participants)
        return single * MEDIAN_EFFICIENCY if self.groups >= 3 else single

    @property
    def count_std(self) -> float:
        if self.learning_type in COUNTING_TYPES:  # the values are the counts
            return self.sum_std
        return self.sum_std / PARTICIPATION_WEIGHT

    @property
    def has_participation(self) -> bool:
        return unit_for(self.learning_type, self.unit).has_participation

    @property
    def guarantee(self) -> Guarantee:
        return Guarantee(
            unit_for(self.learning_type, self.unit),
            rho_budget(self.epsilon, self.delta),
            self.delta,
        )


def project_to_simplex(values: Sequence[float], total: float) -> list[float]:
    """The closest (least squares) non-negative vector summing to ``total`` (>= 0).

    Euclidean projection onto the scaled simplex (Held, Wolfe and Crowder 1974; Duchi et al.
    2008): subtract one common shift and clip at zero.
    """
    if total <= 0 or not values:
        return [0.0] * len(values)
    ordered = sorted(values, reverse=True)
    running, shift = 0.0, 0.0
    for index, value in enumerate(ordered, 1):
        running += value
        candidate = (running - total) / index
        if index == 1 or value - candidate > 0:  # the largest value is always kept
            shift = candidate
    return [max(0.0, value - shift) for value in values]


def share_interval(
    share: float, prefix_bins: float, total_bins: int, mass: float, sigma: float
) -> float:
    """Half-width of the 95% interval of ``prefix / total`` (delta method).

    ``prefix_bins`` is the (possibly fractional) number of noisy bins the numerator sums (a
    fraction f of a bin contributes f in mean and f^2 in variance; approximated by f for both,
    which is conservative), ``total_bins`` how many the denominator sums; every bin carries
    independent noise of std ``sigma``.
    """
    if mass <= 0:
        return 1.0
    variance = sigma**2 * (prefix_bins - 2 * share * prefix_bins + share**2 * total_bins)
    return min(1.0, Z95 * math.sqrt(max(0.0, variance)) / mass)


def _organisations(noisy_count: float, facts: RoundFacts) -> int:
    """A noisy organisation count, rounded and clipped to what the round can hold."""
    return min(facts.participants, max(0, round(noisy_count)))


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _split(
    schema: ContributionSchema, aggregate: Sequence[float], facts: RoundFacts
) -> tuple[dict[str, list[float]], dict[str, list[float]] | None]:
    values: dict[str, list[float]] = {}
    counts: dict[str, list[float]] = {}
    offset = 0
    for block in schema.blocks:
        width = len(block.labels)
        values[block.name] = list(aggregate[offset : offset + width])
        if facts.has_participation:
            weighted = aggregate[schema.dim + offset : schema.dim + offset + width]
            counts[block.name] = [value / PARTICIPATION_WEIGHT for value in weighted]
        offset += width
    if facts.learning_type in COUNTING_TYPES:
        return values, values
    return values, counts if facts.has_participation else None


def _published_mass(mass: float, bins: int, facts: RoundFacts) -> bool:
    return mass >= MIN_MASS_IN_STDS * facts.sum_std * math.sqrt(bins)


def _block_insight(
    labels: Sequence[str],
    values: Sequence[float],
    counts: Sequence[float] | None,
    facts: RoundFacts,
) -> dict[str, Any]:
    """One block's distribution. When some bins are suppressed (fewer than k organisations),
    the published shares are shares of the published bins only: a share of the whole block
    would give a lone suppressed bin away as one minus the others."""
    mass = max(0.0, sum(values))
    projected = project_to_simplex(values, mass)
    sigma = facts.sum_std
    visible = _published_mass(mass, len(labels), facts)
    organisations = [
        None if counts is None else _organisations(counts[index], facts)
        for index in range(len(labels))
    ]
    published = [visible and (count is None or count >= facts.k) for count in organisations]
    published_mass = sum(value for value, shown in zip(projected, published, strict=True) if shown)
    shown_bins = sum(published)
    bins = []
    widest = 1.0 if not visible else 0.0
    for label, value, count, shown in zip(labels, projected, organisations, published, strict=True):
        share = value / published_mass if shown and published_mass > 0 else 0.0
        half = share_interval(share, 1, shown_bins, published_mass, sigma) if shown else 1.0
        if shown:
            widest = max(widest, 2 * half)
        bins.append(
            {
                "label": label,
                "share": share if shown else None,
                "interval": [max(0.0, share - half), min(1.0, share + half)] if shown else None,
                "organisations": count if shown else None,
                "suppressed": not shown,
            }
        )
    return {
        "bins": bins,
        "confidence": max(0.0, 1 - widest),
        # what the shares are shares of: the whole block, or (bins suppressed) the published ones
        "shares_of": "block" if all(published) else "published_bins",
    }


def _percentile_label(cumulative: Sequence[float], labels: Sequence[str], p: float) -> str:
    for label, share in zip(labels, cumulative, strict=True):
        if share >= p:
            return label
    return labels[-1]


def _distribution(
    chunk: Sequence[float], edges: Sequence[int], organisations: int, facts: RoundFacts
) -> dict[str, Any] | None:
    mass = max(0.0, sum(chunk))
    if organisations < facts.k or not _published_mass(mass, len(edges), facts):
        return None
    projected = project_to_simplex(chunk, mass)
    shares = [value / mass for value in projected]
    below, running = [], 0.0
    for share in shares:
        below.append(min(1.0, running))
        running += share
    cumulative = [*below[1:], 1.0]
    labels = list(edge_labels(edges))
    sigma = facts.sum_std
    halves = [
        share_interval(value, index, len(edges), mass, sigma) for index, value in enumerate(below)
    ]
    return {
        "edges": list(edges),
        "bins": labels,
        "shares": shares,
        "share_below": below,
        "share_below_plus_minus": halves,
        "mass": mass,
        "noise_std": sigma,
        "percentiles": {
            f"p{round(p * 100)}": _percentile_label(cumulative, labels, p) for p in PERCENTILES
        },
        "organisations": organisations,
        "confidence": max(0.0, 1 - 2 * max(halves)),
    }


def _code_percentiles(
    schema: ContributionSchema,
    values: Mapping[str, list[float]],
    counts: Mapping[str, list[float]] | None,
    facts: RoundFacts,
) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for block, metric in zip(schema.blocks, CODE_METRICS, strict=True):
        edges = CODE_EDGES[metric]
        width = len(edges)
        languages = [block.labels[i].split(":", 1)[0] for i in range(0, len(block.labels), width)]
        per_language: dict[str, Any] = {}
        for index, language in enumerate(languages):
            window = slice(index * width, (index + 1) * width)
            organisations = (
                facts.participants
                if counts is None
                else _organisations(max(counts[metric][window]), facts)
            )
            found = _distribution(values[metric][window], edges, organisations, facts)
            if found is not None:
                per_language[language] = found
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
    half = min(1.0, Z95 * facts.count_std / n)
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
                "interval": [max(0.0, share - half), min(1.0, share + half)],
                "organisations": organisations,
                "of": n,
                "confidence": max(0.0, 1 - 2 * half),
            }
            if share >= threshold:
                consensus.append(item)
            elif low < share < threshold:
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
    spread = Z95 * math.sqrt(variance)
    log_lift = math.log(lift)
    return {
        "lift": lift,
        # noise far above the counts: an interval end of 1e300 (JSON has no infinity)
        "ci95": [_bounded_exp(log_lift - spread), _bounded_exp(log_lift + spread)],
        "confidence": _phi(abs(log_lift) / math.sqrt(variance)),
    }


def _bounded_exp(value: float) -> float:
    return math.exp(min(value, MAX_LOG))


def _success_factors(
    values: Mapping[str, list[float]], counts: Mapping[str, list[float]] | None, facts: RoundFacts
) -> list[dict[str, Any]]:
    factors = []
    for practice in PRACTICES:
        for outcome in OUTCOMES:
            name = f"{practice}x{outcome}"
            organisations = (
                facts.participants if counts is None else _organisations(sum(counts[name]), facts)
            )
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


def round_layout_length(schema: ContributionSchema, facts: RoundFacts) -> int:
    return 2 * schema.dim if facts.has_participation else schema.dim


def compute_insights(aggregate: Sequence[float], facts: RoundFacts) -> dict[str, Any]:
    schema = schema_for(facts.learning_type)
    expected = round_layout_length(schema, facts)
    if len(aggregate) != expected:
        raise ValueError(f"aggregate has {len(aggregate)} entries, the round layout {expected}")
    header: dict[str, Any] = {
        "format": INSIGHTS_FORMAT,
        "learning_type": facts.learning_type,
        "schema_version": facts.schema_version,
        "organisations": facts.participants,
        "groups": facts.groups,
        "k": facts.k,
        "privacy": {
            "epsilon": facts.epsilon,
            "delta": facts.delta,
            **facts.guarantee.to_dict(),
        },
        "noise_std": facts.sum_std,
    }
    if facts.learning_type == RISK_MODEL:  # a training step: the model, not histograms
        return {**header, "model": risk_release([round(v) for v in aggregate], facts.weights)}
    values, counts = _split(schema, aggregate, facts)
    consensus, divergent = _patterns(schema, counts, facts) if counts is not None else ([], [])
    document: dict[str, Any] = {
        **header,
        "count_noise_std": facts.count_std if counts is not None else None,
        "consensus_threshold": facts.consensus_threshold,
        "blocks": {
            block.name: _block_insight(
                block.labels,
                values[block.name],
                None if counts is None else counts[block.name],
                facts,
            )
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
    if facts.learning_type in TREND_LEARNING_TYPES:
        document["trends"] = trend_insights(
            facts.learning_type, values, facts.sum_std, facts.k, facts.participants
        )
    return document


def standing(
    insights: Mapping[str, Any], metric: str, language: str, value: float
) -> dict[str, Any] | None:
    """Where a local function's metric stands globally: the share of functions below it.

    Within its bin the share is interpolated linearly (values spread evenly over the bin);
    the interval is the 95% interval of that share. Documents of format 1 (log2 bins, no
    intervals) answer with the share below the value's bin.
    """
    entry = insights.get("percentiles", {}).get(metric, {}).get(language)
    if entry is None:
        return None
    organisations = int(entry["organisations"])
    if "edges" not in entry:
        below = float(entry["share_below"][bin_index(value, LOG2_EDGES)])
        half = None
    else:
        edges = entry["edges"]
        index = bin_index(value, edges)
        fraction = 0.0
        if index + 1 < len(edges):
            fraction = max(
                0.0, min(1.0, (value - edges[index]) / (edges[index + 1] - edges[index]))
            )
        below = float(entry["share_below"][index]) + fraction * float(entry["shares"][index])
        half = share_interval(
            below, index + fraction, len(edges), float(entry["mass"]), float(entry["noise_std"])
        )
    return {
        "metric": metric,
        "language": language,
        "value": value,
        "above_share": below,
        "plus_minus": half,
        "interval": None if half is None else [max(0.0, below - half), min(1.0, below + half)],
        "organisations": organisations,
        "confidence": entry["confidence"] if half is None else max(0.0, 1 - 2 * half),
        "text": standing_text(metric, value, language, below, half, organisations),
    }


def standing_text(
    metric: str, value: float, language: str, above: float, half: float | None, organisations: int
) -> str:
    """``cognitive 31: above 97% (+-2) of python functions across 41 organisations``."""
    return (
        f"{metric} {value:g}: above {above_text(above, half)} of {language} functions across "
        f"{organisations} organisations"
    )


def above_text(above: float, half: float | None) -> str:
    if half is None:
        return f"{above:.0%}"
    return f"{above:.0%} (+-{max(1, round(100 * half))})"


PREVIOUS_RELEASE_WEIGHT = 0.5  # an earlier release counts half as much as the next one


def combine_releases(previous: Mapping[str, Any], latest: Mapping[str, Any]) -> dict[str, Any]:
    """The latest code-pattern insights, each distribution averaged with the previous one.

    Assumption: the federation's population changes slowly, so successive releases measure the
    same distribution with independent noise. Each share becomes the inverse-variance weighted
    average of both releases, the previous one's weight multiplied by
    ``PREVIOUS_RELEASE_WEIGHT`` (applied again at every release, so an old release fades out
    and a real change shows within a few releases instead of being averaged away). Intervals
    use the exact variance of that average. Pure post-processing: no privacy cost.
    """
    combined = {**latest, "percentiles": {}}
    for metric, languages in latest.get("percentiles", {}).items():
        combined["percentiles"][metric] = {}
        for language, entry in languages.items():
            before = previous.get("percentiles", {}).get(metric, {}).get(language)
            usable = before is not None and before.get("edges") == entry.get("edges")
            combined["percentiles"][metric][language] = (
                _combined_entry(before, entry) if usable and "edges" in entry else entry
            )
    combined["releases_combined"] = int(previous.get("releases_combined", 1)) + 1
    return combined


def _combined_entry(before: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    # Every share of an entry has a variance proportional to (noise std / mass)^2 with the same
    # factor, so that ratio carries each release's precision.
    old = float(before["noise_std"]) / float(before["mass"])
    new = float(entry["noise_std"]) / float(entry["mass"])
    alpha, beta = PREVIOUS_RELEASE_WEIGHT / old**2, 1 / new**2
    ratio = math.sqrt(alpha**2 * old**2 + beta**2 * new**2) / (alpha + beta)
    shares = [
        (alpha * a + beta * b) / (alpha + beta)
        for a, b in zip(before["shares"], entry["shares"], strict=True)
    ]
    mass = float(entry["mass"])
    sigma = ratio * mass
    below, running = [], 0.0
    for share in shares:
        below.append(min(1.0, running))
        running += share
    edges = entry["edges"]
    halves = [
        share_interval(value, index, len(edges), mass, sigma) for index, value in enumerate(below)
    ]
    labels = list(entry["bins"])
    cumulative = [*below[1:], 1.0]
    return {
        **entry,
        "shares": shares,
        "share_below": below,
        "share_below_plus_minus": halves,
        "noise_std": sigma,
        "percentiles": {
            f"p{round(p * 100)}": _percentile_label(cumulative, labels, p) for p in PERCENTILES
        },
        "confidence": max(0.0, 1 - 2 * max(halves)),
    }
