"""Global technology trends from a released noisy sum (pure post-processing, no I/O).

Every cell of ``technology_adoption``, ``technology_migrations`` and ``tool_effectiveness``
counts organisations (``bmad.privacy.trend_schemas.COUNTING_TYPES``): a cell whose noisy count
is below k is suppressed. Each count carries noise of std ``sigma`` (the round's sum std), so
a sum of b cells has std sigma sqrt(b) and a 95% interval of +-1.96 sigma sqrt(b).

- adoption: per technology, organisations adopting it per quarter (k-suppressed) and the
  cumulative number of adopters by the last quarter with its interval;
- survival: per kind, the Kaplan-Meier curve S(q) = prod (1 - events / at risk) from the
  summed counts, bins below k at risk ending it, with a 95% interval from Greenwood's variance
  plus the noise's (delta method on each factor);
- migrations: the pairs with at least k organisations;
- effectiveness: per tool or practice and outcome, the share of good outcomes with and
  without it and their difference, each with a 95% interval (binomial plus noise variance).

Each result also carries ``columns`` and ``rows`` for a terminal table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bmad.extractors.technology import KINDS
from bmad.privacy.trend_schemas import (
    CELLS,
    EFFECT_FACTORS,
    MIGRATION_PAIRS,
    OUTCOMES,
    QUARTERS,
    SURVIVAL_EPISODES,
    SURVIVAL_LABELS,
    SURVIVAL_QUARTERS,
    TREND_VOCABULARY,
)

Z95 = 1.959963984540054


def trend_insights(
    learning_type: str,
    values: Mapping[str, Sequence[float]],
    sigma: float,
    k: int,
    organisations: int,
) -> dict[str, Any]:
    """``organisations``: how many took part; no released count exceeds it (post-processing)."""
    builders = {
        "technology_adoption": _adoption,
        "technology_survival": _survival,
        "technology_migrations": _migrations,
        "tool_effectiveness": _effectiveness,
    }
    # a cell counts organisations, or (survival) at most SURVIVAL_EPISODES episodes of each
    most = organisations * (SURVIVAL_EPISODES if learning_type == "technology_survival" else 1)
    clipped = {name: [min(float(most), value) for value in cells] for name, cells in values.items()}
    return builders[learning_type](clipped, sigma, k, organisations)


def _count(value: float) -> int:
    return max(0, round(value))


def _adoption(
    values: Mapping[str, Sequence[float]], sigma: float, k: int, organisations: int
) -> dict[str, Any]:
    technologies: list[dict[str, Any]] = []
    for key in TREND_VOCABULARY:
        cells = values[key]
        total = min(float(organisations), sum(cells))
        if _count(total) < k:
            continue
        half = Z95 * sigma * math.sqrt(len(cells))
        technologies.append(
            {
                "technology": key,
                "adopters": _count(total),
                "interval": [max(0, round(total - half)), min(organisations, round(total + half))],
                "quarters": {
                    quarter: _count(value)
                    for quarter, value in zip(QUARTERS, cells, strict=True)
                    if _count(value) >= k
                },
            }
        )
    technologies.sort(key=lambda item: -item["adopters"])
    return {
        "technologies": technologies,
        "columns": ["technology", "adopters", "95% interval", "quarters with >= k adoptions"],
        "rows": [
            [
                item["technology"],
                item["adopters"],
                f"{item['interval'][0]}-{item['interval'][1]}",
                ", ".join(f"{q}: {n}" for q, n in item["quarters"].items()) or "none",
            ]
            for item in technologies
        ],
        "notes": [f"cells below k = {k} organisations are suppressed"],
    }


def kaplan_meier(
    at_risk: Sequence[float], events: Sequence[float], sigma: float, k: int
) -> list[dict[str, float]]:
    """S(q) per quarter while at least k are at risk, with a 95% interval."""
    curve: list[dict[str, float]] = []
    survival, greenwood, noise = 1.0, 0.0, 0.0
    for index in range(SURVIVAL_QUARTERS):
        n, d = max(0.0, at_risk[index]), min(max(0.0, events[index]), max(0.0, at_risk[index]))
        if n < k:
            break
        survival *= 1 - d / n
        if n > d:
            greenwood += d / (n * (n - d))
            # noise on d and n: Var(log(1 - d/n)) ~ sigma^2 (1/(n-d)^2 + d^2/(n^2 (n-d)^2))
            noise += sigma**2 * (1 / (n - d) ** 2 + (d / (n * (n - d))) ** 2)
        half = Z95 * survival * math.sqrt(greenwood + noise)
        curve.append(
            {
                "quarter": index,
                "survival": survival,
                "interval_low": max(0.0, survival - half),
                "interval_high": min(1.0, survival + half),
                "at_risk": round(n),
            }
        )
    return curve


def _survival(
    values: Mapping[str, Sequence[float]], sigma: float, k: int, organisations: int
) -> dict[str, Any]:
    curves = {
        kind: kaplan_meier(values[f"{kind}:at_risk"], values[f"{kind}:events"], sigma, k)
        for kind in KINDS
    }
    rows = []
    for kind, curve in curves.items():
        for point in curve[3::4]:
            rows.append(
                [
                    kind,
                    f"{point['quarter'] + 1} quarters",
                    f"{point['survival']:.0%}",
                    f"{point['interval_low']:.0%}-{point['interval_high']:.0%}",
                    point["at_risk"],
                ]
            )
    return {
        "curves": curves,
        "quarters": list(SURVIVAL_LABELS),
        "columns": ["kind", "after", "still present", "95% interval", "at risk"],
        "rows": rows,
        "notes": [f"a curve stops where fewer than k = {k} episodes are at risk"],
    }


def _migrations(
    values: Mapping[str, Sequence[float]], sigma: float, k: int, organisations: int
) -> dict[str, Any]:
    half = Z95 * sigma
    pairs: list[dict[str, Any]] = [
        {
            "from": pair.split(">", 1)[0],
            "to": pair.split(">", 1)[1],
            "organisations": _count(value),
            "interval": [max(0, round(value - half)), min(organisations, round(value + half))],
        }
        for category, labels in MIGRATION_PAIRS.items()
        for pair, value in zip(labels, values[category], strict=True)
        if _count(value) >= k
    ]
    pairs.sort(key=lambda item: -item["organisations"])
    return {
        "pairs": pairs,
        "columns": ["from", "to", "organisations", "95% interval"],
        "rows": [
            [p["from"], p["to"], p["organisations"], f"{p['interval'][0]}-{p['interval'][1]}"]
            for p in pairs
        ],
        "notes": [f"only pairs with at least k = {k} organisations are shown"],
    }


def _rate(good: float, bad: float, sigma: float) -> tuple[float, float]:
    """A noisy share good / (good + bad) and the half-width of its 95% interval."""
    good, bad = max(0.0, good), max(0.0, bad)
    total = good + bad
    if total <= 0:
        return 0.0, 1.0
    share = good / total
    variance = share * (1 - share) / total + sigma**2 * ((1 - share) ** 2 + share**2) / total**2
    return share, min(1.0, Z95 * math.sqrt(variance))


def _effectiveness(
    values: Mapping[str, Sequence[float]], sigma: float, k: int, organisations: int
) -> dict[str, Any]:
    tables: list[dict[str, Any]] = []
    for factor in EFFECT_FACTORS:
        for outcome in OUTCOMES:
            cells = dict(zip(CELLS, values[f"{factor}x{outcome}"], strict=True))
            with_n = cells["with+good"] + cells["with+bad"]
            without_n = cells["without+good"] + cells["without+bad"]
            if _count(with_n) < k or _count(without_n) < k:
                continue
            with_share, with_half = _rate(cells["with+good"], cells["with+bad"], sigma)
            without_share, without_half = _rate(cells["without+good"], cells["without+bad"], sigma)
            difference = with_share - without_share
            half = math.hypot(with_half, without_half)
            tables.append(
                {
                    "factor": factor,
                    "outcome": outcome,
                    "organisations_with": _count(with_n),
                    "organisations_without": _count(without_n),
                    "good_share_with": with_share,
                    "good_share_without": without_share,
                    "difference": difference,
                    "interval": [difference - half, difference + half],
                    "confidence": max(0.0, 1 - 2 * half),
                }
            )
    tables.sort(key=lambda item: -item["difference"])
    return {
        "tables": tables,
        "columns": ["tool or practice", "outcome", "with", "without", "difference (95%)"],
        "rows": [
            [
                t["factor"],
                t["outcome"],
                f"{t['good_share_with']:.0%} of {t['organisations_with']}",
                f"{t['good_share_without']:.0%} of {t['organisations_without']}",
                f"{t['difference']:+.0%} ({t['interval'][0]:+.0%}..{t['interval'][1]:+.0%})",
            ]
            for t in tables
        ],
        "notes": [
            "associations, not causes; tables with fewer than k organisations on either side "
            "are left out"
        ],
    }
