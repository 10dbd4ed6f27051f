"""Does bmad find the code that later needs fixing, better than one metric?

Per repository, frozen at a date T: every file and function of the revision at T (first-parent
line of the default branch) is labelled by whether a fix or revert commit authored in the year
after T changed it (bmad.extractors.fixes: subject patterns from [history], sweeps of > 50
files left out; functions by the fix's hunks on its parent revision's spans). Rankings compared
on the same items: nloc, max CCN, revisions, hotspot (revisions x cognitive complexity),
today's ranking (bmad's detect() on the revision at T as of T: smells + anomaly + hotspot),
model v1 (the first pass: logistic regression on log features, C = 1, no selection), the local
risk model (its form chosen on validation windows before T, without detection marks), the
combined ranking (the same selection with bmad's detection marks among the candidates' inputs;
without enough history, today's ranking), the combined risk per line (effort-aware), and,
leave one repository out, the pooled model (logistic regression on the other repositories'
past snapshots), the federated model (the same other repositories as organisations, trained
through OpenDP noise and in-process secure-aggregation rounds at the medium privacy level;
also over exact sums), the blends of each with the combined ranking, and the even blends'
rank averages with decayed revisions.
Training snapshots: T-1y, T-1.5y, T-2y, T-2.5y, each labelled by the year after it; the
validation windows are the snapshots at T-1y and T-1.5y with models trained on the snapshots
whose labels end by then. Nothing from after T decides anything. Measures: ROC AUC,
precision@20, recall within the first 20% of lines, Popt; the models' Brier scores and the
SZZ traced fraction of the year's fixes.

Mirrors come from the `fetch` tool (/work/.mirror/OWNER+NAME/repo); clones, mined commits,
labels and the metrics cache live in bench/_work/risk, so reruns are quicker.

    .venv/bin/python bench/risk/bench_risk.py [--repo NAME=MIRROR@YYYY-MM-DD ...] [--json FILE]
        [--fresh] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
WORK = Path(__file__).resolve().parents[1] / "_work" / "risk"
os.environ.setdefault("BMAD_HOME", str(WORK / "home"))

from measures import popt, precision_at, recall_at_effort, roc_auc  # noqa: E402
from prepared import Level, Prepared  # noqa: E402

from bmad.analysis.risk_features import DETECTION_FEATURES, RiskRow  # noqa: E402
from bmad.analysis.risk_model import (  # noqa: E402
    CHOICES,
    LabelledSnapshot,
    ModelChoice,
    RiskModel,
    Selection,
    TrainingSet,
    probabilities,
    train,
    transformed,
)
from bmad.analysis.risk_pooled import (  # noqa: E402
    blend_weight,
    blended,
    local_validation,
    select_pooled,
)
from bmad.analysis.risk_training import (  # noqa: E402
    HORIZON_DAYS,
    SNAPSHOTS,
    VALIDATION_WINDOWS,
    LocalModel,
    RepositoryPast,
    default_detection,
    features_of,
    fit_local_model,
    labelled,
    load_snapshot,
    past_snapshots,
    rows_of,
)
from bmad.config import DEFAULTS  # noqa: E402
from bmad.extractors.fixes import (  # noqa: E402
    LabelSettings,
    fixing_commits,
    summarise_traces,
)
from bmad.extractors.history import SECONDS_PER_DAY, CommitRecord  # noqa: E402
from bmad.extractors.history_report import subject_patterns  # noqa: E402
from bmad.federation.governance import governance_for  # noqa: E402
from bmad.federation.risk_rounds import (  # noqa: E402
    STEPS,
    as_risk_model,
    organisation_records,
    train_federated,
)
from bmad.privacy.risk_schema import FIXED_POINT, RiskSchema  # noqa: E402
from bmad.scanning.pipeline import ScanOptions  # noqa: E402
from bmad.scanning.risk import fix_labels, revision_at  # noqa: E402
from bmad.scanning.szz import read_fix_diffs, trace_fixes  # noqa: E402

MIRRORS = Path("/work/.mirror")
DEFAULT_REPOS = (
    "requests=psf+requests@2017-01-01",
    "flask=pallets+flask@2019-01-01",
    "express=expressjs+express@2014-01-01",
    "cobra=spf13+cobra@2017-01-01",
    "gson=google+gson@2022-01-01",
    "sinatra=sinatra+sinatra@2011-01-01",
    "fd=sharkdp+fd@2021-01-01",
    "hiredis=redis+hiredis@2019-01-01",
    "fmt=fmtlib+fmt@2019-01-01",
)
YEAR = 365 * SECONDS_PER_DAY
YOUNG_DAYS = 300  # decided before any run: well inside the year a local model needs
TOP = 20
BASELINES = ("nloc", "max CCN", "revisions", "hotspot")
RANKERS = (
    *BASELINES,
    "today's ranking",
    "model v1",
    "local model",
    "combined",
    "pooled",
    "blend",
    "federated",
    "fed. exact",
    "fed. blend",
    "comb.+pooled",
    "comb.+fed.",
    "c+p & dec.",
    "c+f & dec.",
    "single (val.)",
    "combined per line",
    "revisions per line",
)
EVEN = 0.5  # the local model's share of the log-odds in the even blends
FIRST_PASS = ModelChoice("logistic", "log", 1.0, detection=False)
HISTORY_CHOICES = tuple(choice for choice in CHOICES if not choice.detection)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, errors="replace"
    ).stdout


def clone_of(name: str, mirror: Path) -> tuple[Path, str]:
    clone = WORK / name / "clone"
    if not clone.exists():
        clone.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", str(mirror), str(clone)], check=True)
    return clone, git(clone, "rev-parse", "origin/HEAD").strip()


def cached(path: Path, build: Callable[[], Any]) -> Any:
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    path.write_bytes(pickle.dumps(value))
    return value


def mine(clone: Path, tip: str) -> list[CommitRecord]:
    from bmad import git as bmad_git
    from bmad.scanning.history_git import MiningSettings, commits_between, read_commits

    repository = bmad_git.open_repository(clone)
    ids = commits_between(repository, tip, None)
    return list(read_commits(repository.path, ids, MiningSettings(), frozenset()))


@dataclass
class Items:
    """The evaluated items of one level, with each ranking's scores."""

    keys: list[str]
    labels: list[bool]
    lines: list[int]
    scores: dict[str, list[float]]


