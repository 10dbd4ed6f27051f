"""Other forms of the file ranking, each measured on validation windows before T and at T.

    .venv/bin/python bench/risk/bench_forms.py [--repo NAME=MIRROR@YYYY-MM-DD ...] [--json FILE]
        [--bootstrap N]

Reads the items bench_risk.py prepared (preparing them when missing). Two kinds of point per
repository: its development windows, the snapshots at T-1y and T-1.5y (their labels end by T,
so a form may be chosen on them), each ranked by forms trained on the snapshots whose labels
end by that window; and T itself, ranked by forms trained on the past before T and labelled
by the year after T. The other repositories' past snapshots train the pooled forms (leave one
repository out). Every form's ROC AUC is compared with the best of the four single metrics on
the same point, the after-the-fact anchor of issue 17; and the anchor's own selection bias is
estimated at T by resampling the items (indices drawn with ``secrets``).
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_risk import (
    BASELINES,
    DEFAULT_REPOS,
    YEAR,
    parse_spec,
    prepare,
    single_metrics,
)
from measures import roc_auc
from prepared import Prepared

from bmad.analysis.risk_features import DETECTION_FEATURES, labels
from bmad.analysis.risk_model import (
    LabelledSnapshot,
    TrainingSet,
    probabilities,
    transformed,
)
from bmad.analysis.risk_pooled import (
    POOLED_CHOICES,
    blended,
    select_pooled,
    train_pooled,
)
from bmad.analysis.risk_training import VALIDATION_WINDOWS, fit_local_model

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

DECAYED = ("decayed_revisions", "decayed_fixes", "decayed_churn")
# Features that can only raise the risk as they grow (monotone boosting's constraints).
INCREASING = frozenset(
    {
        "sloc",
        "functions",
        "sum_ccn",
        "sum_cognitive",
        "revisions",
        "churn",
        "recent_revisions",
        "recent_churn",
        "authors",
        "minor_contributors",
        "prior_fixes",
        "recent_fixes",
        "coupled_files",
        "revisions_per_month",
        *DECAYED,
    }
)
CLOGLOG_PENALTY = 10.0  # L2 on standardised coefficients, summed over rows
OFFSET_PENALTY = 30.0  # the local deviations from the pooled model: kept small


@dataclass(frozen=True)
class Point:
    """One repository's files at one time, with what was known before it."""

    repo: str
    kind: str  # "dev" (a validation window before T) or "T"
    features: tuple[str, ...]
    rows: Sequence[Sequence[float]]
    labels: Sequence[bool]
    paths: Sequence[str]
    past: Sequence[LabelledSnapshot]  # newest first, labels ending by the point
    functions: LabelledSnapshot  # its function rows at the same time (keys path:name)
    function_features: tuple[str, ...]
    others: Sequence[TrainingSet]  # the other repositories' file-level past
    other_functions: Sequence[TrainingSet]


Form = Callable[[Point], Sequence[float]]


def points_of(prepared: Sequence[Prepared]) -> list[Point]:
    return [
        point
        for item in prepared
        for point in _points(item, [other for other in prepared if other is not item])
    ]


def _points(item: Prepared, others: Sequence[Prepared]) -> list[Point]:
    """The repository's two development windows, then T."""
    files, functions = item.levels["file"], item.levels["function"]
    other_files = [TrainingSet(files.features, o.levels["file"].past) for o in others]
    other_functions = [TrainingSet(functions.features, o.levels["function"].past) for o in others]

    def point(
        kind: str,
        files_then: LabelledSnapshot,
        past: Sequence[LabelledSnapshot],
        functions_then: LabelledSnapshot,
    ) -> Point:
        return Point(
            repo=item.name,
            kind=kind,
            features=files.features,
            rows=files_then.rows,
            labels=files_then.labels,
            paths=files_then.keys,
            past=past,
            functions=functions_then,
            function_features=functions.features,
            others=other_files,
            other_functions=other_functions,
        )

    found = []
    for index, window in enumerate(files.past[:2]):
        earlier = [s for s in files.past if s.time + YEAR <= window.time]
        found.append(point("dev", window, earlier, functions.past[index]))
    at_t = LabelledSnapshot(
        item.at,
        [r.values for r in files.rows],
        labels(files.rows, item.year_fixes, item.at, item.at + YEAR),
        [r.path for r in files.rows],
    )
    functions_at_t = LabelledSnapshot(
        item.at,
        [r.values for r in functions.rows],
        [False] * len(functions.rows),  # not read: only the file labels are measured
        [f"{r.path}:{r.function}" for r in functions.rows],
    )
    found.append(point("T", at_t, files.past, functions_at_t))
    return found


