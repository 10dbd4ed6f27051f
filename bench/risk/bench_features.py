"""Candidate history features and rank ensembles for the file ranking, on development windows
and at T.

    .venv/bin/python bench/risk/bench_features.py [--repo NAME=MIRROR@YYYY-MM-DD ...] [--json FILE]
        [--bootstrap N] [--functions]

Reads the items bench_risk.py prepared (preparing them when missing) and adds to every file
row, at T and at each past snapshot, candidate features computed from the commits the
snapshot's revision reaches and the fixes labelled up to it: developer experience, activity in
the last quarter and fixes of change partners (candidates.py), and function-level history
(every commit's hunks mapped onto its parent's function spans, as the fix labels are; per file
the max and sum over its functions of the commits that touched the function's own lines).
Each group joins the pooled model, the local (combined) model and their even blend; each
candidate is also scored alone; and the learned rankings are averaged by rank with the single
metric chosen on validation windows and with decayed revisions. Points as in bench_forms.py:
each repository's development windows (T-1y and T-1.5y, labels ending by T), which decide what
is kept, and T, reported for every form all the same. At T, the margins' spread over resampled
items gives the odds of issue 17's target. ``--functions`` ranks functions instead, the learned
function rankings with and without each function's own revisions (plain and decayed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import pickle
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import candidates
from bench_forms import Point, column, oracle_bias, points_of, pooled
from bench_risk import (
    DEFAULT_REPOS,
    WORK,
    YEAR,
    cached,
    clone_of,
    parse_spec,
    prepare,
    rank_average,
    single_metrics,
    single_on_validation,
)
from candidates import ACTIVITY_FEATURES, activity_values
from measures import roc_auc
from prepared import Level, Prepared

from bmad import git
from bmad.analysis.risk_features import DECAY_HALF_LIFE_MONTHS, RiskRow, labels
from bmad.analysis.risk_model import (
    LabelledSnapshot,
    TrainingSet,
    probabilities,
    select,
    train,
)
from bmad.analysis.risk_pooled import blended
from bmad.analysis.risk_training import HORIZON_DAYS, SNAPSHOTS, VALIDATION_WINDOWS
from bmad.extractors.fixes import FixedCode, Outcome
from bmad.extractors.history import SECONDS_PER_DAY, SECONDS_PER_MONTH, CommitRecord
from bmad.scanning.pipeline import ScanOptions
from bmad.scanning.risk import reachable, revision_at
from bmad.scanning.szz import fixed_code, function_spans, read_fix_diffs

OWN_HISTORY = ("own_revisions", "own_decayed_revisions")  # a function's, at function level
FUNCTION_HISTORY = ("function_max_revisions", "function_sum_revisions", "function_max_decayed")
CANDIDATES = ACTIVITY_FEATURES + FUNCTION_HISTORY
MAX_CHANGE_FILES = 50  # as for fixes: a larger commit is a sweep
BATCH = 300  # commits whose diffs are held in memory at once
GROUPS: dict[str, tuple[str, ...]] = {
    "base": (),
    "+experience": ("author_experience", "file_experience", "least_experience", "newcomer_share"),
    "+quarter": ("quarter_revisions", "quarter_fixes", "months_since_fix"),
    "+partners": ("partner_fixes", "partner_decayed_fixes"),
    "+function history": FUNCTION_HISTORY,
    "+all": CANDIDATES,
    **{f"+{name}": (name,) for name in CANDIDATES},
}
SPREAD_SHOWN = (
    "pooled base",
    "combined base",
    "even blend base",
    "rank avg even blend + decayed rev.",
)
Activity = dict[int, dict[str, tuple[float, ...]]]  # snapshot time -> path -> values


def activity_of(item: Prepared, mirror: Path) -> Activity:
    """The candidates' values of every file at T and at each past snapshot, cached by the
    source of the module that computes them."""
    clone, tip = clone_of(item.name, mirror)
    source = Path(candidates.__file__ or "").read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:12]
    path = WORK / item.name / f"activity-{tip[:12]}-{item.when.date()}-{digest}.pickle"

    def build() -> Activity:
        commits = pickle.loads((WORK / item.name / f"commits-{tip[:12]}.pickle").read_bytes())
        fixes = pickle.loads(
            (WORK / item.name / f"fixes-{tip[:12]}-{item.when.date()}.pickle").read_bytes()
        )
        found: Activity = {}
        for when in [item.at, *(s.time for s in item.levels["file"].past)]:
            revision = revision_at(clone, tip, when)
            assert revision is not None
            fix_ids = [fix.commit for fix in fixes if fix.time <= when]
            found[when] = activity_values(reachable(commits, revision), when, fix_ids)
        return found

    activity: Activity = cached(path, build)
    return activity


def function_touches(item: Prepared, mirror: Path) -> list[FixedCode]:
    """Every non-merge commit up to T of at most :data:`MAX_CHANGE_FILES` files, with the
    functions (parent spans) its hunks touched: the fix labels' mapping, applied to all."""
    clone, tip = clone_of(item.name, mirror)
    path = WORK / item.name / f"touches-{tip[:12]}-{item.when.date()}.pickle"

    def build() -> list[FixedCode]:
        commits: list[CommitRecord] = pickle.loads(
            (WORK / item.name / f"commits-{tip[:12]}.pickle").read_bytes()
        )
        chosen = [
            (c, Outcome.FIX)
            for c in commits
            if c.author_time <= item.at and not c.is_merge and len(c.changes) <= MAX_CHANGE_FILES
        ]
        repository = git.open_repository(clone)
        options = ScanOptions(cache_path=WORK / "cache.sqlite")
        found: list[FixedCode] = []
        for start in range(0, len(chosen), BATCH):
            diffs = read_fix_diffs(repository, chosen[start : start + BATCH])
            found.extend(fixed_code(diffs, function_spans(clone, diffs, options)))
        return found

    touches: list[FixedCode] = cached(path, build)
    return touches


