"""Which factors predict fewer (or more) fixes in a repository, with intervals.

A logistic regression on the repository's own training snapshots (those the local risk model
learns from: each a year or more back, labelled by the year after it), every feature read as
its percentile within its snapshot and standardised, so a coefficient is the change in a
file's log-odds of a fix per standard deviation of its standing in the repository. The
features are the code, process and architecture ones; bmad's own detection marks are left
out, since a factor should be something a team can act on, not bmad's verdict. The fit is the
local model's default (L2 penalty, scikit-learn's C 0.1), so coefficients lean towards zero;
features that move together (revisions and their rate) share their weight.

The 95% interval of each coefficient is a percentile bootstrap over files: a file with all its
rows across the snapshots is drawn with replacement (the rows of one file are not independent),
indices from :mod:`secrets`. A factor predicts fewer fixes when its whole interval lies below
zero, more fixes when above, and is unclear otherwise.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmad.analysis.risk_features import FILE_FEATURES
from bmad.analysis.risk_model import (
    FEATURE_LABELS,
    LabelledSnapshot,
    ModelChoice,
    TrainingSet,
    enough_history,
    fit,
)

CHOICE = ModelChoice("logistic", "snapshot_rank", 0.1, detection=False)
RESAMPLES = 200
LEVEL = 0.95
NO_SAMPLE = "no bootstrap sample held both fixed and unfixed files"


@dataclass(frozen=True, slots=True)
class Factor:
    feature: str
    coefficient: float  # log-odds per standard deviation of the feature's snapshot percentile
    low: float
    high: float

    @property
    def effect(self) -> str:
        if self.high < 0:
            return "fewer fixes"
        if self.low > 0:
            return "more fixes"
        return "unclear"

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "label": FEATURE_LABELS.get(self.feature, self.feature.replace("_", " ")),
            "coefficient": round(self.coefficient, 4),
            "ci95": [round(self.low, 4), round(self.high, 4)],
            "effect": self.effect,
        }


@dataclass(frozen=True, slots=True)
class Factors:
    factors: tuple[Factor, ...]  # fewer-fixes first (most negative coefficient first)
    files: int  # distinct files drawn from
    examples: int
    positives: int
    snapshots: int
    resamples: int
    reason: str  # what was fitted, or why nothing was

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "files": self.files,
            "examples": self.examples,
            "positives": self.positives,
            "snapshots": self.snapshots,
            "resamples": self.resamples,
            "model": CHOICE.describe(),
            "factors": [factor.to_dict() for factor in self.factors],
        }


def _coefficients(snapshots: Sequence[LabelledSnapshot]) -> dict[str, float]:
    model = fit(TrainingSet(FILE_FEATURES, snapshots), CHOICE)
    names = [model.features[column] for column in model.columns]
    return dict(zip(names, model.coefficients, strict=True))


def _resampled(
    snapshots: Sequence[LabelledSnapshot], keys: Sequence[str], draw: Callable[[int], int]
) -> list[LabelledSnapshot]:
    """The snapshots with each file's rows as often as the file was drawn."""
    counts: dict[str, int] = {}
    for _ in keys:
        key = keys[draw(len(keys))]
        counts[key] = counts.get(key, 0) + 1
    found = []
    for snapshot in snapshots:
        rows: list[Sequence[float]] = []
        labels: list[bool] = []
        for key, row, label in zip(snapshot.keys, snapshot.rows, snapshot.labels, strict=True):
            rows += [row] * counts.get(key, 0)
            labels += [label] * counts.get(key, 0)
        if rows:
            found.append(LabelledSnapshot(snapshot.time, rows, labels))
    return found


def success_factors(
    snapshots: Sequence[LabelledSnapshot],
    resamples: int = RESAMPLES,
    draw: Callable[[int], int] = secrets.randbelow,
) -> Factors:
    """The factors learned from ``snapshots`` (file level, newest first, with their keys)."""
    training = TrainingSet(FILE_FEATURES, snapshots)
    labels = training.labels
    positives = sum(labels)
    keys = sorted({key for snapshot in snapshots for key in snapshot.keys})
    if not enough_history(training):
        return Factors(
            (),
            len(keys),
            len(labels),
            positives,
            len(snapshots),
            0,
            f"too little history: {positives} fixed of {len(labels)} files over "
            f"{len(snapshots)} snapshots (at least 2 snapshots a year or more back, 20 fixed "
            "and 20 unfixed files)",
        )
    estimate = _coefficients(snapshots)
    draws: dict[str, list[float]] = {name: [] for name in estimate}
    for _ in range(resamples):
        sample = _resampled(snapshots, keys, draw)
        sample_labels = [label for snapshot in sample for label in snapshot.labels]
        if all(sample_labels) or not any(sample_labels):
            continue
        for name, value in _coefficients(sample).items():
            draws[name].append(value)
    kept = len(next(iter(draws.values())))
    if not kept:
        return Factors((), len(keys), len(labels), positives, len(snapshots), 0, NO_SAMPLE)
    factors = []
    for name, value in estimate.items():
        ordered = sorted(draws[name])
        low, high = _quantile(ordered, (1 - LEVEL) / 2), _quantile(ordered, (1 + LEVEL) / 2)
        factors.append(Factor(name, value, low, high))
    factors.sort(key=lambda factor: (factor.coefficient, factor.feature))
    return Factors(
        tuple(factors),
        len(keys),
        len(labels),
        positives,
        len(snapshots),
        kept,
        f"logistic regression on {positives} fixed of {len(labels)} file rows over "
        f"{len(snapshots)} snapshots",
    )


def _quantile(ordered: Sequence[float], share: float) -> float:
    """Linear interpolation between the closest ranks of a non-empty sorted sequence."""
    position = share * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def repository_factors(root: Path, resamples: int = RESAMPLES, now: int | None = None) -> Factors:
    """The factors of the repository at ``root``, from its past as of ``now`` (default: the
    present)."""
    import time

    from bmad import config
    from bmad.analysis.risk_serving import read_past
    from bmad.analysis.risk_training import SNAPSHOTS, labelled, past_snapshots

    past = read_past(root, config.load(root).section("history"))
    if past is None:
        return success_factors([], resamples)
    at = int(time.time()) if now is None else now
    snapshots = past_snapshots(past, at, SNAPSHOTS)
    return success_factors([labelled(s, "file", past.fixes) for s in snapshots], resamples)