def measure(items: Items) -> dict[str, dict[str, float]]:
    found = {}
    for name, scores in items.scores.items():
        found[name] = {
            "auc": roc_auc(scores, items.labels),
            "p@20": precision_at(items.keys, scores, items.labels, TOP),
            "r@20%": recall_at_effort(items.keys, scores, items.labels, items.lines),
            "popt": popt(items.keys, scores, items.labels, items.lines),
        }
    return found


def _source_digest() -> str:
    """What the prepared data depends on besides the repository: the risk modules' source."""
    import hashlib

    from bmad.analysis import risk_features, risk_training
    from bmad.extractors import fixes
    from bmad.scanning import risk

    digest = hashlib.sha256()
    for module in (risk_features, risk_training, risk, fixes):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:12]


def prepare(name: str, mirror: Path, when: datetime, fresh: bool = False) -> Prepared:
    """The repository's items at T with their features and labels, and its labelled past,
    cached by tip, T and the risk modules' source (``fresh``: rebuilt all the same)."""
    clone, tip = clone_of(name, mirror)
    path = WORK / name / f"prepared-{tip[:12]}-{when.date()}-{_source_digest()}.pickle"
    if fresh and path.exists():
        path.unlink()
    prepared: Prepared = cached(path, lambda: _prepare(name, clone, tip, when))
    return prepared


def _prepare(name: str, clone: Path, tip: str, when: datetime) -> Prepared:
    started = time.perf_counter()
    at = int(when.timestamp())
    commits = cached(WORK / name / f"commits-{tip[:12]}.pickle", lambda: mine(clone, tip))
    settings = LabelSettings(
        subject_patterns(
            DEFAULTS["history"]["fix_patterns"], DEFAULTS["history"]["revert_patterns"]
        )
    )
    options = ScanOptions(cache_path=WORK / "cache.sqlite")
    labelled_commits = [c for c in commits if c.author_time <= at + YEAR]
    fixes = cached(
        WORK / name / f"fixes-{tip[:12]}-{when.date()}.pickle",
        lambda: fix_labels(clone, labelled_commits, settings, options),
    )
    past = RepositoryPast(clone, tip, commits, fixes)
    revision = revision_at(clone, tip, at)
    assert revision is not None, f"{name}: no commit before {when.date()}"
    detection = default_detection()
    snapshot = load_snapshot(past, at, options, detection=detection)
    assert snapshot is not None and snapshot.marks is not None
    count = SNAPSHOTS + VALIDATION_WINDOWS + 1
    history = past_snapshots(past, at, count, options, detection=detection)
    levels = {}
    for level in ("file", "function"):
        rows = [r for r in rows_of(snapshot, level) if (r.path, r.function) in snapshot.marks]
        levels[level] = Level(
            features_of(level), rows, [labelled(s, level, fixes) for s in history]
        )
    return Prepared(
        name=name,
        when=when,
        at=at,
        revision=revision,
        year_fixes=[f for f in fixes if at < f.time <= at + YEAR],
        snapshots=[str(datetime.fromtimestamp(s.time, UTC).date()) for s in history],
        levels=levels,
        szz=_szz(clone, commits, settings, at),
        seconds=time.perf_counter() - started,
    )


