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
    REAL_ORGANISATIONS,
    WORK,
    AnyOrganisation,
    Organisation,
    _tree,
    federation,
    load_real_organisations,
    repository_statistics,
    smell_counts,
)
from _histories import (
    HistoryOrganisation,
    history_federation,
    load_architectures,
    load_history_repositories,
    real_history_organisations,
)

from bmad.analysis.reference import LocalReference
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
    round_schema,
    round_vector_length,
)
from bmad.privacy.noise import discrete_gaussian_noise, plan_distributed_gaussian
from bmad.privacy.payloads import build_payload
from bmad.privacy.schemas import (
    CODE_EDGES,
    CODE_METRICS,
    SMELLS,
    VOCABULARY,
    BoundedContribution,
    architecture_counts,
    code_pattern_counts,
    normalise_rule_id,
    schema_for,
    success_counts,
    workflow_counts,
)
from bmad.privacy.summaries import ArchitectureSummary, LocalStatistics
from bmad.privacy.units import (
    CONTRIBUTOR_FUNCTIONS,
    UNIT_CAPS,
    Unit,
    sample_units,
    unit_contribution,
    unit_for,
)

SIZES = (5, 10, 20, 50, 100, 1_000, 10_000)
QUICK_SIZES = (5, 10, 20, 50, 100, 1_000)
LEVELS = ("high", "medium", "low")
LEARNING_TYPES = (
    "code_patterns",
    "technology_trends",
    "anti_patterns",
    "workflow_patterns",
    "success_patterns",
    "architecture_patterns",
)
QUICK_LEARNING_TYPES = ("code_patterns",)
# units measured per learning type (technology adoption needs the per-bin organisation counts
# only the organisation unit releases)
MEASURED_UNITS = {
    "code_patterns": tuple(UNIT_CAPS["code_patterns"]),
    "technology_trends": ("organisation",),
    "anti_patterns": tuple(UNIT_CAPS["anti_patterns"]),
    "workflow_patterns": tuple(UNIT_CAPS["workflow_patterns"]),
    "success_patterns": tuple(UNIT_CAPS["success_patterns"]),
    "architecture_patterns": tuple(UNIT_CAPS["architecture_patterns"]),
}
# built from LocalStatistics and bounded by bmad.privacy.units itself (small vectors)
SUMMARY_TYPES = ("workflow_patterns", "success_patterns", "architecture_patterns")
# blocks whose items (commits, files, modules) partition among an organisation's units, so
# the pooled truth is the same whatever the unit; fix_ratio is one value per repository or
# contributor and cycle_size has too few items
LOOKUP_BLOCKS = {
    "workflow_patterns": ("commit_size", "coupling_degree", "ownership"),
    "architecture_patterns": ("instability", "fan_in", "fan_out"),
}
QUICK_ALL_UNITS_UP_TO = 20  # --quick measures every unit up to here, then the default only
QUICK_ALL_LEVELS_UP_TO = 100  # and every level up to here, then "medium" (the target's) only
FULL_ALL_UNITS_UP_TO = 1_000  # a full run measures only the defaults at 10,000
SIMULATED_GROUP_LIMIT = 60  # larger groups are summed exactly without the simulator (slow)
LOOKUP_QUANTILES = (0.5, 0.9, 0.99)
TARGET_POINTS = 5.0
LINE_STYLES = {"high": ":", "medium": "-", "low": "--"}  # plot: colour per type and unit
SIMULATED_GROUPS = 4  # groups of a cell's first round summed by the secagg simulator itself
MODULUS_BITS = 32


def rounds_for(size: int, quick: bool, requested: int | None) -> int:
    """Repetitions per cell: many where rounds are cheap, few where noise draws dominate."""
    if requested is not None:
        return requested
    table = {5: 20, 10: 20, 20: 16, 50: 10, 100: 8, 1_000: 3, 10_000: 1}
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


def _normalised(counts: np.ndarray, mass: int) -> list[int]:
    """``bmad.privacy.bounding.normalise_to_mass`` in integer numpy (Hamilton rounding, ties to
    the lower index): floors of counts * mass / total, the missing units to the largest
    remainders. Exact, since every quantity is an integer."""
    total = int(counts.sum())
    if total == 0:
        return [0] * len(counts)
    scaled = counts.astype(np.int64) * mass
    floors, remainders = scaled // total, scaled % total
    missing = mass - int(floors.sum())
    order = np.lexsort((np.arange(len(counts)), -remainders))
    floors[order[:missing]] += 1
    return [int(value) for value in floors]


