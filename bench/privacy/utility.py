"""How accurate are released global insights, by number of organisations, level and unit?

A simulated federation in this process runs the real privacy path of a round: each
organisation's contribution is built and bounded by ``bmad.federation.participant`` and
``bmad.privacy.schemas``, extended to the round layout (``bmad.federation.wire``), noised with
its distributed discrete Gaussian share from OpenDP (``bmad.privacy.payloads.build_payload``,
sized by ``plan_distributed_gaussian`` for its group's minimum survivors), summed by secure
aggregation (``bmad.federation.secagg.simulate.simulate_round``) in groups formed by
``bmad.federation.governance``, combined by ``bmad.federation.robust``, and turned into
insights by ``bmad.federation.insights`` (release rules, post-processing, the standing lookup a
user sees). Each released statistic is compared with the exact pooled value over every
organisation's data without noise. See bench/README.md ("Utility of global insights").

    .venv/bin/python bench/privacy/utility.py [--quick] [--json] [--sizes 5 10 20] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault(
    "BMAD_HOME", str(Path(__file__).resolve().parent.parent / "_work" / "privacy-utility" / "home")
)
from _corpus import (
    COLUMNS,
    WORK,
    Organisation,
    federation,
    load_real_organisations,
    repository_statistics,
    smell_counts,
)

from bmad.federation.governance import (
    Governance,
    governance_for,
    group_sizes,
    reconstruction_threshold,
)
from bmad.federation.insights import RoundFacts, compute_insights, standing
from bmad.federation.robust import combine_groups
from bmad.federation.secagg.simulate import simulate_round
from bmad.federation.wire import (
    round_contribution,
    round_l2_sensitivity,
    round_vector_length,
)
from bmad.privacy.noise import plan_distributed_gaussian
from bmad.privacy.payloads import build_payload
from bmad.privacy.schemas import (
    CODE_EDGES,
    CODE_METRICS,
    SMELLS,
    VOCABULARY,
    BoundedContribution,
    code_pattern_counts,
    normalise_rule_id,
    schema_for,
)
from bmad.privacy.units import UNIT_CAPS, Unit, sample_units, unit_contribution, unit_for

SIZES = (5, 10, 20, 50, 100, 1_000, 10_000)
QUICK_SIZES = (5, 10, 20, 50, 100, 1_000)
LEVELS = ("high", "medium", "low")
LEARNING_TYPES = ("code_patterns", "technology_trends", "anti_patterns")
QUICK_LEARNING_TYPES = ("code_patterns",)
# units measured per learning type (technology adoption needs the per-bin organisation counts
# only the organisation unit releases)
MEASURED_UNITS = {
    "code_patterns": tuple(UNIT_CAPS["code_patterns"]),
    "technology_trends": ("organisation",),
    "anti_patterns": tuple(UNIT_CAPS["anti_patterns"]),
}
QUICK_ALL_UNITS_UP_TO = 20  # --quick measures every unit up to here, then the default only
QUICK_ALL_LEVELS_UP_TO = 100  # and every level up to here, then "medium" (the target's) only
SIMULATED_GROUP_LIMIT = 60  # larger groups are summed exactly without the simulator (slow)
LOOKUP_QUANTILES = (0.5, 0.9, 0.99)
TARGET_POINTS = 5.0
LINE_STYLES = {"high": ":", "medium": "-", "low": "--"}  # plot: colour per type and unit
SIMULATED_GROUPS = 4  # groups per round summed by the secure-aggregation simulator itself
MODULUS_BITS = 32


def rounds_for(size: int, quick: bool, requested: int | None) -> int:
    """Repetitions per cell: many where rounds are cheap, few where noise draws dominate."""
    if requested is not None:
        return requested
    table = {5: 20, 10: 20, 20: 16, 50: 10, 100: 8, 1_000: 3, 10_000: 2}
    rounds = table.get(size, 3)
    return max(1, rounds // 3) if quick else rounds


# -- collection and bounding (the participant's side) -------------------------------------


def _python_code_counts(metrics: np.ndarray) -> list[list[int]]:
    """``code_pattern_counts`` for Python-only metric rows, with numpy (checked equal below)."""
    blocks = []
    for block, metric in zip(schema_for("code_patterns").blocks, CODE_METRICS, strict=True):
        edges = np.asarray(CODE_EDGES[metric])
        values = metrics[:, COLUMNS.index(metric)]
        bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 1)
        counts = [0] * len(block.labels)
        counts[: len(edges)] = np.bincount(bins, minlength=len(edges)).tolist()  # python first
        blocks.append(counts)
    return blocks


def check_collection(organisations: Sequence[Organisation]) -> None:
    """The numpy counting above equals the schema's own counting on every real repository."""
    for organisation in organisations:
        for repository in organisation.repositories:
            expected = code_pattern_counts(repository_statistics(repository).files)
            if _python_code_counts(repository.metrics) != expected:
                raise SystemExit(f"numpy counts differ from the schema's for {repository.name}")