def column(point: Point, name: str) -> list[float]:
    index = point.features.index(name)
    return [row[index] for row in point.rows]


def rank_average(*names: str) -> Form:
    def form(point: Point) -> list[float]:
        import numpy as np

        ranks = transformed(
            "snapshot_rank", [[row[point.features.index(n)] for n in names] for row in point.rows]
        )
        return [float(v) for v in np.asarray(ranks).sum(axis=1)]

    return form


def _local(point: Point, windows: int = VALIDATION_WINDOWS) -> list[float] | None:
    local = fit_local_model(point.past, "file", folds=windows)
    return None if local.model is None else probabilities(local.model, point.rows)


def combined(windows: int) -> Form:
    """bmad's combined ranking (the local model, or today's ranking without one), its form
    chosen on ``windows`` validation windows."""

    def form(point: Point) -> list[float]:
        local = _local(point, windows)
        return column(point, "priority") if local is None else local

    return form


def pooled(point: Point) -> list[float]:
    return probabilities(select_pooled(point.others, point.past[:2]).model, point.rows)


def even_blend(point: Point) -> list[float]:
    local = _local(point)
    return pooled(point) if local is None else blended(local, pooled(point), 0.5)


def pooled_without_decay(point: Point) -> list[float]:
    keep = [i for i, name in enumerate(point.features) if name not in DECAYED]
    features = tuple(point.features[i] for i in keep)

    def cut(snapshot: LabelledSnapshot) -> LabelledSnapshot:
        rows = [[row[i] for i in keep] for row in snapshot.rows]
        return LabelledSnapshot(snapshot.time, rows, snapshot.labels, snapshot.keys)

    others = [TrainingSet(features, [cut(s) for s in o.snapshots]) for o in point.others]
    model = select_pooled(others, [cut(s) for s in point.past[:2]]).model
    return probabilities(model, [[row[i] for i in keep] for row in point.rows])


def _history_columns(features: Sequence[str], without: Sequence[str] = ()) -> list[int]:
    return [
        i
        for i, name in enumerate(features)
        if name not in DETECTION_FEATURES and name not in without
    ]


def _centred_ranks(rows: Sequence[Sequence[float]], columns: Sequence[int]) -> NDArray[np.float64]:
    import numpy as np

    ranks: NDArray[np.float64] = transformed("snapshot_rank", rows)[:, columns] - 0.5
    return np.asarray(ranks)


def _stack(
    sources: Sequence[Sequence[LabelledSnapshot]], columns: Sequence[int]
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64], list[LabelledSnapshot]]:
    """Rows, labels and weights (each source summing to one, then scaled to the row count)."""
    import numpy as np

    snapshots = [s for source in sources for s in source]
    weights = np.concatenate(
        [
            np.full(len(s.labels), 1.0 / max(1, sum(len(t.labels) for t in source)))
            for source in sources
            for s in source
        ]
    )
    matrix = np.vstack([_centred_ranks(s.rows, columns) for s in snapshots])
    target = np.concatenate([np.asarray(s.labels, dtype=bool) for s in snapshots])
    return matrix, target, weights * len(weights) / weights.sum(), snapshots


def _lines(rows: Sequence[Sequence[float]], features: Sequence[str]) -> NDArray[np.float64]:
    import numpy as np

    index = features.index("sloc")
    logged: NDArray[np.float64] = np.log1p(np.asarray([row[index] for row in rows], dtype=float))
    return logged


def cloglog(point: Point, sources: Sequence[Sequence[LabelledSnapshot]]) -> list[float]:
    """Size-aware: every line carries the same hazard, scaled by the other features, so a
    file's chance of a fix is 1 - exp(-lines x rate); fitted with log(lines) as the offset."""
    import numpy as np
    from scipy.optimize import minimize  # type: ignore[import-untyped]

    columns = _history_columns(point.features, ("sloc",))
    matrix, target, weights, snapshots = _stack(sources, columns)
    offset = np.concatenate([_lines(s.rows, point.features) for s in snapshots])
    mean, scale = matrix.mean(axis=0), matrix.std(axis=0) + 1e-12
    standard = (matrix - mean) / scale

    def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        eta = offset + theta[0] + standard @ theta[1:]
        hazard = np.exp(np.minimum(eta, 30.0))
        fixed = -np.expm1(-np.maximum(hazard, 1e-12))
        log_likelihood = np.where(target, np.log(fixed), -hazard)
        slope = np.where(target, hazard * np.exp(-hazard) / fixed, -hazard) * weights
        penalty = CLOGLOG_PENALTY * theta[1:]
        value = -float(np.sum(weights * log_likelihood)) + 0.5 * float(theta[1:] @ penalty)
        gradient = np.concatenate([[-slope.sum()], -(standard.T @ slope) + penalty])
        return value, gradient

    start = np.zeros(standard.shape[1] + 1)
    start[0] = math.log(max(float(target.mean()), 1e-3)) - float(offset.mean())
    theta = minimize(loss, start, jac=True, method="L-BFGS-B").x
    served = (_centred_ranks(point.rows, columns) - mean) / scale
    return [float(v) for v in _lines(point.rows, point.features) + theta[0] + served @ theta[1:]]