def evaluate(prepared: Prepared, others: Sequence[Prepared], repeats: int) -> dict[str, Any]:
    """Every ranking of ``prepared`` at T; ``others`` (the other repositories) train the
    pooled and federated models (the federated one ``repeats`` more times with fresh noise)."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "repo": prepared.name,
        "T": str(prepared.when.date()),
        "revision": prepared.revision,
        "fixes_in_year": len(prepared.year_fixes),
        "snapshots": prepared.snapshots,
    }
    for level in ("file", "function"):
        data = prepared.levels[level]
        features, past_rows = data.features, data.past
        combined = fit_local_model(past_rows, level)
        models = {
            "model v1": _fixed_model(features, past_rows, FIRST_PASS),
            "local model": _without_detection(features, past_rows, combined.selection),
            "combined": combined,
        }
        items = _items(data.rows, features, prepared.year_fixes, prepared.at, models)
        pooling = _pooled(level, data, combined, others)
        rows = [r.values for r in data.rows]
        items.scores["pooled"] = probabilities(pooling.model, rows)
        items.scores["blend"] = (
            items.scores["pooled"]
            if pooling.weight is None
            else blended(items.scores["combined"], items.scores["pooled"], pooling.weight)
        )
        federation = _federated(level, data, others, repeats)
        for ranker, model in (
            ("federated", federation.private),
            ("fed. exact", federation.exact),
        ):
            items.scores[ranker] = probabilities(model, rows)
        weight = blend_weight(pooling.windows, federation.private)
        items.scores["fed. blend"] = (
            items.scores["federated"]
            if weight is None
            else blended(items.scores["combined"], items.scores["federated"], weight)
        )
        # Half and half, no weight to choose: on the validation windows of T-1y and T-1.5y
        # this did better than the weights chosen on two windows (bench/risk/README.md).
        for ranker, other in (("comb.+pooled", "pooled"), ("comb.+fed.", "federated")):
            items.scores[ranker] = (
                items.scores[other]
                if combined.model is None
                else blended(items.scores["combined"], items.scores[other], EVEN)
            )
        # Rank averages of the even blends with decayed revisions: the best form on the
        # development windows of run 10 (bench_features.py).
        decayed = [r.values[features.index("decayed_revisions")] for r in data.rows]
        for ranker, blend in (("c+p & dec.", "comb.+pooled"), ("c+f & dec.", "comb.+fed.")):
            items.scores[ranker] = rank_average(items.scores[blend], decayed)
        chosen_single = single_on_validation(features, past_rows[:VALIDATION_WINDOWS])
        items.scores["single (val.)"] = items.scores[chosen_single]
        result[level] = {
            "items": len(items.keys),
            "positives": sum(items.labels),
            "training": {
                "snapshots": min(len(past_rows), SNAPSHOTS),
                "rows": sum(len(s.labels) for s in past_rows[:SNAPSHOTS]),
                "positives": sum(sum(s.labels) for s in past_rows[:SNAPSHOTS]),
            },
            "models": {
                ranker: _model_summary(local, items.scores.get(ranker), items.labels)
                for ranker, local in models.items()
            },
            "pooled": pooling.summary(),
            "single_on_validation": chosen_single,
            "federated": {
                **federation.summary,
                "blend_local_weight": weight,
                "repeated_auc": [
                    roc_auc(probabilities(model, rows), items.labels)
                    for model in federation.repeats
                ],
            },
            "measures": measure(items),
        }
    result["szz"] = prepared.szz
    result["seconds"] = prepared.seconds + time.perf_counter() - started
    return result


@dataclass
class Pooling:
    """The pooled model serving one repository and the blend's weight on the local model."""

    model: RiskModel
    choice: ModelChoice
    validation_auc: float | None
    weight: float | None  # None: no validation window, the pooled model serves alone
    sources: int
    rows: int
    windows: list[tuple[LabelledSnapshot, list[float]]]  # the local model's validation risks

    def summary(self) -> dict[str, Any]:
        return {
            "choice": self.choice.describe(),
            "validation_auc": self.validation_auc,
            "blend_local_weight": self.weight,
            "repositories": self.sources,
            "rows": self.rows,
        }