def touch_counts(
    touches: Sequence[FixedCode], reached: frozenset[str], when: int
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """Per (path, qualified name), the commits up to ``when`` among ``reached`` that touched
    the function's own lines, plain and with time decay."""
    half_life = DECAY_HALF_LIFE_MONTHS * SECONDS_PER_MONTH
    counts: dict[tuple[str, str], float] = {}
    decayed: dict[tuple[str, str], float] = {}
    for touch in touches:
        if touch.time > when or touch.commit not in reached:
            continue
        weight = 0.5 ** ((when - touch.time) / half_life)
        for path, touched in touch.functions.items():
            for name in touched:
                counts[(path, name)] = counts.get((path, name), 0.0) + 1
                decayed[(path, name)] = decayed.get((path, name), 0.0) + weight
    return counts, decayed


def _function_key(key: str) -> tuple[str, str]:
    path, _, name = key.partition(":")
    return path, name


def function_history(
    item: Prepared, touches: Sequence[FixedCode], reached: dict[int, frozenset[str]]
) -> Activity:
    """Per snapshot and file, the max and sum over its functions of the commits that touched
    the function's own lines, and the max with time decay."""
    functions = item.levels["function"]
    names_at: dict[int, list[tuple[str, str]]] = {
        item.at: [(r.path, r.function or "") for r in functions.rows]
    }
    for snapshot in functions.past:
        names_at[snapshot.time] = [_function_key(key) for key in snapshot.keys]
    found: Activity = {}
    for when, names in names_at.items():
        counts, decayed = touch_counts(touches, reached[when], when)
        per_file: dict[str, list[float]] = {}
        for key in names:
            values = per_file.setdefault(key[0], [0.0, 0.0, 0.0])
            values[0] = max(values[0], counts.get(key, 0.0))
            values[1] += counts.get(key, 0.0)
            values[2] = max(values[2], decayed.get(key, 0.0))
        found[when] = {path: tuple(values) for path, values in per_file.items()}
    return found


def with_own_history(
    item: Prepared, touches: Sequence[FixedCode], reached: dict[int, frozenset[str]]
) -> Prepared:
    """``item`` with each function row's own revisions (commits that touched its lines),
    plain and with time decay, appended (function level)."""
    functions = item.levels["function"]

    def extended(when: int, keys: Sequence[tuple[str, str]]) -> list[tuple[float, float]]:
        counts, decayed = touch_counts(touches, reached[when], when)
        return [(counts.get(key, 0.0), decayed.get(key, 0.0)) for key in keys]

    at_t = extended(item.at, [(r.path, r.function or "") for r in functions.rows])
    rows = [
        RiskRow(r.path, r.function, r.start_line, r.lines, r.values + own)
        for r, own in zip(functions.rows, at_t, strict=True)
    ]
    past = []
    for snapshot in functions.past:
        own = extended(snapshot.time, [_function_key(key) for key in snapshot.keys])
        past.append(
            LabelledSnapshot(
                snapshot.time,
                [tuple(row) + o for row, o in zip(snapshot.rows, own, strict=True)],
                snapshot.labels,
                snapshot.keys,
            )
        )
    level = Level(functions.features + OWN_HISTORY, rows, past)
    return replace(item, levels={**item.levels, "function": level})


def function_points(items: Sequence[Prepared]) -> list[Point]:
    """Per repository, its function-level development windows and T, as points_of forms the
    file-level ones (the pooled model trained on the other repositories' function rows)."""
    found = []
    for item in items:
        level = item.levels["function"]
        others = [
            TrainingSet(o.levels["function"].features, o.levels["function"].past)
            for o in items
            if o is not item
        ]
        at_t = LabelledSnapshot(
            item.at,
            [r.values for r in level.rows],
            labels(level.rows, item.year_fixes, item.at, item.at + YEAR),
            [f"{r.path}:{r.function}" for r in level.rows],
        )
        windows = [
            ("dev", window, [s for s in level.past if s.time + YEAR <= window.time])
            for window in level.past[:VALIDATION_WINDOWS]
        ]
        for kind, then, past in [*windows, ("T", at_t, level.past)]:
            found.append(
                Point(
                    repo=item.name,
                    kind=kind,
                    features=level.features,
                    rows=then.rows,
                    labels=then.labels,
                    paths=then.keys,
                    past=past,
                    functions=then,
                    function_features=level.features,
                    others=others,
                    other_functions=others,
                )
            )
    return found


def evaluate_functions(base: Sequence[Point], own: Sequence[Point]) -> list[dict[str, Any]]:
    """The learned function rankings without and with the functions' own history, and that
    history alone, against the best single metric of each point."""
    results = []
    for plain, extended in zip(base, own, strict=True):
        singles = single_metrics(plain.features, plain.rows)
        best = max(roc_auc(s, plain.labels) for s in singles.values())
        auc = {f"{form} base": roc_auc(v, plain.labels) for form, v in learned(plain).items()}
        for form, found in learned(extended).items():
            auc[f"{form} +own history"] = roc_auc(found, plain.labels)
        for name in OWN_HISTORY:
            auc[f"alone: {name}"] = roc_auc(column(extended, name), plain.labels)
        results.append({"repo": plain.repo, "kind": plain.kind, "best_single": best, "auc": auc})
        print(f"{plain.repo} {plain.kind} functions: best single {best:.3f}", flush=True)
    return results


def with_features(item: Prepared, activity: Activity, names: Sequence[str]) -> Prepared:
    """``item`` with the named candidates appended to its file rows (0 for a file the
    history does not know)."""
    columns = [CANDIDATES.index(name) for name in names]

    def extra(when: int, path: str) -> tuple[float, ...]:
        values = activity[when].get(path)
        return tuple(0.0 if values is None else values[c] for c in columns)

    files = item.levels["file"]
    rows = [
        RiskRow(r.path, r.function, r.start_line, r.lines, r.values + extra(item.at, r.path))
        for r in files.rows
    ]
    past = [
        LabelledSnapshot(
            s.time,
            [tuple(row) + extra(s.time, key) for row, key in zip(s.rows, s.keys, strict=True)],
            s.labels,
            s.keys,
        )
        for s in files.past
    ]
    levels = {**item.levels, "file": Level(files.features + tuple(names), rows, past)}
    return replace(item, levels=levels)


def _local(point: Point) -> list[float] | None:
    """The local model over the point's features (those of bmad and the candidates added),
    chosen and trained as :func:`bmad.analysis.risk_training.fit_local_model` does."""
    horizon = HORIZON_DAYS * SECONDS_PER_DAY
    selection = select(point.features, point.past, horizon, SNAPSHOTS, VALIDATION_WINDOWS)
    model = train(TrainingSet(point.features, point.past[:SNAPSHOTS]), selection.choice)
    return None if model is None else probabilities(model, point.rows)


def learned(point: Point) -> dict[str, list[float]]:
    """The pooled model, the combined ranking (today's ranking without a local model) and
    their even blend (the pooled model alone without a local model), as bench_risk.py forms
    them."""
    local = _local(point)
    pooled_risk = pooled(point)
    if local is None:
        return {
            "pooled": pooled_risk,
            "combined": column(point, "priority"),
            "even blend": pooled_risk,
        }
    return {
        "pooled": pooled_risk,
        "combined": local,
        "even blend": blended(local, pooled_risk, 0.5),
    }


def evaluate(points_by_group: dict[str, list[Point]], draws: int) -> list[dict[str, Any]]:
    results = []
    base_points = points_by_group["base"]
    for index, base in enumerate(base_points):
        singles = single_metrics(base.features, base.rows)
        best = max(roc_auc(s, base.labels) for s in singles.values())
        chosen = single_on_validation(base.features, base.past[:VALIDATION_WINDOWS])
        scores: dict[str, Sequence[float]] = {}
        for group, points in points_by_group.items():
            for form, found in learned(points[index]).items():
                scores[f"{form} {group}"] = found
        decayed = column(base, "decayed_revisions")
        for form in ("pooled", "combined", "even blend"):
            learned_scores = scores[f"{form} base"]
            scores[f"rank avg {form} + single (val.)"] = rank_average(
                learned_scores, singles[chosen]
            )
            scores[f"rank avg {form} + decayed rev."] = rank_average(learned_scores, decayed)
        scores["rank avg pooled + combined"] = rank_average(
            scores["pooled base"], scores["combined base"]
        )
        everything = points_by_group["+all"][index]
        for name in CANDIDATES:
            # Ranked as it grows: below 0.5, the smaller the riskier.
            scores[f"alone: {name}"] = column(everything, name)
        auc = {name: roc_auc(found, base.labels) for name, found in scores.items()}
        result: dict[str, Any] = {
            "repo": base.repo,
            "kind": base.kind,
            "best_single": best,
            "auc": auc,
        }
        if base.kind == "T":
            result["spread"] = margin_spread(scores, singles, base.labels, draws)
            result["oracle"] = oracle_bias(base, draws)
        results.append(result)
        print(f"{base.repo} {base.kind}: best single {best:.3f}", flush=True)
    return results


def margin_spread(
    scores: dict[str, Sequence[float]],
    singles: dict[str, list[float]],
    labels: Sequence[bool],
    draws: int,
) -> dict[str, float]:
    """Per ranking, the standard deviation over resampled items (indices drawn with
    ``secrets``) of its margin over the best of the four single metrics on the same resample."""
    count = len(labels)
    margins: dict[str, list[float]] = {name: [] for name in scores}
    for _draw in range(draws):
        chosen = [secrets.randbelow(count) for _item in range(count)]
        drawn = [labels[i] for i in chosen]
        if all(drawn) or not any(drawn):
            continue
        best = max(roc_auc([s[i] for i in chosen], drawn) for s in singles.values())
        for name, found in scores.items():
            margins[name].append(roc_auc([found[i] for i in chosen], drawn) - best)
    return {name: statistics.stdev(values) for name, values in margins.items()}


def target_odds(results: Sequence[dict[str, Any]], name: str) -> str:
    """How likely issue 17's target is met at T, each repository's margin over the
    after-the-fact anchor normal with the spread resampling gave it (repositories
    independent). First for a ranking whose expected margins are the observed ones shifted by
    a constant: the chance of being above on 7 of 8 (8 of 9 here), of a mean margin of
    +0.03, and the shift at which the first chance reaches one half. Then for a ranking
    whose expected AUC is a constant above the best single metric's expected AUC on every
    repository, the anchor gaining its after-the-fact bias on top."""
    at_t = [r for r in results if r["kind"] == "T" and not math.isnan(r["auc"][name])]
    margins = [r["auc"][name] - r["best_single"] for r in at_t]
    spreads = [r["spread"][name] for r in at_t]
    biases = [r["oracle"]["bias"] for r in at_t]
    needed = math.ceil(7 / 8 * len(at_t))
    mean_spread = math.sqrt(sum(s * s for s in spreads)) / len(spreads)

    def above(centres: Sequence[float]) -> float:
        chances = [
            1 - statistics.NormalDist(m, max(s, 1e-9)).cdf(0.0)
            for m, s in zip(centres, spreads, strict=True)
        ]
        counts = [1.0]  # Poisson binomial: the chance of each number of repositories above
        for p in chances:
            counts = [
                (counts[k] if k < len(counts) else 0.0) * (1 - p)
                + (counts[k - 1] * p if k > 0 else 0.0)
                for k in range(len(counts) + 1)
            ]
        return sum(counts[needed:])

    def mean_reached(shift: float) -> float:
        mean = sum(margins) / len(margins) + shift
        return 1 - statistics.NormalDist(mean, mean_spread).cdf(0.03)

    shift = 0.0
    while above([m + shift for m in margins]) < 0.5:
        shift += 0.005
    spread_text = " ".join(f"{s:.3f}" for s in spreads)
    true_advantage = " ".join(
        f"+{a:.2f}: {above([a - b for b in biases]):.2f}" for a in (0.03, 0.05, 0.07)
    )
    return (
        f"{name}: margin spread per repository {spread_text} (mean's {mean_spread:.3f}); "
        f"chance of {needed} of {len(at_t)} above {above(margins):.2f}, of a mean >= +0.03 "
        f"{mean_reached(0.0):.2f}; {needed} of {len(at_t)} above becomes even odds at a "
        f"shift of +{shift:.3f} (then a mean >= +0.03: {mean_reached(shift):.2f}); "
        f"truly above the best metric by {true_advantage}"
    )


def summarise(results: Sequence[dict[str, Any]]) -> None:
    names: list[str] = list(results[0]["auc"])
    print(f"\n{'form':<44}{'dev windows':>18}{'at T':>18}   per repository at T")
    for name in names:
        cells = []
        for kind in ("dev", "T"):
            margins = [
                r["auc"][name] - r["best_single"]
                for r in results
                if r["kind"] == kind and not math.isnan(r["auc"][name] - r["best_single"])
            ]
            above = sum(1 for m in margins if m > 0)
            cells.append(f"{above:>2} of {len(margins):<2} {sum(margins) / len(margins):+.3f}")
        at_t = " ".join(
            f"{r['auc'][name] - r['best_single']:+.3f}" for r in results if r["kind"] == "T"
        )
        print(f"{name:<44}{cells[0]:>18}{cells[1]:>18}   {at_t}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repo", action="append", help="NAME=MIRROR@YYYY-MM-DD")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--bootstrap", type=int, default=500, help="resamples of the items at T")
    parser.add_argument(
        "--functions",
        action="store_true",
        help="rank functions instead, with and without their own history",
    )
    args = parser.parse_args(argv)
    specs = [parse_spec(spec) for spec in args.repo or DEFAULT_REPOS]
    prepared = [prepare(name, mirror, when) for name, mirror, when in specs]
    activity = []
    histories = []
    for item, (_name, mirror, _when) in zip(prepared, specs, strict=True):
        started = time.perf_counter()
        touches = function_touches(item, mirror)
        print(
            f"{item.name}: {len(touches)} commits mapped onto functions "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        own = activity_of(item, mirror)
        clone, tip = clone_of(item.name, mirror)
        commits = pickle.loads((WORK / item.name / f"commits-{tip[:12]}.pickle").read_bytes())
        reached = {}
        for when in own:
            revision = revision_at(clone, tip, when)
            assert revision is not None
            reached[when] = frozenset(c.id for c in reachable(commits, revision))
        histories.append((touches, reached))
        functions = function_history(item, touches, reached)
        activity.append(
            {
                when: {
                    path: values + functions[when].get(path, (0.0, 0.0, 0.0))
                    for path, values in by_path.items()
                }
                for when, by_path in own.items()
            }
        )
    if args.functions:
        base = function_points(prepared)
        with_own = function_points(
            [
                with_own_history(item, touches, reached)
                for item, (touches, reached) in zip(prepared, histories, strict=True)
            ]
        )
        results = evaluate_functions(base, with_own)
        summarise(results)
    else:
        by_group: dict[str, list[Point]] = {}
        for group, names in GROUPS.items():
            extended = [
                with_features(item, found, names)
                for item, found in zip(prepared, activity, strict=True)
            ]
            by_group[group] = points_of(extended)
        results = evaluate(by_group, args.bootstrap)
        summarise(results)
        print("\nSampling spread at T and the odds of issue 17's target:")
        for name in SPREAD_SHOWN:
            print(target_odds(results, name))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