def _repository_raw(learning_type: str, repository: Any) -> list[list[int]]:
    if learning_type == "code_patterns":
        return _python_code_counts(repository.metrics)
    if learning_type == "technology_trends":
        return [[1 if t.name in repository.technologies else 0 for t in VOCABULARY]]
    smells = [0] * len(SMELLS)
    for rule_id, count in smell_counts(repository.metrics).items():
        smells[SMELLS.index(normalise_rule_id(rule_id))] += count
    return [smells, [0] * len(schema_for("anti_patterns").blocks[1].labels)]


def organisation_contribution(
    learning_type: str, unit: Unit, organisation: Organisation
) -> BoundedContribution | None:
    """``bmad.privacy.units.unit_contribution`` over the organisation's repositories.

    The same steps on numpy counts (``unit_contribution`` itself builds one object per function,
    too slow for 10,000 organisations): each repository bounded by the schema and merged
    (organisation) or summed over at most the cap (repository, sampled by ``sample_units``), or
    at most the cap of functions sampled by ``sample_units`` and counted (record).
    ``check_units`` compares both on the real organisations.
    """
    schema = schema_for(learning_type)
    if unit.name == "record":
        rows = np.concatenate([repository.metrics for repository in organisation.repositories])
        chosen = sample_units(range(len(rows)), unit.cap)
        counts = _python_code_counts(rows[np.asarray(chosen, dtype=np.int64)])
        return BoundedContribution(schema, tuple(value for block in counts for value in block))
    vectors = [
        schema.bound(_repository_raw(learning_type, repository))
        for repository in organisation.repositories
    ]
    if not vectors:
        return None
    if unit.name == "repository":
        chosen_vectors = sample_units(vectors, unit.cap)
        summed = tuple(sum(column) for column in zip(*chosen_vectors, strict=True))
        return BoundedContribution(schema, summed)
    if len(vectors) == 1:
        return BoundedContribution(schema, vectors[0])
    summed_list = [sum(column) for column in zip(*vectors, strict=True)]
    blocks, offset = [], 0
    for block in schema.blocks:
        blocks.append(summed_list[offset : offset + len(block.labels)])
        offset += len(block.labels)
    return BoundedContribution(schema, schema.bound(blocks))


def build_contributions(
    learning_type: str, unit: Unit, organisations: Sequence[Organisation]
) -> list[BoundedContribution]:
    return [
        found
        for organisation in organisations
        if (found := organisation_contribution(learning_type, unit, organisation)) is not None
    ]


def check_units(organisations: Sequence[Organisation], learning_type: str) -> None:
    """On real organisations, the bench's contributions equal ``unit_contribution``'s.

    Records are compared with a cap above every organisation's function count (no sampling),
    the sampling being ``sample_units`` in both."""
    for name in MEASURED_UNITS[learning_type]:
        unit = unit_for(learning_type, name)
        if unit.name == "record":
            unit = Unit(learning_type, "record", 10**9)
        for organisation in organisations:
            statistics = [repository_statistics(r) for r in organisation.repositories]
            if unit_contribution(learning_type, unit, statistics) != organisation_contribution(
                learning_type, unit, organisation
            ):
                raise SystemExit(
                    f"{learning_type}/{name}: contribution differs for {organisation.name}"
                )


# -- the round (secure sum, release) ------------------------------------------------------