def _pooled(level: str, data: Level, local: LocalModel, others: Sequence[Prepared]) -> Pooling:
    """Trained on the other repositories' past snapshots (labels ending by their own T; no
    repository's year after T), its form and the blend chosen on this repository's
    validation windows."""
    sources = [TrainingSet(data.features, other.levels[level].past) for other in others]
    pooled = select_pooled(sources, data.past[:VALIDATION_WINDOWS])
    windows = []
    if local.model is not None:
        windows = local_validation(
            data.features,
            data.past,
            local.selection.choice,
            HORIZON_DAYS * SECONDS_PER_DAY,
            SNAPSHOTS,
            VALIDATION_WINDOWS,
        )
    return Pooling(
        model=pooled.model,
        choice=pooled.model.choice,
        validation_auc=pooled.validation_auc.get(pooled.model.choice),
        weight=blend_weight(windows, pooled.model),
        sources=len(sources),
        rows=sum(len(s.labels) for source in sources for s in source.snapshots),
        windows=windows,
    )


@dataclass
class Federation:
    """The federated model serving one repository: through noise and secure aggregation at
    the medium level, and the same steps over exact sums (what privacy costs)."""

    private: RiskModel
    exact: RiskModel
    repeats: list[RiskModel]  # further trainings with fresh noise: how much the draw matters
    summary: dict[str, Any]


def _federated(level: str, data: Level, others: Sequence[Prepared], repeats: int) -> Federation:
    """Trained leave-one-repository-out: each other repository is one organisation sending its
    past snapshots' records (labels ending by its own T)."""
    columns = [i for i, name in enumerate(data.features) if name not in DETECTION_FEATURES]
    schema = RiskSchema(tuple(data.features[i] for i in columns))
    organisations = [organisation_records(o.levels[level].past, columns) for o in others]
    medium = governance_for("medium")
    started = time.perf_counter()
    private = train_federated(schema, organisations, medium)
    seconds = time.perf_counter() - started
    exact = train_federated(
        schema, organisations, medium, secure_sum=_plain_sum, noise=lambda v, _plan: list(v)
    )
    plan = private.plans[0]
    return Federation(
        private=as_risk_model(private, data.features, columns),
        exact=as_risk_model(exact, data.features, columns),
        repeats=[
            as_risk_model(train_federated(schema, organisations, medium), data.features, columns)
            for _repeat in range(repeats)
        ],
        summary={
            "organisations": private.organisations,
            "records": sum(len(records) for records in organisations),
            "rows": sum(len(s.labels) for o in others for s in o.levels[level].past),
            "noisy_rows": private.rows,
            "steps": STEPS,
            "share_scale": plan.scale,
            "noise_participants": plan.participants,
            "sum_noise_sd": plan.scale * math.sqrt(private.organisations) / FIXED_POINT,
            "l2_sensitivity": schema.l2_sensitivity,
            "guarantee": private.guarantee.text(),
            "seconds": seconds,
        },
    )


def _plain_sum(vectors: Sequence[Sequence[int]], _threshold: int) -> list[int]:
    return [sum(column) for column in zip(*vectors, strict=True)]


def _fixed_model(
    features: tuple[str, ...], snapshots: Sequence[LabelledSnapshot], choice: ModelChoice
) -> LocalModel:
    """The first pass's form, trained without any selection."""
    model = train(TrainingSet(features, snapshots[:SNAPSHOTS]), choice)
    return LocalModel(model, Selection(choice, {}, 0))


def _without_detection(
    features: tuple[str, ...], snapshots: Sequence[LabelledSnapshot], selection: Selection
) -> LocalModel:
    """The best candidate on the same validation windows among those that do not read bmad's
    detection marks: the risk model alone."""
    scores = selection.validation_auc
    choice = (
        max(HISTORY_CHOICES, key=lambda c: (scores[c], -HISTORY_CHOICES.index(c)))
        if scores
        else HISTORY_CHOICES[0]
    )
    model = train(TrainingSet(features, snapshots[:SNAPSHOTS]), choice)
    return LocalModel(model, Selection(choice, scores, selection.windows))