def _bound(learning_type: str, raw: list[list[int]]) -> tuple[int, ...]:
    """``schema.bound`` for the histogram schemas (every block ``FixedMass``)."""
    schema = schema_for(learning_type)
    vector: list[int] = []
    for block, counts in zip(schema.blocks, raw, strict=True):
        mass = getattr(block.bound, "mass")  # noqa: B009 (every block here is FixedMass)
        vector.extend(_normalised(np.asarray(counts, dtype=np.int64), mass))
    return tuple(vector)


Split = list[list[np.ndarray]]  # per organisation, its contributors' metric rows


def contributor_splits(
    organisations: Sequence[AnyOrganisation],
    files_per_contributor: Sequence[Sequence[int]],
    generator: np.random.Generator,
) -> Split:
    """Each organisation's functions split among contributors (the installed trees have no
    history): each repository takes a real mined repository's tip files per main developer,
    drawn at random, and hands its functions (in a random order) out in those proportions."""
    splits = []
    for organisation in organisations:
        contributors = []
        for repository in organisation.repositories:
            shares = np.asarray(
                files_per_contributor[int(generator.integers(len(files_per_contributor)))],
                dtype=float,
            )
            sizes = np.floor(shares / shares.sum() * len(repository.metrics)).astype(np.int64)
            sizes[0] += len(repository.metrics) - int(sizes.sum())
            rows = repository.metrics[generator.permutation(len(repository.metrics))]
            start = 0
            for size in sizes:
                if size > 0:
                    contributors.append(rows[start : start + int(size)])
                start += int(size)
        splits.append(contributors)
    return splits


def contributor_contribution(
    unit: Unit, contributors: list[np.ndarray]
) -> BoundedContribution | None:
    """``bmad.privacy.units.unit_contribution`` for the contributor unit on numpy rows: at most
    ``CONTRIBUTOR_FUNCTIONS`` functions per contributor and at most the cap of contributors,
    both sampled by ``sample_units``."""
    schema = schema_for("code_patterns")
    chosen = sample_units(contributors, unit.cap)
    if not chosen:
        return None
    total = np.zeros(schema.dim, dtype=np.int64)
    for rows in chosen:
        picked = sample_units(range(len(rows)), CONTRIBUTOR_FUNCTIONS)
        counts = _python_code_counts(rows[np.asarray(picked, dtype=np.int64)])
        total += np.asarray([value for block in counts for value in block], dtype=np.int64)
    return BoundedContribution(schema, tuple(int(value) for value in total))


