"""Utility of the federated trend types on real histories, against each member's local view.

Organisations: the public repositories mirrored in ``/work/.mirror`` (bare git directories
brought by the ``fetch`` tool; ``BMAD_BENCH_MIRROR`` names another folder), one organisation
each. Each repository's technology history is mined by ``bmad.scanning.trends`` and its commit
history by bmad's history miner, and ``bmad.privacy.trend_summary.trend_summary`` reduces them
to what the trend learning types count (cached as JSON under ``bench/_work/trends-utility``).
Beyond the real ones, organisations are bootstrapped: one to three real repositories drawn at
random (a seeded numpy generator: it builds the population, never noise).

Per learning type (``technology_adoption``, ``technology_survival``, ``technology_migrations``,
``tool_effectiveness``) and number of organisations N, each organisation's vector is bounded by
``bmad.privacy.units.unit_contribution`` (unit: the organisation, as the governance defaults
say) and released through the real privacy path of a round at the default level that allows
the trend types (``medium``: k = 5, epsilon 1 per round; the CLI's default ``high`` allows none
of them): the round layout, each member's distributed discrete Gaussian share from OpenDP, the
secure sum (the first repetition through the secure-aggregation simulator), the groups and the
robust combination, and ``bmad.federation.insights`` (k-suppression, post-processing,
``bmad.federation.trend_insights``). This is ``release`` of ``bench/privacy/utility.py``.

The exact figures are the pooled truth before the schemas' caps: every organisation's every
technology (at its earliest year), every episode and every migration, summed and read without
noise and with the threshold k alone, so the error of a released figure includes what the caps
leave out. The baseline is what one member knows alone (also uncapped): its own adoption (0 or
1) as the share of organisations adopting, its own Kaplan-Meier curve, its own migrations as
the common ones; it has no estimate of a tool's effect (one organisation has one
outcome), so its error there is that of assuming no effect.

    .venv/bin/python bench/trends/bench_trend_utility.py [--sizes 5 10 20 50 100] [--rounds R]
        [--level medium|low]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent.parent
WORK = BENCH / "_work" / "trends-utility"
MIRROR = Path(os.environ.get("BMAD_BENCH_MIRROR", "/work/.mirror"))
SUMMARY_FORMAT = 1
os.environ.setdefault("BMAD_HOME", str(WORK / "home"))
sys.path.insert(0, str(BENCH / "privacy"))

from _histories import git_dir_of, tip_history  # noqa: E402  (mining a mirror, shared)
from utility import release  # noqa: E402  (the privacy path of a round, shared)

from bmad.federation.governance import governance_for  # noqa: E402
from bmad.federation.trend_insights import (  # noqa: E402
    kaplan_meier,
    trend_insights,
)
from bmad.privacy.schemas import BoundedContribution, schema_for  # noqa: E402
from bmad.privacy.summaries import LocalStatistics, TrendSummary  # noqa: E402
from bmad.privacy.trend_schemas import (  # noqa: E402
    MIGRATION_PAIRS,
    PERIODS,
    TREND_LEARNING_TYPES,
    survival_series,
    trend_counts,
)
from bmad.privacy.units import unit_contribution, unit_for  # noqa: E402

DEFAULT_LEVEL = "medium"
REAL_SUBSET_SIZES = (5, 10)


# -- the organisations -----------------------------------------------------------------------


def _summary_json(summary: TrendSummary) -> dict[str, Any]:
    return {
        "first_adoption": dict(summary.first_adoption),
        "survival": [list(item) for item in summary.survival],
        "migrations": sorted(list(pair) for pair in summary.migrations),
        "factors": sorted(summary.factors),
        "fix_ratio": summary.fix_ratio,
        "revert_ratio": summary.revert_ratio,
    }


def _summary(data: Mapping[str, Any]) -> TrendSummary:
    return TrendSummary(
        first_adoption=dict(data["first_adoption"]),
        survival=[
            (str(kind), int(quarters), bool(removed))
            for kind, quarters, removed in data["survival"]
        ],
        migrations=frozenset((str(old), str(new)) for old, new in data["migrations"]),
        factors=frozenset(data["factors"]),
        fix_ratio=data["fix_ratio"],
        revert_ratio=data["revert_ratio"],
    )


def _mine(git_dir: Path) -> TrendSummary:
    from bmad.privacy.trend_summary import trend_summary
    from bmad.scanning.trends import mine_technology_history, open_trends_store

    with open_trends_store(WORK / "trends.sqlite3") as store:
        _, history = mine_technology_history(store, git_dir)
    assert history is not None
    report, paths, _, _ = tip_history(git_dir)
    return trend_summary(history, report, paths)


def load_repositories(log: bool = True) -> list[tuple[str, TrendSummary]]:
    """(name, trend summary) of every mirrored repository, mined once and cached."""
    WORK.mkdir(parents=True, exist_ok=True)
    found = []
    for folder in sorted(MIRROR.iterdir()):
        git_dir = git_dir_of(folder) if folder.is_dir() else None
        if git_dir is None:
            continue
        head = (git_dir / "HEAD").read_text().strip()
        cache = WORK / f"{folder.name}.json"
        cached = json.loads(cache.read_text()) if cache.exists() else None
        if cached is None or cached.get("format") != SUMMARY_FORMAT or cached["head"] != head:
            started = time.perf_counter()
            summary = _mine(git_dir)
            cached = {"format": SUMMARY_FORMAT, "head": head, "summary": _summary_json(summary)}
            cache.write_text(json.dumps(cached))
            if log:
                print(
                    f"mined {folder.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr
                )
        found.append((folder.name, _summary(cached["summary"])))
    return found


def populations(
    repositories: Sequence[TrendSummary], size: int, generator: np.random.Generator
) -> list[list[TrendSummary]]:
    """``size`` organisations: every real one (one repository each) when ``size`` is their
    number, a random subset when fewer, bootstrapped organisations of 1-3 repositories when more."""
    if size <= len(repositories):
        chosen = generator.choice(len(repositories), size=size, replace=False)
        return [[repositories[int(index)]] for index in chosen]
    return [
        [repositories[int(index)] for index in generator.integers(len(repositories), size=count)]
        for count in generator.integers(1, 4, size=size)
    ]


# -- one learning type: released, exact and local ----------------------------------------


def _blocks(learning_type: str, vector: Sequence[int]) -> dict[str, list[float]]:
    values, offset = {}, 0
    for block in schema_for(learning_type).blocks:
        values[block.name] = [float(v) for v in vector[offset : offset + len(block.labels)]]
        offset += len(block.labels)
    return values


@dataclass
class Measure:
    released: dict[str, float]  # error (and coverage) of the released figures
    local: dict[str, float]  # the same errors of the members' local-only estimates


def _adoption(
    released: Mapping[str, Any],
    exact: Mapping[str, list[float]],
    members: Sequence[Mapping[str, list[float]]],
    k: int,
    n: int,
) -> Measure:
    shown = {item["technology"]: item for item in released["technologies"]}
    adopters = {key: min(float(n), cells[0]) for key, cells in exact.items()}
    used = [key for key, count in adopters.items() if count >= 1]
    share_error = [
        abs((shown[key]["adopters"] if key in shown else 0) - adopters[key]) / n for key in used
    ]
    common = [key for key in used if adopters[key] >= k]
    cells = [
        (key, index) for key in used for index, value in enumerate(exact[key][1:]) if value >= 1
    ]
    period_error = [
        abs(
            (shown[key]["periods"].get(PERIODS[index], 0) if key in shown else 0)
            - exact[key][1 + index]
        )
        for key, index in cells
    ]
    local = [
        abs((1.0 if member[key][0] > 0 else 0.0) - adopters[key] / n)
        for member in members
        for key in used
    ]
    return Measure(
        {
            "share_mae": statistics.fmean(share_error),
            "common_released": sum(key in shown for key in common) / max(1, len(common)),
            "period_cells_mae": statistics.fmean(period_error) if period_error else 0.0,
        },
        {"share_mae": statistics.fmean(local)},
    )


def _curve_gap(
    curve: Sequence[Mapping[str, float]], exact: Sequence[Mapping[str, float]]
) -> float | None:
    """The largest |S(y) difference| over the years since adoption both curves reach."""
    gaps = [abs(a["survival"] - b["survival"]) for a, b in zip(curve, exact, strict=False)]
    return max(gaps) if gaps else None


def _survival(
    released: Mapping[str, Any],
    exact: Mapping[str, list[float]],
    members: Sequence[Mapping[str, list[float]]],
    k: int,
    n: int,
) -> Measure:
    gaps, lengths, local = [], [], []
    for kind, curve in released["curves"].items():
        at_risk, events, _ = survival_series(exact[kind])
        truth = kaplan_meier(at_risk, events, 0.0, k)
        gap = _curve_gap(curve, truth)
        if gap is not None:
            gaps.append(gap)
            lengths.append(len(curve) / max(1, len(truth)))
        for member in members:
            at_risk, events, _ = survival_series(member[kind])
            own = kaplan_meier(at_risk, events, 0.0, 1)
            own_gap = _curve_gap(own, truth)
            if own_gap is not None:
                local.append(own_gap)
    return Measure(
        {
            "max_gap": statistics.fmean(gaps) if gaps else float("nan"),
            "years_shown": statistics.fmean(lengths) if lengths else 0.0,
        },
        {"max_gap": statistics.fmean(local) if local else float("nan")},
    )


def _pairs(values: Mapping[str, list[float]], at_least: float) -> dict[str, float]:
    return {
        pair: value
        for category, labels in MIGRATION_PAIRS.items()
        for pair, value in zip(labels, values[category], strict=True)
        if value >= at_least
    }


def _migrations(
    released: Mapping[str, Any],
    exact: Mapping[str, list[float]],
    members: Sequence[Mapping[str, list[float]]],
    k: int,
    n: int,
) -> Measure:
    shown = {f"{item['from']}>{item['to']}": item["organisations"] for item in released["pairs"]}
    common = _pairs(exact, k)
    hits = [pair for pair in shown if pair in common]
    own = [set(_pairs(member, 1)) for member in members]
    local_recall = [len(pairs & set(common)) / len(common) for pairs in own] if common else []
    local_precision = [len(pairs & set(common)) / len(pairs) for pairs in own if pairs]
    return Measure(
        {
            "common_pairs": float(len(common)),
            "recall": len(hits) / len(common) if common else float("nan"),
            "precision": len(hits) / len(shown) if shown else float("nan"),
            "count_mae": statistics.fmean(abs(shown[p] - common[p]) for p in hits)
            if hits
            else float("nan"),
        },
        {
            "recall": statistics.fmean(local_recall) if local_recall else float("nan"),
            "precision": statistics.fmean(local_precision) if local_precision else float("nan"),
        },
    )


def _effectiveness(
    released: Mapping[str, Any],
    exact: Mapping[str, list[float]],
    members: Sequence[Mapping[str, list[float]]],
    k: int,
    n: int,
) -> Measure:
    truth = trend_insights("tool_effectiveness", exact, 0.0, k, n)["tables"]
    exact_difference = {(t["factor"], t["outcome"]): t["difference"] for t in truth}
    shown = {(t["factor"], t["outcome"]): t for t in released["tables"]}
    both = [key for key in shown if key in exact_difference]
    errors = [abs(shown[key]["difference"] - exact_difference[key]) for key in both]
    covered = [
        shown[key]["interval"][0] <= exact_difference[key] <= shown[key]["interval"][1]
        for key in both
    ]
    return Measure(
        {
            "tables": float(len(exact_difference)),
            "released": len(both) / len(exact_difference) if exact_difference else float("nan"),
            "difference_mae": statistics.fmean(errors) if errors else float("nan"),
            "interval_coverage": statistics.fmean(covered) if covered else float("nan"),
        },
        {
            "difference_mae": (
                statistics.fmean(abs(value) for value in exact_difference.values())
                if exact_difference
                else float("nan")
            )
        },
    )


MEASURES = {
    "technology_adoption": _adoption,
    "technology_survival": _survival,
    "technology_migrations": _migrations,
    "tool_effectiveness": _effectiveness,
}


def _unbounded(
    learning_type: str, repositories: Sequence[TrendSummary], bounded: BoundedContribution
) -> dict[str, list[float]]:
    """What the organisation knows of itself before the schema's caps: every technology at
    its earliest year, every episode, every migration (effectiveness: one count per table
    either way, so its bounded vector)."""
    if learning_type == "tool_effectiveness":
        return _blocks(learning_type, bounded.vector)
    names = [block.name for block in schema_for(learning_type).blocks]
    per_repository = [trend_counts(learning_type, summary) or [] for summary in repositories]
    merged: dict[str, list[float]] = {}
    for index, name in enumerate(names):
        columns = [[float(v) for v in blocks[index]] for blocks in per_repository]
        if learning_type == "technology_survival":
            merged[name] = [sum(values) for values in zip(*columns, strict=True)]
            continue
        union = [max(values) for values in zip(*columns, strict=True)]
        if learning_type == "technology_adoption" and union[0] > 0:
            earliest = min(c[1:].index(1.0) for c in columns if c[0] > 0)
            union = [1.0] + [1.0 if i == earliest else 0.0 for i in range(len(union) - 1)]
        merged[name] = union
    return merged


def measure(
    learning_type: str,
    organisations: Sequence[Sequence[TrendSummary]],
    faithful: bool,
    level: str = DEFAULT_LEVEL,
) -> Measure:
    governance = governance_for(level)
    unit = unit_for(learning_type, "organisation")
    contributions: list[BoundedContribution] = []
    members: list[dict[str, list[float]]] = []
    for repositories in organisations:
        found = unit_contribution(
            learning_type, unit, [LocalStatistics(trends=summary) for summary in repositories]
        )
        if found is not None:
            contributions.append(found)
            members.append(_unbounded(learning_type, repositories, found))
    document = release(contributions, learning_type, governance, unit, faithful)
    exact = {
        name: [sum(column) for column in zip(*(m[name] for m in members), strict=True)]
        for name in members[0]
    }
    k = governance.k_min_participants
    measured = MEASURES[learning_type](document["trends"], exact, members, k, len(contributions))
    measured.released["noise_std"] = float(document["noise_std"])
    return measured


# -- the sweep -------------------------------------------------------------------------------


def sweep(
    repositories: Sequence[TrendSummary],
    sizes: Sequence[int],
    rounds: int,
    level: str = DEFAULT_LEVEL,
) -> list[dict[str, Any]]:
    generator = np.random.default_rng(20)
    rows = []
    for size in sizes:
        found: dict[str, list[Measure]] = {
            learning_type: [] for learning_type in TREND_LEARNING_TYPES
        }
        started = time.perf_counter()
        for repetition in range(rounds):
            organisations = populations(repositories, size, generator)
            for learning_type in TREND_LEARNING_TYPES:
                found[learning_type].append(
                    measure(learning_type, organisations, repetition == 0, level)
                )
        seconds = time.perf_counter() - started
        for learning_type, measures in found.items():
            row: dict[str, Any] = {
                "organisations": size,
                "learning_type": learning_type,
                "rounds": rounds,
            }
            for side in ("released", "local"):
                for name in getattr(measures[0], side):
                    values = [getattr(m, side)[name] for m in measures]
                    finite = [value for value in values if not math.isnan(value)]
                    row[f"{side}.{name}"] = round(statistics.fmean(finite), 4) if finite else None
            rows.append(row)
        print(f"N = {size}: {rounds} rounds of each type in {seconds:.0f} s", file=sys.stderr)
    return rows


def markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for learning_type in TREND_LEARNING_TYPES:
        chosen = [row for row in rows if row["learning_type"] == learning_type]
        names = [key for key in chosen[0] if "." in key]
        lines.append(f"\n{learning_type}\n")
        lines.append("| N | " + " | ".join(names) + " |")
        lines.append("|---" * (len(names) + 1) + "|")
        for row in chosen:
            cells = ["-" if row[name] is None else f"{row[name]:g}" for name in names]
            lines.append(f"| {row['organisations']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--level", choices=("medium", "low"), default=DEFAULT_LEVEL)
    parser.add_argument("--json", action="store_true", help="rows as JSON instead of tables")
    options = parser.parse_args()
    repositories = [summary for _, summary in load_repositories()]
    if len(repositories) < 5:
        print(f"only {len(repositories)} repositories under {MIRROR}: fetch more", file=sys.stderr)
        return 2
    sizes = options.sizes or [*REAL_SUBSET_SIZES, len(repositories), 50, 100]
    rows = sweep(repositories, sizes, options.rounds, options.level)
    print(json.dumps(rows, indent=1) if options.json else markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