def _model_summary(
    local: LocalModel, predicted: Sequence[float] | None, observed: Sequence[bool]
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "choice": local.selection.choice.describe(),
        "validation_windows": local.selection.windows,
        "validation_auc": local.selection.validation_auc.get(local.selection.choice),
        "trained": local.model is not None,
    }
    if local.model is not None and predicted is not None:
        brier = sum((p - y) ** 2 for p, y in zip(predicted, observed, strict=True))
        summary["brier"] = brier / len(predicted)
        summary["mean_predicted"] = sum(predicted) / len(predicted)
        summary["observed_rate"] = sum(observed) / len(observed)
    return summary


def single_metrics(
    features: Sequence[str], values: Sequence[Sequence[float]]
) -> dict[str, list[float]]:
    """Each baseline's scores of the rows (file or function level)."""

    def value(row: Sequence[float], *names: str) -> float:
        for feature in names:
            if feature in features:
                return row[features.index(feature)]
        raise KeyError(names)

    return {
        "nloc": [value(r, "sloc", "nloc") for r in values],
        "max CCN": [value(r, "max_ccn", "ccn") for r in values],
        "revisions": [value(r, "revisions") for r in values],
        "hotspot": [value(r, "revisions") * value(r, "sum_cognitive", "cognitive") for r in values],
    }


def rank_average(*scores: Sequence[float]) -> list[float]:
    """The sum of each ranking's percentile among the items."""
    import numpy as np

    ranks = transformed("snapshot_rank", [list(row) for row in zip(*scores, strict=True)])
    return [float(v) for v in np.asarray(ranks).sum(axis=1)]


def single_on_validation(features: Sequence[str], windows: Sequence[LabelledSnapshot]) -> str:
    """The baseline with the best mean ROC AUC on the validation windows (labels ending by T):
    the single metric one would pick before T, unlike the after-the-fact best of them."""
    totals = dict.fromkeys(BASELINES, 0.0)
    for window in windows:
        for name, scores in single_metrics(features, window.rows).items():
            found = roc_auc(scores, window.labels)
            totals[name] += 0.5 if math.isnan(found) else found
    return max(BASELINES, key=lambda name: (totals[name], -BASELINES.index(name)))


def _items(
    rows: Sequence[RiskRow],
    features: Sequence[str],
    year_fixes: Sequence[Any],
    at: int,
    models: Mapping[str, LocalModel],
) -> Items:
    from bmad.analysis.risk_features import labels

    def value(row: RiskRow, *names: str) -> float:
        for feature in names:
            if feature in features:
                return row.values[features.index(feature)]
        raise KeyError(names)

    found = labels(rows, year_fixes, at, at + YEAR)
    today = [value(r, "priority") for r in rows]
    scores = single_metrics(features, [r.values for r in rows])
    scores["today's ranking"] = today
    for ranker, local in models.items():
        if local.model is not None:
            scores[ranker] = probabilities(local.model, [r.values for r in rows])
    # Without enough history bmad has only its ranking: that is the combined priority then.
    combined = scores.get("combined", today)
    scores["combined"] = combined
    lines = [max(r.lines, 1) for r in rows]
    scores["combined per line"] = [risk / n for risk, n in zip(combined, lines, strict=True)]
    # The effort-aware anchor: the per-line form of the strongest single metric on average.
    scores["revisions per line"] = [
        value(r, "revisions") / n for r, n in zip(rows, lines, strict=True)
    ]
    keys = [f"{r.path}:{r.start_line}:{r.function or ''}" for r in rows]
    return Items(keys, found, lines, scores)


def _szz(
    clone: Path, commits: Sequence[CommitRecord], settings: LabelSettings, at: int
) -> dict[str, Any]:
    from bmad import git as bmad_git

    year = [c for c in commits if at < c.author_time <= at + YEAR]
    diffs = read_fix_diffs(bmad_git.open_repository(clone), fixing_commits(year, settings))
    summary = summarise_traces(trace_fixes(clone, diffs, {c.id: c for c in commits}, settings))
    return {
        "fixes": summary.fixes,
        "traced": summary.traced,
        "traced_fraction": summary.traced_fraction,
        "origins": summary.origins,
        "reasons": dict(summary.reasons),
    }