def organisation_contribution(
    learning_type: str, unit: Unit, organisation: AnyOrganisation
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
        _bound(learning_type, _repository_raw(learning_type, repository))
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
    return BoundedContribution(schema, _bound(learning_type, blocks))


@dataclass
class Population:
    """One federation of N organisations, in the shapes each learning type is collected from."""

    code: list[AnyOrganisation]
    history: list[HistoryOrganisation]
    architectures: dict[str, ArchitectureSummary]
    splits: Split | None = None  # code contributors, built when that unit is measured

    def statistics(self, learning_type: str) -> list[list[LocalStatistics]]:
        if learning_type == "architecture_patterns":
            return [
                [
                    LocalStatistics(architecture=self.architectures[repository.name])
                    for repository in organisation.repositories
                    if repository.name in self.architectures
                ]
                for organisation in self.code
            ]
        return [organisation.statistics() for organisation in self.history]


def build_contributions(
    learning_type: str, unit: Unit, population: Population
) -> list[BoundedContribution]:
    if learning_type in SUMMARY_TYPES:
        found_all = [
            unit_contribution(learning_type, unit, statistics)
            for statistics in population.statistics(learning_type)
        ]
        return [found for found in found_all if found is not None]
    if unit.name == "contributor":
        assert population.splits is not None
        found_all = [contributor_contribution(unit, split) for split in population.splits]
        return [found for found in found_all if found is not None]
    return [
        found
        for organisation in population.code
        if (found := organisation_contribution(learning_type, unit, organisation)) is not None
    ]


def check_units(organisations: Sequence[AnyOrganisation], learning_type: str) -> None:
    """On real organisations, the bench's contributions equal ``unit_contribution``'s.

    Records are compared with a cap above every organisation's function count (no sampling),
    the sampling being ``sample_units`` in both."""
    for name in MEASURED_UNITS[learning_type]:
        unit = unit_for(learning_type, name)
        if unit.name == "contributor":
            continue  # sampled per contributor; tests/privacy/test_contributor_unit.py checks it
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


def read_coordinates(learning_type: str, unit: Unit) -> np.ndarray:
    """The round layout's coordinates this benchmark's statistics depend on: for code_patterns
    the Python bins (the corpus is Python; every other language's bins, contribution and
    participation alike, feed only that language's insights), for the others every one."""
    labels = round_schema(schema_for(learning_type), unit).labels
    if learning_type != "code_patterns":
        return np.arange(len(labels))
    return np.asarray([i for i, label in enumerate(labels) if "/python:" in label])


def release(
    contributions: Sequence[BoundedContribution],
    learning_type: str,
    governance: Governance,
    unit: Unit,
    faithful: bool,
) -> dict[str, Any]:
    """One round over ``contributions``, as the engine and the participants run it.

    ``faithful``: every member builds its payload (``build_payload``: its whole vector plus
    its OpenDP share) and the first groups go through the secure-aggregation simulator.
    Otherwise each group's sum is the exact integer sum of the members' round vectors plus,
    on the coordinates the statistics read (``read_coordinates``), every member's share drawn
    from the same OpenDP sampler in one call of members x coordinates draws and summed per
    coordinate. That is the same distribution: the shares are independent draws of N_Z(0,
    s^2) whatever call they come from, the sum of n shares is never replaced by a single draw
    (the sum of discrete Gaussians is not one), and coordinates no statistic reads cannot
    change a measured error. The first round of every cell is faithful.
    """
    schema = schema_for(learning_type)
    k = governance.k_min_participants
    rho = governance.rho_per_round
    order = list(range(len(contributions)))
    secrets.SystemRandom().shuffle(order)
    layout = round_schema(schema, unit)
    read = read_coordinates(learning_type, unit)
    sums, sizes, thresholds = [], [], []
    start = 0
    for number, size in enumerate(group_sizes(len(order), k)):
        members = order[start : start + size]
        start += size
        threshold = reconstruction_threshold(size, k)
        plan = plan_distributed_gaussian(rho, threshold, layout.l2_sensitivity, layout.dim)
        extended = [round_contribution(contributions[index], unit) for index in members]
        if faithful:
            noisy = [build_payload(member, plan).vector for member in extended]
            simulate = number < SIMULATED_GROUPS and size <= SIMULATED_GROUP_LIMIT
            sums.append(secure_sum(noisy, threshold, simulate))
        else:
            exact = np.asarray([member.vector for member in extended], dtype=np.int64).sum(0)
            shares = discrete_gaussian_noise(plan.scale, size * len(read))
            exact[read] += np.asarray(shares, dtype=np.int64).reshape(size, len(read)).sum(0)
            sums.append(secure_sum([tuple(int(v) for v in exact)], threshold, False))
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
    # learning type -> block -> pooled raw counts over every repository (no bounding, no noise)
    blocks: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def _pooled_blocks(learning_type: str, raw: list[list[list[int]]]) -> dict[str, np.ndarray]:
    schema = schema_for(learning_type)
    return {
        block.name: np.asarray([counts[index] for counts in raw], dtype=float).sum(0)
        for index, block in enumerate(schema.blocks)
    }


def pooled_truth(population: Population) -> Truth:
    organisations = population.code
    # value counts per metric, streamed (bootstrapped rows are drawn when read)
    counted = {metric: np.zeros(1, dtype=np.int64) for metric in CODE_METRICS}
    findings = {smell: 0 for smell in SMELLS}
    using = {t.name: 0 for t in VOCABULARY}
    for organisation in organisations:
        repositories = organisation.repositories
        for repository in repositories:
            for metric in CODE_METRICS:
                found = np.bincount(repository.metrics[:, COLUMNS.index(metric)])
                if len(found) > len(counted[metric]):
                    found[: len(counted[metric])] += counted[metric]
                    counted[metric] = found
                else:
                    counted[metric][: len(found)] += found
            for rule_id, count in smell_counts(repository.metrics).items():
                findings[normalise_rule_id(rule_id)] += count
        for technology in VOCABULARY:
            using[technology.name] += any(technology.name in r.technologies for r in repositories)
    lookups = []
    for metric in CODE_METRICS:
        counts = counted[metric]
        cumulative, total = np.cumsum(counts), int(counts.sum())
        lowest = int(np.flatnonzero(counts)[0])
        for quantile in LOOKUP_QUANTILES:
            position = int(np.floor(quantile * (total - 1)))  # numpy's method="lower"
            value = int(np.searchsorted(cumulative, position, side="right"))
            if value > lowest:  # at the minimum every design answers "above 0%"
                lookups.append((metric, quantile, float(value), cumulative[value - 1] / total))
    adoption = {name: count / len(organisations) for name, count in using.items()}
    total = sum(findings.values()) or 1
    prevalence = {smell: count / total for smell, count in findings.items()}
    histories = [r for o in population.history for r in o.repositories]
    architectures = [
        population.architectures[r.name]
        for o in organisations
        for r in o.repositories
        if r.name in population.architectures
    ]
    blocks = {
        "workflow_patterns": _pooled_blocks(
            "workflow_patterns", [workflow_counts(r.workflow) for r in histories]
        ),
        "success_patterns": _pooled_blocks(
            "success_patterns", [success_counts(r.success) for r in histories]
        ),
        "architecture_patterns": _pooled_blocks(
            "architecture_patterns", [architecture_counts(a) for a in architectures]
        ),
    }
    return Truth(lookups, adoption, prevalence, blocks)


def _summary_errors(
    learning_type: str, insights: dict[str, Any], truth: Truth
) -> dict[str, list[float]]:
    """Lookups (share of items up to the bin holding the pooled p50 / p90) of each partitioned
    block, or every cell of every practice x outcome table; 100 points when not released."""
    errors: dict[str, list[float]] = {}
    for name, counts in truth.blocks[learning_type].items():
        if counts.sum() == 0:
            continue
        shares = [item["share"] for item in insights["blocks"][name]["bins"]]
        if learning_type == "success_patterns":
            for shown, true in zip(shares, counts / counts.sum(), strict=True):
                error = 100.0 if shown is None else abs(shown - true) * 100
                errors.setdefault("cells", []).append(error)
            continue
        if name not in LOOKUP_BLOCKS[learning_type]:
            continue
        cumulative = np.cumsum(counts) / counts.sum()
        for quantile in (0.5, 0.9):
            index = int(np.searchsorted(cumulative, quantile - 1e-12))
            if index >= len(counts) - 1:
                continue  # the last bin: every design answers 100%
            shown_part = shares[: index + 1]
            error = (
                100.0
                if any(share is None for share in shown_part)
                else abs(sum(shown_part) - float(cumulative[index])) * 100
            )
            errors.setdefault(f"{name} p{round(quantile * 100)}", []).append(error)
    return errors


def released_errors(
    learning_type: str, insights: dict[str, Any], truth: Truth, organisations: int
) -> dict[str, list[float]]:
    """Absolute errors in points (0-100) of each released statistic; an unreleased one is 100."""
    if learning_type in SUMMARY_TYPES:
        return _summary_errors(learning_type, insights, truth)
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
    insights: dict[str, Any], organisations: Sequence[AnyOrganisation], local: Organisation
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
        "unreleased": unreleased_fidelity(insights, pooled, repository.metrics),
    }


