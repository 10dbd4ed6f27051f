"""Does the local defect-risk model find the code that later needs fixing, better than one metric?

Per repository, frozen at a date T: every file and function of the revision at T (first-parent
line of the default branch) is labelled by whether a fix or revert commit authored in the year
after T changed it (bmad.extractors.fixes: subject patterns from [history], sweeps of > 50
files left out; functions by the fix's hunks on its parent revision's spans). Rankings compared
on the same items: nloc, max CCN, revisions, hotspot (revisions x cognitive complexity),
today's ranking (`bmad learn anti-patterns` priority on a checkout at T), the local risk model
(bmad.analysis.risk_training: logistic regression trained on snapshots at T-1y, T-1.5y, T-2y,
T-2.5y labelled by the year after each, so no label comes from after T) and the blend (mean
of the model's and today's ranks). Measures: ROC AUC, precision@20, recall within the first
20% of lines, Popt; plus the model's Brier score and the SZZ traced fraction of the year's
fixes.

Mirrors come from the `fetch` tool (/work/.mirror/OWNER+NAME/repo); clones, mined commits,
labels and the metrics cache live in bench/_work/risk, so reruns are quick.

    .venv/bin/python bench/risk/bench_risk.py [--repo NAME=MIRROR@YYYY-MM-DD ...] [--json FILE]
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

from bmad.analysis.risk_features import FILE_FEATURES, FUNCTION_FEATURES, RiskRow  # noqa: E402
from bmad.analysis.risk_model import probabilities, train  # noqa: E402
from bmad.analysis.risk_training import (  # noqa: E402
    RepositoryPast,
    load_snapshot,
    rows_of,
    training_set,
)
from bmad.config import DEFAULTS  # noqa: E402
from bmad.extractors.fixes import (  # noqa: E402
    LabelSettings,
    fixing_commits,
    summarise_traces,
)
from bmad.extractors.history import SECONDS_PER_DAY, CommitRecord  # noqa: E402
from bmad.extractors.history_report import subject_patterns  # noqa: E402
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
TOP = 20
BASELINES = ("nloc", "max CCN", "revisions", "hotspot")
RANKERS = (*BASELINES, "today's ranking", "local model", "blend")


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


def ranks(scores: Sequence[float]) -> list[float]:
    """Mid-ranks scaled to 0..1 (ties share their mean rank)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    result = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 / max(len(scores) - 1, 1)
        start = end + 1
    return result


def today_ranking(
    clone: Path, revision: str
) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """`bmad learn anti-patterns` priorities on a checkout at T (by file; by path and name)."""
    from bmad.analysis.store import analyse_repository

    git(clone, "checkout", "-q", "--detach", revision)
    _input, report, _root = analyse_repository(clone)
    functions: dict[tuple[str, str], float] = {}
    for (path, _line, name), value in report.function_priority.items():
        functions[(path, name)] = max(functions.get((path, name), 0.0), value)
    return dict(report.file_priority), functions


def evaluate(name: str, mirror: Path, when: datetime) -> dict[str, Any]:
    started = time.perf_counter()
    clone, tip = clone_of(name, mirror)
    at = int(when.timestamp())
    commits = cached(WORK / name / f"commits-{tip[:12]}.pickle", lambda: mine(clone, tip))
    settings = LabelSettings(
        subject_patterns(
            DEFAULTS["history"]["fix_patterns"], DEFAULTS["history"]["revert_patterns"]
        )
    )
    options = ScanOptions(cache_path=WORK / "cache.sqlite")
    labelled = [c for c in commits if c.author_time <= at + YEAR]
    fixes = cached(
        WORK / name / f"fixes-{tip[:12]}-{when.date()}.pickle",
        lambda: fix_labels(clone, labelled, settings, options),
    )
    past = RepositoryPast(clone, tip, commits, fixes)
    revision = revision_at(clone, tip, at)
    assert revision is not None, f"{name}: no commit before {when.date()}"
    snapshot = load_snapshot(past, at, options)
    assert snapshot is not None
    year_fixes = [f for f in fixes if at < f.time <= at + YEAR]

    try:
        today_files, today_functions = today_ranking(clone, revision)
        today_note = ""
    except Exception as exc:
        today_files, today_functions, today_note = {}, {}, f"{type(exc).__name__}: {exc}"

    result: dict[str, Any] = {
        "repo": name,
        "T": str(when.date()),
        "revision": revision,
        "fixes_in_year": len(year_fixes),
        "today_note": today_note,
    }
    for level, features in (("file", FILE_FEATURES), ("function", FUNCTION_FEATURES)):
        rows = rows_of(snapshot, level)
        if today_files:
            rows = [r for r in rows if _today_score(r, today_files, today_functions) is not None]
        training = training_set(past, at, level, options)
        model = train(training)
        items = _items(rows, features, year_fixes, at, model, today_files, today_functions)
        result[level] = {
            "items": len(items.keys),
            "positives": sum(items.labels),
            "training": {
                "snapshots": training.snapshots,
                "rows": len(training.labels),
                "positives": sum(training.labels),
            },
            "measures": measure(items),
        }
        if model is not None:
            predicted = items.scores["local model"]
            brier = sum((p - y) ** 2 for p, y in zip(predicted, items.labels, strict=True))
            result[level]["brier"] = brier / len(predicted)
            result[level]["mean_predicted"] = sum(predicted) / len(predicted)
            result[level]["observed_rate"] = sum(items.labels) / len(items.labels)
    result["szz"] = _szz(clone, commits, settings, at)
    result["seconds"] = time.perf_counter() - started
    return result