def _fmt(value: float | None) -> str:
    return "   -  " if value is None or math.isnan(value) else f"{value:6.3f}"


def print_result(result: Mapping[str, Any]) -> None:
    print(
        f"\n{result['repo']} at {result['T']} ({result['revision'][:10]}): "
        f"{result['fixes_in_year']} fix commits in the next year; SZZ traced "
        f"{result['szz']['traced']}/{result['szz']['fixes']} "
        f"({result['szz']['traced_fraction']:.0%}); past snapshots "
        f"{', '.join(result['snapshots'])}; {result['seconds']:.0f} s"
    )
    for level in ("file", "function"):
        data = result[level]
        training = data["training"]
        print(
            f"  {level}s: {data['items']} items, {data['positives']} fixed; training "
            f"{training['rows']} rows over {training['snapshots']} snapshots, "
            f"{training['positives']} fixed"
        )
        for ranker, summary in data["models"].items():
            if not summary["trained"]:
                print(f"    {ranker}: no model (too little history)")
                continue
            chosen = (
                f"chosen on {summary['validation_windows']} validation windows "
                f"(AUC {summary['validation_auc']:.3f})"
                if summary["validation_windows"]
                else "no validation window"
            )
            print(
                f"    {ranker}: {summary['choice']}, {chosen}; Brier {summary['brier']:.3f}, "
                f"mean predicted {summary['mean_predicted']:.3f} vs observed "
                f"{summary['observed_rate']:.3f}"
            )
        pooled = data["pooled"]
        validated = (
            "no validation window"
            if pooled["validation_auc"] is None
            else f"validation AUC {pooled['validation_auc']:.3f}"
        )
        weight = pooled["blend_local_weight"]
        print(
            f"    pooled: {pooled['choice']} on {pooled['rows']} rows of "
            f"{pooled['repositories']} other repositories, {validated}; blend: "
            + ("the pooled model alone" if weight is None else f"{weight:g} x local log-odds")
        )
        federated = data["federated"]
        weight = federated["blend_local_weight"]
        print(
            f"    federated: {federated['organisations']} organisations, "
            f"{federated['records']} records, {federated['rows']} rows (noisy "
            f"{federated['noisy_rows']:.0f}), {federated['steps']} steps, noise sd of a sum "
            f"{federated['sum_noise_sd']:.1f} per gradient entry; {federated['guarantee']}; "
            f"{federated['seconds']:.1f} s; blend: "
            + ("the federated model alone" if weight is None else f"{weight:g} x local log-odds")
        )
        if federated["repeated_auc"]:
            print(
                "    federated again with fresh noise: AUC "
                + ", ".join(f"{auc:.3f}" for auc in federated["repeated_auc"])
            )
        print(f"    {'ranking':<18} {'AUC':>6} {'P@20':>6} {'R@20%':>6} {'Popt':>6}")
        for name in RANKERS:
            found = data["measures"].get(name)
            if found is None:
                continue
            print(
                f"    {name:<18} {_fmt(found['auc'])} {_fmt(found['p@20'])} "
                f"{_fmt(found['r@20%'])} {_fmt(found['popt'])}"
            )


def print_summary(results: Sequence[Mapping[str, Any]]) -> None:
    for level in ("file", "function"):
        for measure_name in ("auc", "p@20", "popt"):
            print(
                f"\n{measure_name}, {level} level (best single: the best of "
                f"{', '.join(BASELINES)} by this measure)"
            )
            print(
                f"  {'repo':<10}"
                + "".join(f"{n[:11]:>12}" for n in RANKERS)
                + f"{'best single':>12}"
            )
            rankers = RANKERS[len(BASELINES) :]
            margins: dict[str, list[float]] = {n: [] for n in rankers}
            chosen: dict[str, list[float]] = {n: [] for n in rankers}
            for result in results:
                measures = result[level]["measures"]
                best = max(measures[n][measure_name] for n in BASELINES)
                cells = "".join(
                    _fmt(measures.get(n, {}).get(measure_name)).rjust(12) for n in RANKERS
                )
                print(f"  {result['repo']:<10}{cells}{_fmt(best).rjust(12)}")
                if math.isnan(best):
                    continue  # one class only: no ranking can be measured
                anchor = measures["single (val.)"][measure_name]
                for name in rankers:
                    if name in measures and not math.isnan(measures[name][measure_name]):
                        margins[name].append(measures[name][measure_name] - best)
                        chosen[name].append(measures[name][measure_name] - anchor)
            for name in rankers:
                if margins[name]:
                    print(
                        f"  {name}: above the best single metric {_wins(margins[name])}; "
                        f"above the one chosen on validation windows {_wins(chosen[name])}"
                    )