# unreleased metric -> the released metric a global standing could be estimated through
ANCHORS: dict[str, str] = {"tokens": "nloc", "returns": "ccn"}


def rank_transfer_standing(
    insights: dict[str, Any], local: LocalReference, metric: str, value: float
) -> float | None:
    """A candidate global share below ``value`` of an unreleased metric: its percentile among
    the repository's functions carried to its anchor's local quantile, whose global standing
    the release gives (assumes the repository's relation between the two holds everywhere).
    Measured worse than the repository's own distribution, so no surface shows it."""
    share = local.percentile(metric, value) / 100
    found = standing(insights, ANCHORS[metric], "python", local.quantile(ANCHORS[metric], share))
    return None if found is None else float(found["above_share"])


def unreleased_fidelity(
    insights: dict[str, Any], pooled: np.ndarray, local: np.ndarray
) -> dict[str, dict[str, float]]:
    """For each metric in ``ANCHORS``: the largest gap over values between the pooled truth's
    share below (mid-rank) and ``rank_transfer_standing`` (``estimated``), and the
    repository's own standing (``local``, the baseline a repository has without a release)."""

    reference = LocalReference(
        {name: local[:, COLUMNS.index(name)].astype(float).tolist() for name in COLUMNS}
    )
    found: dict[str, dict[str, float]] = {}
    for metric in ANCHORS:
        truth = LocalReference({metric: pooled[:, COLUMNS.index(metric)].astype(float).tolist()})
        column = pooled[:, COLUMNS.index(metric)]
        values = np.unique(column[column <= np.quantile(column, 0.999)])
        gaps_estimated, gaps_local = [], []
        for value in values.tolist():
            true = truth.percentile(metric, value) / 100
            estimate = rank_transfer_standing(insights, reference, metric, value)
            if estimate is not None:
                gaps_estimated.append(abs(estimate - true))
            gaps_local.append(abs(reference.percentile(metric, value) / 100 - true))
        found[metric] = {
            "estimated": max(gaps_estimated) if gaps_estimated else 1.0,
            "local": max(gaps_local),
        }
    return found


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
        if self.learning_type in LOOKUP_BLOCKS:
            return [f"{b} p{q}" for b in LOOKUP_BLOCKS[self.learning_type] for q in (50, 90)]
        if self.learning_type == "success_patterns":
            return ["cells"]
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