def pairwise(point: Point) -> list[float]:
    """Learning to rank: logistic regression on the differences of every fixed and unfixed
    file of one snapshot (both orders), each repository weighing the same."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    columns = _history_columns(point.features)
    differences, weights = [], []
    for source in point.others:
        pairs = []
        for snapshot in source.snapshots:
            ranks = _centred_ranks(snapshot.rows, columns)
            fixed = np.asarray(snapshot.labels, dtype=bool)
            if fixed.any() and not fixed.all():
                pairs.append(
                    (ranks[fixed][:, None, :] - ranks[~fixed][None, :, :]).reshape(-1, len(columns))
                )
        if pairs:
            stacked = np.vstack(pairs)
            differences.append(np.vstack([stacked, -stacked]))
            weights.append(np.full(2 * len(stacked), 1.0 / (2 * len(stacked))))
    matrix = np.vstack(differences)
    target = np.concatenate(
        [np.r_[np.ones(len(d) // 2), np.zeros(len(d) // 2)] for d in differences]
    )
    weight = np.concatenate(weights)
    fitted = LogisticRegression(C=0.1, fit_intercept=False, max_iter=2000).fit(
        matrix, target, sample_weight=weight * len(weight) / weight.sum()
    )
    return [float(v) for v in _centred_ranks(point.rows, columns) @ fitted.coef_[0]]


def boosting(monotone: bool) -> Form:
    def form(point: Point) -> list[float]:
        from sklearn.ensemble import HistGradientBoostingClassifier

        columns = _history_columns(point.features)
        matrix, target, weights, _snapshots = _stack([o.snapshots for o in point.others], columns)
        constraints = [int(point.features[i] in INCREASING) for i in columns] if monotone else None
        fitted = HistGradientBoostingClassifier(
            max_depth=3,
            learning_rate=0.05,
            max_iter=150,
            min_samples_leaf=40,
            l2_regularization=1.0,
            monotonic_cst=constraints,
        ).fit(matrix, target, sample_weight=weights)
        return [float(v) for v in fitted.decision_function(_centred_ranks(point.rows, columns))]

    return form


def local_offset(point: Point) -> list[float]:
    """The pooled model as the prior and the repository's own past as the evidence: a
    logistic regression of the local rows with the pooled log-odds as offset, its
    coefficients (the local deviations) held small by an L2 penalty."""
    import numpy as np
    from scipy.optimize import minimize

    model = select_pooled(point.others, point.past[:2]).model
    own = point.past[:4]

    def log_odds(rows: Sequence[Sequence[float]]) -> NDArray[np.float64]:
        risk = np.clip(np.asarray(probabilities(model, rows)), 1e-9, 1 - 1e-9)
        found: NDArray[np.float64] = np.log(risk / (1 - risk))
        return found

    if not own:
        return [float(v) for v in log_odds(point.rows)]
    columns = _history_columns(point.features)
    matrix = np.vstack([_centred_ranks(s.rows, columns) for s in own])
    target = np.concatenate([np.asarray(s.labels, dtype=float) for s in own])
    offset = np.concatenate([log_odds(s.rows) for s in own])

    def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        eta = offset + theta[0] + matrix @ theta[1:]
        residual = target - 1.0 / (1.0 + np.exp(-eta))
        penalty = OFFSET_PENALTY * theta[1:]
        value = -float(np.sum(target * eta - np.logaddexp(0.0, eta)))
        value += 0.5 * float(theta[1:] @ penalty)
        return value, np.concatenate([[-residual.sum()], -(matrix.T @ residual) + penalty])

    theta = minimize(loss, np.zeros(len(columns) + 1), jac=True, method="L-BFGS-B").x
    served = log_odds(point.rows) + theta[0] + _centred_ranks(point.rows, columns) @ theta[1:]
    return [float(v) for v in served]


def functions_summed(point: Point) -> list[float]:
    """A file's expected number of fixed functions: the pooled function model's risks summed
    over the file's functions (a file without functions scores 0)."""
    model = train_pooled(point.other_functions, POOLED_CHOICES[0])
    totals: dict[str, float] = {}
    risks = probabilities(model, point.functions.rows) if point.functions.rows else []
    for key, risk in zip(point.functions.keys, risks, strict=True):
        path = key.split(":", 1)[0]
        totals[path] = totals.get(path, 0.0) + risk
    return [totals.get(path, 0.0) for path in point.paths]