def _wins(margins: Sequence[float]) -> str:
    above = sum(1 for margin in margins if margin > 0)
    return f"on {above} of {len(margins)}, mean margin {sum(margins) / len(margins):+.3f}"


def print_young_comparison(results: Sequence[Mapping[str, Any]]) -> None:
    """Issue 17's second target: the federated model against the local-only ranking (today's
    ranking: with less than a year of history no local model is trained) per young
    repository, and the pooled model beside it."""
    for level in ("file", "function"):
        print(f"\nYoung repositories, {level} level ROC AUC: federated against local-only")
        print(
            f"  {'repo (T)':<24}{'items':>7}{'fixed':>7}{'local-only':>12}{'federated':>12}"
            f"{'margin':>9}{'pooled':>9}{'margin':>9}"
        )
        federated, pooled = [], []
        for result in results:
            data = result[level]
            measures = data["measures"]
            local = measures["combined"]["auc"]
            cells = (
                f"  {result['repo'] + ' (' + result['T'] + ')':<24}{data['items']:>7}"
                f"{data['positives']:>7}{_fmt(local):>12}"
            )
            if math.isnan(local):
                print(f"{cells}   (one class only: not measurable)")
                continue
            margin = measures["federated"]["auc"] - local
            pooled_margin = measures["pooled"]["auc"] - local
            federated.append(margin)
            pooled.append(pooled_margin)
            print(
                f"{cells}{_fmt(measures['federated']['auc']):>12}{margin:>+9.3f}"
                f"{_fmt(measures['pooled']['auc']):>9}{pooled_margin:>+9.3f}"
            )
        if federated:
            print(f"  federated above local-only {_wins(federated)}")
            print(f"  pooled above local-only {_wins(pooled)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repo", action="append", help="NAME=MIRROR@YYYY-MM-DD")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument(
        "--fresh", action="store_true", help="rebuild each repository's prepared items"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=4,
        help="further federated trainings with fresh noise, for the spread of its AUC",
    )
    parser.add_argument(
        "--young",
        action="store_true",
        help=f"also evaluate each repository at {YOUNG_DAYS} days after its first commit",
    )
    args = parser.parse_args(argv)
    prepared, young = [], []
    for spec in args.repo or DEFAULT_REPOS:
        name, location, when = parse_spec(spec)
        prepared.append(prepare(name, location, when, args.fresh))
        if args.young:
            young.append(prepare(name, location, young_date(name, location), args.fresh))
    results = []
    for held_out in prepared:
        result = evaluate(held_out, [p for p in prepared if p is not held_out], args.repeats)
        print_result(result)
        results.append(result)
        sys.stdout.flush()
    print_summary(results)
    for held_out in young:
        # Trained on the other repositories as above; the young one's own later past is left out.
        result = evaluate(held_out, [p for p in prepared if p.name != held_out.name], 0)
        result["young"] = True
        print_result(result)
        results.append(result)
        sys.stdout.flush()
    if young:
        print(f"\nYoung repositories ({YOUNG_DAYS} days after the first commit):")
        print_summary([r for r in results if r.get("young")])
        print_young_comparison([r for r in results if r.get("young")])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


def parse_spec(spec: str) -> tuple[str, Path, datetime]:
    """NAME=MIRROR@YYYY-MM-DD: the name, the mirror's git directory and T."""
    name, _, rest = spec.partition("=")
    mirror, _, date = rest.rpartition("@")
    location = Path(mirror) if "/" in mirror else MIRRORS / mirror / "repo"
    return name, location, datetime.fromisoformat(date).replace(tzinfo=UTC)


def young_date(name: str, mirror: Path) -> datetime:
    """``YOUNG_DAYS`` after the repository's first authored commit: too young for a local
    model, whose labels need a year of history."""
    clone, tip = clone_of(name, mirror)
    first = min(int(value) for value in git(clone, "log", "--format=%at", tip).split())
    return datetime.fromtimestamp(first + YOUNG_DAYS * SECONDS_PER_DAY, UTC)


if __name__ == "__main__":
    main()