def secure_sum(vectors: list[tuple[int, ...]], threshold: int, simulate: bool) -> list[int]:
    """The group's sum mod 2^32, through the secure-aggregation simulator when ``simulate``
    (checked equal to the exact sum), else the exact sum itself."""
    modulus = 1 << MODULUS_BITS
    exact = [sum(column) for column in zip(*vectors, strict=True)]
    wrapped = [((value + modulus // 2) % modulus) - modulus // 2 for value in exact]
    if not simulate:
        return wrapped
    simulation = simulate_round(
        vectors, threshold, modulus_bits=MODULUS_BITS, min_survivors=threshold
    )
    if simulation.result is None:
        raise SystemExit(f"secure aggregation aborted: {simulation.abort_reason}")
    summed = [int(value) for value in simulation.result.signed()]
    if summed != wrapped:
        raise SystemExit("the secure-aggregation simulator's sum differs from the exact sum")
    return summed


def release(
    contributions: Sequence[BoundedContribution],
    learning_type: str,
    governance: Governance,
    unit: Unit,
) -> dict[str, Any]:
    """One round over ``contributions``, as the engine and the participants run it."""
    schema = schema_for(learning_type)
    k = governance.k_min_participants
    rho = governance.rho_per_round
    order = list(range(len(contributions)))
    secrets.SystemRandom().shuffle(order)
    sums, sizes, thresholds = [], [], []
    start = 0
    for number, size in enumerate(group_sizes(len(order), k)):
        members = order[start : start + size]
        start += size
        threshold = reconstruction_threshold(size, k)
        noisy = []
        for index in members:
            extended = round_contribution(contributions[index], unit)
            plan = plan_distributed_gaussian(
                rho, threshold, extended.schema.l2_sensitivity, extended.schema.dim
            )
            noisy.append(build_payload(extended, plan).vector)
        simulate = number < SIMULATED_GROUPS and size <= SIMULATED_GROUP_LIMIT
        sums.append(secure_sum(noisy, threshold, simulate))
        sizes.append(size)
        thresholds.append(threshold)
    aggregate = combine_groups(sums, sizes, governance.robust_combiner, governance.trim_fraction)
    plan = plan_distributed_gaussian(
        rho, min(thresholds), round_l2_sensitivity(schema, unit), round_vector_length(schema, unit)
    )
    facts = RoundFacts(
        learning_type=learning_type,
        schema_version=schema.version,
        participants=sum(sizes),
        groups=len(sizes),
        share_scale=plan.scale,
        epsilon=governance.epsilon_per_round,
        delta=governance.delta,
        consensus_threshold=governance.consensus_threshold,
        k=k,
        unit=unit.name,
    )
    return compute_insights(aggregate, facts)


# -- truth and errors ---------------------------------------------------------------------


@dataclass
class Truth:
    lookups: list[tuple[str, float, float, float]]  # (metric, quantile, value, share below)
    adoption: dict[str, float]  # technology -> share of organisations using it
    prevalence: dict[str, float]  # smell -> share of all findings


def pooled_truth(organisations: Sequence[Organisation]) -> Truth:
    pooled = np.concatenate([r.metrics for o in organisations for r in o.repositories])
    lookups = []
    for metric in CODE_METRICS:
        values = pooled[:, COLUMNS.index(metric)]
        for quantile in LOOKUP_QUANTILES:
            value = float(np.quantile(values, quantile, method="lower"))
            if value > values.min():  # at the minimum every design answers "above 0%"
                lookups.append((metric, quantile, value, float((values < value).mean())))
    adoption = {
        t.name: float(
            np.mean([any(t.name in r.technologies for r in o.repositories) for o in organisations])
        )
        for t in VOCABULARY
    }
    findings = {smell: 0 for smell in SMELLS}
    for organisation in organisations:
        for repository in organisation.repositories:
            for rule_id, count in smell_counts(repository.metrics).items():
                findings[normalise_rule_id(rule_id)] += count
    total = sum(findings.values()) or 1
    prevalence = {smell: count / total for smell, count in findings.items()}
    return Truth(lookups, adoption, prevalence)


def released_errors(
    learning_type: str, insights: dict[str, Any], truth: Truth, organisations: int
) -> dict[str, list[float]]:
    """Absolute errors in points (0-100) of each released statistic; an unreleased one is 100."""
    errors: dict[str, list[float]] = {}
    if learning_type == "code_patterns":
        for metric, quantile, value, below in truth.lookups:
            found = standing(insights, metric, "python", value)
            shown = None if found is None else float(found["above_share"])
            error = 100.0 if shown is None else abs(shown - below) * 100
            errors.setdefault(f"p{round(quantile * 100)}", []).append(error)
    elif learning_type == "technology_trends":
        bins = insights["blocks"]["dependencies"]["bins"]
        for item in bins:
            true_share = truth.adoption[item["label"]]
            if true_share == 0:
                continue
            shown = item["organisations"]
            error = 100.0 if shown is None else abs(shown / organisations - true_share) * 100
            errors.setdefault("adoption", []).append(error)
    else:
        for item in insights["blocks"]["smells"]["bins"]:
            true_share = truth.prevalence[item["label"]]
            if true_share == 0:
                continue
            shown = item["share"]
            error = 100.0 if shown is None else abs(shown - true_share) * 100
            errors.setdefault("prevalence", []).append(error)
    return errors


# -- synthetic population fidelity -------------------------------------------------------

FIDELITY_REPOSITORY = "rich"  # the "local" repository whose functions the anomaly model scores


def ks_distance(left: np.ndarray, right: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov distance (largest gap between the empirical CDFs)."""
    values = np.union1d(left, right)
    left_cdf = np.searchsorted(np.sort(left), values, side="right") / len(left)
    right_cdf = np.searchsorted(np.sort(right), values, side="right") / len(right)
    return float(np.max(np.abs(left_cdf - right_cdf)))


def _forest_scores(train: np.ndarray, scored: np.ndarray) -> np.ndarray:
    """Anomaly scores (higher: more anomalous) of ``scored`` against a forest fit on ``train``,
    with the anomaly model's settings (bmad.analysis.model)."""
    from sklearn.ensemble import IsolationForest

    from bmad.analysis.settings import ModelSettings

    settings = ModelSettings()
    forest = IsolationForest(
        n_estimators=settings.n_estimators,
        contamination=settings.contamination,
        random_state=settings.random_state,
    ).fit(train)
    return np.asarray(-forest.score_samples(scored))


def fidelity(
    insights: dict[str, Any], organisations: Sequence[Organisation], local: Organisation
) -> dict[str, Any]:
    """KS distance of each synthetic metric to the pooled truth, and how far the anomaly scores
    of a real repository's functions move when the forest learns the global population from
    the synthetic one instead of a sample of the pooled truth (same size, same metrics)."""
    from bmad.federation.synthetic import synthetic_population

    pooled = np.concatenate([r.metrics for o in organisations for r in o.repositories])
    population = synthetic_population(insights, "python", 5_000)
    ks = {
        metric: ks_distance(np.asarray(values), pooled[:, COLUMNS.index(metric)])
        for metric, values in population.items()
    }
    repository = next(r for r in local.repositories if r.name == FIDELITY_REPOSITORY)
    metrics = list(population)
    if not metrics:
        return {"ks": ks, "anomaly_mean_abs_diff": None, "anomaly_spearman": None}
    columns = [COLUMNS.index(metric) for metric in metrics]
    synthetic = np.column_stack([population[metric] for metric in metrics])
    sample = np.random.default_rng(0).choice(len(pooled), size=len(synthetic), replace=False)
    scored = repository.metrics[:, columns].astype(float)
    synthetic_scores = _forest_scores(synthetic, scored)
    true_scores = _forest_scores(pooled[sample][:, columns].astype(float), scored)
    ranks = [np.argsort(np.argsort(scores)) for scores in (synthetic_scores, true_scores)]
    return {
        "ks": ks,
        "anomaly_mean_abs_diff": float(np.mean(np.abs(synthetic_scores - true_scores))),
        "anomaly_spearman": float(np.corrcoef(*ranks)[0, 1]),
    }


# -- the sweep ----------------------------------------------------------------------------


@dataclass
class Cell:
    learning_type: str
    level: str
    unit: str
    size: int
    default: bool = False
    fidelity: dict[str, Any] | None = None
    rounds: int = 0
    errors: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def quantile(self, kind: str, q: float) -> float | None:
        values = self.errors.get(kind)
        return float(np.quantile(values, q)) if values else None

    def headline(self) -> list[str]:
        if self.learning_type == "code_patterns":
            return ["p50", "p90"]
        return ["adoption"] if self.learning_type == "technology_trends" else ["prevalence"]

    def meets_target(self) -> bool:
        worst = [self.quantile(kind, 0.95) for kind in self.headline()]
        return all(value is not None and value <= TARGET_POINTS for value in worst)

    def to_dict(self) -> dict[str, Any]:
        return {
            "learning_type": self.learning_type,
            "level": self.level,
            "unit": self.unit,
            "default": self.default,
            "organisations": self.size,
            "rounds": self.rounds,
            "seconds": round(self.seconds, 1),
            "synthetic_fidelity": self.fidelity,
            "errors": {
                kind: {
                    "median": self.quantile(kind, 0.5),
                    "p95": self.quantile(kind, 0.95),
                    "samples": len(values),
                }
                for kind, values in sorted(self.errors.items())
            },
        }


def sweep(
    learning_types: Sequence[str],
    sizes: Sequence[int],
    quick: bool,
    rounds: int | None,
    seed: int,
    progress: Callable[[str], None],
    all_units_up_to: int,
) -> list[Cell]:
    real = load_real_organisations()
    check_collection(real)
    real_with_local = next(
        o for o in real if any(r.name == FIDELITY_REPOSITORY for r in o.repositories)
    )
    generator = np.random.default_rng(seed)
    cells = []
    for size in sizes:
        organisations = federation(real, size, generator)
        truth = pooled_truth(organisations)
        for learning_type in learning_types:
            if size <= len(real):
                check_units(organisations, learning_type)
            for unit_name in MEASURED_UNITS[learning_type]:
                unit = unit_for(learning_type, unit_name)

                fixed = (
                    None
                    if unit.name == "record"
                    else build_contributions(learning_type, unit, organisations)
                )
                for level in LEVELS:
                    governance = governance_for(level)
                    default = governance.unit(learning_type).name == unit.name
                    if (
                        learning_type not in governance.allowed_learning_types
                        or (not default and size > all_units_up_to)
                        or (quick and size > QUICK_ALL_LEVELS_UP_TO and level != "medium")
                    ):
                        continue
                    cell = Cell(learning_type, level, unit.name, size, default=default)
                    started = time.monotonic()
                    for _ in range(rounds_for(size, quick, rounds)):
                        members = (
                            fixed
                            if fixed is not None
                            else build_contributions(learning_type, unit, organisations)
                        )
                        insights = release(members, learning_type, governance, unit)
                        if (
                            cell.fidelity is None
                            and learning_type == "code_patterns"
                            and insights["percentiles"]
                        ):
                            cell.fidelity = fidelity(insights, organisations, real_with_local)
                        for kind, values in released_errors(
                            learning_type, insights, truth, len(members)
                        ).items():
                            cell.errors.setdefault(kind, []).extend(values)
                        cell.rounds += 1
                    cell.seconds = time.monotonic() - started
                    cells.append(cell)
                    p95 = {kind: cell.quantile(kind, 0.95) for kind in cell.headline()}
                    progress(
                        f"{learning_type} {level} {unit.name} N={size}: p95 "
                        + ", ".join(f"{k} {v:.1f}" for k, v in p95.items() if v is not None)
                        + f" ({cell.rounds} rounds, {cell.seconds:.0f} s)"
                    )
    return cells


def summary(cells: Sequence[Cell]) -> list[dict[str, Any]]:
    rows = []
    keys = sorted({(c.learning_type, c.level, c.unit) for c in cells})
    for learning_type, level, unit in keys:
        ordered = sorted(
            (
                c
                for c in cells
                if (c.learning_type, c.level, c.unit) == (learning_type, level, unit)
            ),
            key=lambda c: c.size,
        )
        reached = next((c.size for c in ordered if c.meets_target()), None)
        rows.append(
            {
                "learning_type": learning_type,
                "level": level,
                "unit": unit,
                "default": any(c.default for c in ordered),
                "n_for_5pp": reached,
            }
        )
    return rows


def markdown(cells: Sequence[Cell]) -> str:
    lines = [
        "| learning type | level | unit | N | rounds | statistic | median error (points) "
        "| p95 error (points) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell in cells:
        for kind in sorted(cell.errors):
            median, p95 = cell.quantile(kind, 0.5), cell.quantile(kind, 0.95)
            lines.append(
                f"| {cell.learning_type} | {cell.level} | {cell.unit} | {cell.size:,} | "
                f"{cell.rounds} | {kind} | {median:.2f} | {p95:.2f} |"
            )
    lines += [
        "",
        "Synthetic population (first round of each cell): KS distance to the pooled truth per "
        "metric, and anomaly scores of one real repository against it vs the pooled truth",
        "",
        "| level | unit | N | "
        + " | ".join(f"KS {m}" for m in CODE_METRICS)
        + " | mean abs score diff | score rank correlation |",
        "|---|---|---|" + "---|" * (len(CODE_METRICS) + 2),
    ]
    for cell in cells:
        if cell.fidelity is None or cell.fidelity["anomaly_spearman"] is None:
            continue
        ks = cell.fidelity["ks"]
        lines.append(
            f"| {cell.level} | {cell.unit} | {cell.size:,} | "
            + " | ".join(f"{ks[m]:.3f}" if m in ks else "-" for m in CODE_METRICS)
            + f" | {cell.fidelity['anomaly_mean_abs_diff']:.4f} | "
            f"{cell.fidelity['anomaly_spearman']:.3f} |"
        )
    return "\n".join(lines)


def plot(cells: Sequence[Cell], path: Path) -> bool:
    """Error against N, one line per learning type, level and unit (p95 of the headline)."""
    plotlib = WORK.parent / "plotlib"
    if plotlib.is_dir():
        sys.path.append(str(plotlib))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "no PNG: matplotlib is missing; install it with "
            "`.venv/bin/pip install --target bench/_work/plotlib matplotlib`",
            file=sys.stderr,
        )
        return False
    figure, axis = plt.subplots(figsize=(12, 6))
    keys = sorted({(c.learning_type, c.level, c.unit) for c in cells})
    for key in keys:
        line = sorted(
            (c for c in cells if (c.learning_type, c.level, c.unit) == key), key=lambda c: c.size
        )
        points = [
            (c.size, max(v for kind in c.headline() if (v := c.quantile(kind, 0.95)) is not None))
            for c in line
            if all(c.quantile(kind, 0.95) is not None for kind in c.headline())
        ]
        if points:
            series = sorted({(c.learning_type, c.unit) for c in cells})
            axis.plot(
                *zip(*points, strict=True),
                marker="o",
                linestyle=LINE_STYLES[key[1]],
                color=f"C{series.index((key[0], key[2])) % 10}",
                label=" / ".join(key),
            )
    axis.axhline(TARGET_POINTS, color="grey", linestyle="--", label="target: 5 points")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("organisations (N)")
    axis.set_ylabel("95th percentile of absolute error (points)")
    axis.set_title("Released global insights against the pooled truth")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="code_patterns, N up to 1,000 (every unit up to 20, every level up to 100)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--sizes", type=int, nargs="+", help="organisation counts to run")
    parser.add_argument("--learning-types", nargs="+", choices=LEARNING_TYPES)
    parser.add_argument("--rounds", type=int, help="rounds per cell (default: by N)")
    parser.add_argument("--seed", type=int, default=16, help="seed of the bootstrap")
    parser.add_argument(
        "--all-units-up-to",
        type=int,
        help="measure every unit up to this N, then only each level's default "
        f"(default: all; --quick: {QUICK_ALL_UNITS_UP_TO})",
    )
    parser.add_argument("--out", type=Path, default=WORK, help="folder for the table and plot")
    arguments = parser.parse_args()
    sizes = arguments.sizes or (QUICK_SIZES if arguments.quick else SIZES)
    learning_types = arguments.learning_types or (
        QUICK_LEARNING_TYPES if arguments.quick else LEARNING_TYPES
    )
    started, cpu_started = time.monotonic(), time.process_time()
    all_units_up_to = arguments.all_units_up_to or (
        QUICK_ALL_UNITS_UP_TO if arguments.quick else max(sizes)
    )

    def progress(line: str) -> None:
        print(line, file=sys.stderr if arguments.json else sys.stdout, flush=True)

    cells = sweep(
        learning_types,
        sizes,
        arguments.quick,
        arguments.rounds,
        arguments.seed,
        progress,
        all_units_up_to,
    )
    arguments.out.mkdir(parents=True, exist_ok=True)
    table = markdown(cells)
    (arguments.out / "utility.md").write_text(table + "\n", encoding="utf-8")
    plotted = plot(cells, arguments.out / "utility.png")
    document = {
        "quick": arguments.quick,
        "seconds": round(time.monotonic() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "cells": [cell.to_dict() for cell in cells],
        "summary": summary(cells),
        "table": str(arguments.out / "utility.md"),
        "plot": str(arguments.out / "utility.png") if plotted else None,
    }
    (arguments.out / "utility.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
    if arguments.json:
        print(json.dumps(document, indent=1))
    else:
        print(table)
        print("\nn_for_5pp:")
        for row in document["summary"]:
            print(f"  {row}")
        print(
            f"\n{document['seconds']} s ({document['cpu_seconds']} CPU s); table, plot and JSON "
            f"in {arguments.out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