FORMS: dict[str, Form] = {
    "decayed revisions": lambda point: column(point, "decayed_revisions"),
    "rank avg nloc+revisions": rank_average("sloc", "revisions"),
    "rank avg nloc+decayed rev.": rank_average("sloc", "decayed_revisions"),
    "combined (local)": combined(VALIDATION_WINDOWS),
    "combined, 4 validation windows": combined(4),
    "pooled": pooled,
    "pooled, no decayed feat.": pooled_without_decay,
    "even blend local+pooled": even_blend,
    "local cloglog, lines offset": lambda point: (
        cloglog(point, [point.past[:4]]) if point.past else column(point, "priority")
    ),
    "pooled cloglog, lines offset": lambda point: cloglog(
        point, [o.snapshots for o in point.others]
    ),
    "pooled pairwise (to rank)": pairwise,
    "pooled boosting": boosting(monotone=False),
    "pooled boosting, monotone": boosting(monotone=True),
    "pooled + local offset": local_offset,
    "function risks summed": functions_summed,
}


def evaluate(point: Point) -> dict[str, Any]:
    singles = single_metrics(point.features, point.rows)
    best = max(roc_auc(scores, point.labels) for scores in singles.values())
    return {
        "repo": point.repo,
        "kind": point.kind,
        "best_single": best,
        "auc": {name: roc_auc(form(point), point.labels) for name, form in FORMS.items()},
    }


def oracle_bias(point: Point, draws: int) -> dict[str, float]:
    """How much the best of the four single metrics, picked after the fact, gains from the
    items' sampling alone: the mean over resamples of the best AUC, less the best of the
    metrics' mean AUCs; and the spread (standard deviation) of the best metric's AUC."""
    singles = single_metrics(point.features, point.rows)
    count = len(point.labels)
    per_metric: dict[str, list[float]] = {name: [] for name in BASELINES}
    best_of_draw = []
    for _draw in range(draws):
        chosen = [secrets.randbelow(count) for _item in range(count)]
        drawn_labels = [point.labels[i] for i in chosen]
        found = {
            name: roc_auc([singles[name][i] for i in chosen], drawn_labels) for name in BASELINES
        }
        if any(math.isnan(v) for v in found.values()):
            continue
        for name, value in found.items():
            per_metric[name].append(value)
        best_of_draw.append(max(found.values()))
    means = {name: sum(v) / len(v) for name, v in per_metric.items()}
    leader = max(means, key=lambda name: means[name])
    spread = per_metric[leader]
    mean = means[leader]
    return {
        "bias": sum(best_of_draw) / len(best_of_draw) - mean,
        "sd": math.sqrt(sum((v - mean) ** 2 for v in spread) / (len(spread) - 1)),
    }


def summarise(results: Sequence[dict[str, Any]]) -> None:
    print(f"\n{'form':<30}{'dev windows (T-1y, T-1.5y)':>30}{'at T':>24}   per repository at T")
    for name in FORMS:
        cells = []
        for kind in ("dev", "T"):
            margins = [
                r["auc"][name] - r["best_single"]
                for r in results
                if r["kind"] == kind and not math.isnan(r["auc"][name] - r["best_single"])
            ]
            above = sum(1 for m in margins if m > 0)
            cells.append(f"{above:>3} of {len(margins):<3} {sum(margins) / len(margins):+.3f}")
        at_t = " ".join(
            f"{r['repo']} {r['auc'][name] - r['best_single']:+.3f}"
            for r in results
            if r["kind"] == "T"
        )
        print(f"{name:<30}{cells[0]:>30}{cells[1]:>24}   {at_t}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repo", action="append", help="NAME=MIRROR@YYYY-MM-DD")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument(
        "--bootstrap", type=int, default=500, help="resamples for the anchor's bias"
    )
    args = parser.parse_args(argv)
    prepared = [prepare(*parse_spec(spec)) for spec in args.repo or DEFAULT_REPOS]
    results = []
    for point in points_of(prepared):
        result = evaluate(point)
        if point.kind == "T":
            result["oracle"] = oracle_bias(point, args.bootstrap)
            print(
                f"{point.repo}: best single {result['best_single']:.3f}, its spread over "
                f"resampled items {result['oracle']['sd']:.3f}, the after-the-fact pick's "
                f"bias {result['oracle']['bias']:+.3f}",
                flush=True,
            )
        results.append(result)
    summarise(results)
    biases = [r["oracle"]["bias"] for r in results if r["kind"] == "T"]
    mean_bias = sum(biases) / len(biases)
    print(f"\nmean bias of the after-the-fact best single metric at T: {mean_bias:+.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