def _today_score(
    row: RiskRow,
    files: Mapping[str, float],
    functions: Mapping[tuple[str, str], float],
) -> float | None:
    if row.function is None:
        return files.get(row.path)
    return functions.get((row.path, row.function))


def _items(
    rows: Sequence[RiskRow],
    features: Sequence[str],
    year_fixes: Sequence[Any],
    at: int,
    model: Any,
    today_files: Mapping[str, float],
    today_functions: Mapping[tuple[str, str], float],
) -> Items:
    from bmad.analysis.risk_features import labels

    def value(row: RiskRow, *names: str) -> float:
        for feature in names:
            if feature in features:
                return row.values[features.index(feature)]
        raise KeyError(names)

    found = labels(rows, year_fixes, at, at + YEAR)
    scores: dict[str, list[float]] = {
        "nloc": [value(r, "sloc", "nloc") for r in rows],
        "max CCN": [value(r, "max_ccn", "ccn") for r in rows],
        "revisions": [value(r, "revisions") for r in rows],
        "hotspot": [value(r, "revisions") * value(r, "sum_cognitive", "cognitive") for r in rows],
    }
    if today_files:
        scores["today's ranking"] = [
            _today_score(r, today_files, today_functions) or 0.0 for r in rows
        ]
    if model is not None:
        scores["local model"] = probabilities(model, [r.values for r in rows])
        if "today's ranking" in scores:
            model_ranks = ranks(scores["local model"])
            today_ranks = ranks(scores["today's ranking"])
            scores["blend"] = [(a + b) / 2 for a, b in zip(model_ranks, today_ranks, strict=True)]
    keys = [f"{r.path}:{r.start_line}:{r.function or ''}" for r in rows]
    return Items(keys, found, [max(r.lines, 1) for r in rows], scores)


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
        f"({result['szz']['traced_fraction']:.0%}); {result['seconds']:.0f} s"
    )
    if result["today_note"]:
        print(f"  today's ranking failed: {result['today_note']}")
    for level in ("file", "function"):
        data = result[level]
        training = data["training"]
        print(
            f"  {level}s: {data['items']} items, {data['positives']} fixed; training "
            f"{training['rows']} rows over {training['snapshots']} snapshots, "
            f"{training['positives']} fixed"
            + (
                f"; model Brier {data['brier']:.3f}, mean predicted "
                f"{data['mean_predicted']:.3f} vs observed {data['observed_rate']:.3f}"
                if "brier" in data
                else "; no model (too little history)"
            )
        )
        print(f"    {'ranking':<16} {'AUC':>6} {'P@20':>6} {'R@20%':>6} {'Popt':>6}")
        for name in RANKERS:
            found = data["measures"].get(name)
            if found is None:
                continue
            print(
                f"    {name:<16} {_fmt(found['auc'])} {_fmt(found['p@20'])} "
                f"{_fmt(found['r@20%'])} {_fmt(found['popt'])}"
            )


def print_summary(results: Sequence[Mapping[str, Any]]) -> None:
    for level in ("file", "function"):
        print(f"\nROC AUC, {level} level (best single metric: the best of {', '.join(BASELINES)})")
        header = (
            f"  {'repo':<11}" + "".join(f"{n[:13]:>14}" for n in RANKERS) + f"{'best single':>14}"
        )
        print(header)
        wins = 0
        margins = []
        for result in results:
            measures = result[level]["measures"]
            best = max(measures[n]["auc"] for n in BASELINES)
            cells = "".join(_fmt(measures.get(n, {}).get("auc")).rjust(14) for n in RANKERS)
            print(f"  {result['repo']:<11}{cells}{_fmt(best).rjust(14)}")
            if "local model" in measures:
                margins.append(measures["local model"]["auc"] - best)
                wins += measures["local model"]["auc"] > best
        if margins:
            print(
                f"  local model beats the best single metric on {wins} of {len(margins)}; "
                f"mean margin {sum(margins) / len(margins):+.3f}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repo", action="append", help="NAME=MIRROR@YYYY-MM-DD")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    results = []
    for spec in args.repo or DEFAULT_REPOS:
        name, _, rest = spec.partition("=")
        mirror, _, date = rest.rpartition("@")
        location = Path(mirror) if "/" in mirror else MIRRORS / mirror / "repo"
        when = datetime.fromisoformat(date).replace(tzinfo=UTC)
        result = evaluate(name, location, when)
        print_result(result)
        results.append(result)
        sys.stdout.flush()
    print_summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