SAMPLED_UNITS = ("record", "contributor")  # drawn again with ``secrets`` every round
FAITHFUL_UP_TO = 1_000  # beyond, every round draws its shares in one call (see ``release``)


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
    histories = load_history_repositories()
    real_history = real_history_organisations(histories)
    files_per_contributor = [r.files_per_contributor for r in histories if r.files_per_contributor]
    architectures = (
        load_architectures(
            {
                spec: _tree(spec)
                for specs in REAL_ORGANISATIONS.values()
                for spec in specs
                if _tree(spec).is_dir()
            }
        )
        if "architecture_patterns" in learning_types
        else {}
    )
    generator = np.random.default_rng(seed)
    cells = []
    for size in sizes:
        population = Population(
            federation(real, size, generator),
            history_federation(real_history, size, generator),
            architectures,
        )
        if "code_patterns" in learning_types and size <= all_units_up_to:
            population.splits = contributor_splits(
                population.code, files_per_contributor, generator
            )
        truth = pooled_truth(population)
        for learning_type in learning_types:
            if size <= len(real) and learning_type not in SUMMARY_TYPES:
                check_units(population.code, learning_type)
            for unit_name in MEASURED_UNITS[learning_type]:
                unit = unit_for(learning_type, unit_name)
                levels = []
                for level in LEVELS:
                    governance = governance_for(level)
                    default = governance.unit(learning_type).name == unit.name
                    if (
                        learning_type in governance.allowed_learning_types
                        and (default or size <= all_units_up_to)
                        and not (quick and size > QUICK_ALL_LEVELS_UP_TO and level != "medium")
                    ):
                        levels.append((level, governance, default))
                if not levels:
                    continue
                fixed = (
                    None
                    if unit.name in SAMPLED_UNITS
                    else build_contributions(learning_type, unit, population)
                )
                for level, governance, default in levels:
                    cell = Cell(learning_type, level, unit.name, size, default=default)
                    started = time.monotonic()
                    for number in range(rounds_for(size, quick, rounds)):
                        members = (
                            fixed
                            if fixed is not None
                            else build_contributions(learning_type, unit, population)
                        )
                        insights = release(
                            members,
                            learning_type,
                            governance,
                            unit,
                            faithful=number == 0 and size <= FAITHFUL_UP_TO,
                        )
                        if (
                            cell.fidelity is None
                            and default
                            and size <= FAITHFUL_UP_TO  # pools every function in memory
                            and learning_type == "code_patterns"
                            and insights["percentiles"]
                        ):
                            cell.fidelity = fidelity(insights, population.code, real_with_local)
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
        + " | mean abs score diff | score rank correlation | KS tokens estimated / local "
        "| KS returns estimated / local |",
        "|---|---|---|" + "---|" * (len(CODE_METRICS) + 4),
    ]
    for cell in cells:
        if cell.fidelity is None or cell.fidelity["anomaly_spearman"] is None:
            continue
        ks = cell.fidelity["ks"]
        lines.append(
            f"| {cell.level} | {cell.unit} | {cell.size:,} | "
            + " | ".join(f"{ks[m]:.3f}" if m in ks else "-" for m in CODE_METRICS)
            + f" | {cell.fidelity['anomaly_mean_abs_diff']:.4f} | "
            f"{cell.fidelity['anomaly_spearman']:.3f} | "
            + " | ".join(
                f"{gaps['estimated']:.3f} / {gaps['local']:.3f}"
                for gaps in cell.fidelity["unreleased"].values()
            )
            + " |"
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
        f"(default: {FULL_ALL_UNITS_UP_TO:,}; --quick: {QUICK_ALL_UNITS_UP_TO})",
    )
    parser.add_argument("--out", type=Path, default=WORK, help="folder for the table and plot")
    arguments = parser.parse_args()
    sizes = arguments.sizes or (QUICK_SIZES if arguments.quick else SIZES)
    learning_types = arguments.learning_types or (
        QUICK_LEARNING_TYPES if arguments.quick else LEARNING_TYPES
    )
    started, cpu_started = time.monotonic(), time.process_time()
    all_units_up_to = arguments.all_units_up_to or (
        QUICK_ALL_UNITS_UP_TO if arguments.quick else min(max(sizes), FULL_ALL_UNITS_UP_TO)
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
