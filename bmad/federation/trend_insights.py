"""Global technology trends from a released noisy sum (pure post-processing, no I/O).

Every cell counts organisations (survival: episodes, at most ``SURVIVAL_EPISODES`` of one
organisation per kind). Each noisy cell carries noise of std ``sigma`` (the round's sum std),
so a sum of b cells has std sigma sqrt(b) and a 95% interval of +-1.96 sigma sqrt(b).
A figure is released only when its noisy count reaches ``release_threshold``:
max(k, k + z x its noise std), z = ``RELEASE_Z`` = 3 (``MIGRATION_RELEASE_Z`` = 4 for
migration pairs, of which hundreds hold nobody: pure noise then passes for about 1 pair in
30,000 where a bare k let up to half of them through). The threshold reads only the noisy sum and
public parameters, so it is post-processing and costs no privacy budget.

- adoption: per technology, the organisations adopting it (its ``adopted`` cell) with its
  interval, and the years in which they first adopted it, each from the threshold;
- survival: per kind, the Kaplan-Meier curve S(y) = prod (1 - events / at risk) per year since
  adoption from the summed cells, ending where fewer than k x ``SURVIVAL_EPISODES`` plus the
  threshold's margin are at risk, with a 95% interval from Greenwood's variance plus the
  noise's (delta method on each factor);
- migrations: the pairs from the threshold;
- effectiveness: per tool or practice and outcome, when both sides reach the threshold, the
  share of good outcomes with and without it and their difference, each with a 95% interval
  (binomial plus noise variance).

Each result also carries ``columns`` and ``rows`` for a terminal table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bmad.extractors.technology import KINDS
from bmad.privacy.trend_schemas import (
    ADOPTED_TECHNOLOGIES,
    CELLS,
    EFFECT_FACTORS,
    MIGRATION_PAIRS,
    OUTCOMES,
    PERIODS,
    SURVIVAL_EPISODES,
    SURVIVAL_YEARS,
    TREND_VOCABULARY,
    survival_series,
)

Z95 = 1.959963984540054
RELEASE_Z = 3.0
MIGRATION_RELEASE_Z = 4.0  # hundreds of pair cells hold nobody: keep their noise out


def release_threshold(k: float, std: float, z: float = RELEASE_Z) -> float:
    """The least noisy count released for a figure whose noise has std ``std``."""
    return max(k, k + z * std)


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
    least = release_threshold(k, sigma)
    half = Z95 * sigma
    technologies: list[dict[str, Any]] = []
    for key in TREND_VOCABULARY:
        adopted, *periods = values[key]
        if adopted < least:
            continue
        technologies.append(
            {
                "technology": key,
                "adopters": _count(adopted),
                "interval": [
                    max(0, round(adopted - half)),
                    min(organisations, round(adopted + half)),
                ],
                "periods": {
                    period: _count(value)
                    for period, value in zip(PERIODS, periods, strict=True)
                    if value >= least
                },
            }
        )
    technologies.sort(key=lambda item: -item["adopters"])
    return {
        "technologies": technologies,
        "columns": ["technology", "adopters", "95% interval", "first adopted in (organisations)"],
        "rows": [
            [
                item["technology"],
                item["adopters"],
                f"{item['interval'][0]}-{item['interval'][1]}",
                ", ".join(f"{p}: {n}" for p, n in item["periods"].items()) or "none shown",
            ]
            for item in technologies
        ],
        "notes": [
            f"a count is shown from k + {RELEASE_Z:g} noise std = {least:.0f} organisations "
            f"(k = {k}); each organisation reports at most {ADOPTED_TECHNOLOGIES} "
            "technologies, its earliest"
        ],
    }


def kaplan_meier(
    at_risk: Sequence[float],
    events: Sequence[float],
    sigma: float,
    least: float,
    at_risk_cells: Sequence[int] | None = None,
) -> list[dict[str, float]]:
    """S(y) per whole year since adoption while at least ``least`` + RELEASE_Z noise std are
    at risk, with a 95% interval; ``at_risk_cells``: how many noisy cells each at-risk count
    sums (1 each)."""
    curve: list[dict[str, float]] = []
    survival, greenwood, noise = 1.0, 0.0, 0.0
    for index in range(SURVIVAL_YEARS):
        n_variance = sigma**2 * (1 if at_risk_cells is None else at_risk_cells[index])
        n, d = max(0.0, at_risk[index]), min(max(0.0, events[index]), max(0.0, at_risk[index]))
        if n <= 0 or n < release_threshold(least, math.sqrt(n_variance)):
            break
        survival *= 1 - d / n
        if n > d:
            greenwood += d / (n * (n - d))
            # noise on d and n: Var(log(1 - d/n)) ~ var(d)/(n-d)^2 + var(n) d^2/(n^2 (n-d)^2)
            noise += sigma**2 / (n - d) ** 2 + n_variance * (d / (n * (n - d))) ** 2
        half = Z95 * survival * math.sqrt(greenwood + noise)
        curve.append(
            {
                "year": index,
                "survival": survival,
                "interval_low": max(0.0, survival - half),
                "interval_high": min(1.0, survival + half),
                "at_risk": round(n),
            }
        )
    return curve


def survival_curve(cells: Sequence[float], sigma: float, k: int) -> list[dict[str, float]]:
    """One kind's curve from its summed cells; k organisations are k * SURVIVAL_EPISODES
    episodes at most, so that many must be at risk."""
    at_risk, events, summed = survival_series(cells)
    return kaplan_meier(at_risk, events, sigma, k * SURVIVAL_EPISODES, summed)


def _survival(
    values: Mapping[str, Sequence[float]], sigma: float, k: int, organisations: int
) -> dict[str, Any]:
    curves = {kind: survival_curve(values[kind], sigma, k) for kind in KINDS}
    rows = []
    for kind, curve in curves.items():
        for point in curve:
            rows.append(
                [
                    kind,
                    f"{point['year'] + 1} years",
                    f"{point['survival']:.0%}",
                    f"{point['interval_low']:.0%}-{point['interval_high']:.0%}",
                    point["at_risk"],
                ]
            )
    return {
        "curves": curves,
        "years": [f"y{index}" for index in range(SURVIVAL_YEARS)],
        "columns": ["kind", "after", "still present", "95% interval", "at risk"],
        "rows": rows,
        "notes": [
            f"a curve stops where fewer than k x {SURVIVAL_EPISODES} episodes (k = {k}) plus "
            f"{RELEASE_Z:g} noise std are at risk"
        ],
    }


def _migrations(
    values: Mapping[str, Sequence[float]], sigma: float, k: int, organisations: int
) -> dict[str, Any]:
    half = Z95 * sigma
    least = release_threshold(k, sigma, MIGRATION_RELEASE_Z)
    pairs: list[dict[str, Any]] = [
        {
            "from": pair.split(">", 1)[0],
            "to": pair.split(">", 1)[1],
            "organisations": _count(value),
            "interval": [max(0, round(value - half)), min(organisations, round(value + half))],
        }
        for category, labels in MIGRATION_PAIRS.items()
        for pair, value in zip(labels, values[category], strict=True)
        if value >= least
    ]
    pairs.sort(key=lambda item: -item["organisations"])
    return {
        "pairs": pairs,
        "columns": ["from", "to", "organisations", "95% interval"],
        "rows": [
            [p["from"], p["to"], p["organisations"], f"{p['interval'][0]}-{p['interval'][1]}"]
            for p in pairs
        ],
        "notes": [
            f"a pair is shown from k + {MIGRATION_RELEASE_Z:g} noise std = {least:.0f} "
            f"organisations (k = {k})"
        ],
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
    least = release_threshold(k, sigma * math.sqrt(2))  # each side sums two cells
    tables: list[dict[str, Any]] = []
    for factor in EFFECT_FACTORS:
        for outcome in OUTCOMES:
            cells = dict(zip(CELLS, values[f"{factor}x{outcome}"], strict=True))
            with_n = cells["with+good"] + cells["with+bad"]
            without_n = cells["without+good"] + cells["without+bad"]
            if with_n < least or without_n < least:
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
            "associations, not causes; a table is shown when both sides hold at least k + "
            f"{RELEASE_Z:g} noise std = {least:.0f} organisations (k = {k})"
        ],
    }
