"""The local defect-risk model: a logistic regression on log-scaled, standardised features,
trained on a repository's own past snapshots, with exact per-item explanations.

Why logistic regression: fit by maximum likelihood (no class weights), its probabilities are
calibrated on the training distribution, and a prediction's log-odds split exactly into one
contribution per feature (coefficient x standardised value), which is the explanation shown.
The benchmark (bench/risk) reports its Brier score and calibration next to its ranking.

Enough history: the model is trained only when the snapshots hold at least
:data:`MIN_POSITIVES` fixed and :data:`MIN_NEGATIVES` unfixed items over at least
:data:`MIN_SNAPSHOTS` snapshots; otherwise :func:`train` returns None and the caller falls
back to the other rankings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_SNAPSHOTS = 2
MIN_POSITIVES = 20
MIN_NEGATIVES = 20
REGULARISATION = 1.0  # scikit-learn's C: inverse strength of the L2 penalty

# How a feature reads in an explanation: its label, and whether its value is a share.
FEATURE_LABELS = {
    "sloc": "lines of code",
    "nloc": "lines of code",
    "file_sloc": "lines in its file",
    "functions": "functions",
    "max_ccn": "highest cyclomatic complexity",
    "sum_ccn": "total cyclomatic complexity",
    "max_cognitive": "highest cognitive complexity",
    "sum_cognitive": "total cognitive complexity",
    "max_nesting": "deepest nesting",
    "ccn": "cyclomatic complexity",
    "cognitive": "cognitive complexity",
    "nesting": "nesting depth",
    "params": "parameters",
    "tokens": "tokens",
    "revisions": "revisions",
    "churn": "lines changed",
    "recent_revisions": "revisions in the last 6 months",
    "recent_churn": "lines changed in the last 6 months",
    "authors": "authors",
    "minor_contributors": "minor contributors",
    "ownership": "top author's share of commits",
    "age_months": "months since created",
    "months_since_change": "months since last changed",
    "prior_fixes": "earlier fixes",
    "recent_fixes": "fixes in the last 6 months",
    "function_prior_fixes": "earlier fixes to this function",
    "coupled_files": "files changed with it",
    "fan_in": "modules importing it",
    "fan_out": "modules it imports",
    "in_cycle": "in an import cycle",
}


@dataclass(frozen=True, slots=True)
class TrainingSet:
    features: tuple[str, ...]
    rows: Sequence[Sequence[float]]
    labels: Sequence[bool]
    snapshots: int


@dataclass(frozen=True, slots=True)
class RiskModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]  # of log1p(value), over the training rows
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]  # per standardised feature, in log-odds
    intercept: float
    examples: int
    positives: int
    snapshots: int


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: float
    log_odds: float  # against an item with every feature at the training mean
    high: bool  # whether the value is above the training mean


def enough_history(training: TrainingSet) -> bool:
    positives = sum(1 for label in training.labels if label)
    return (
        training.snapshots >= MIN_SNAPSHOTS
        and positives >= MIN_POSITIVES
        and len(training.labels) - positives >= MIN_NEGATIVES
    )


def _transformed(value: float) -> float:
    return math.log1p(max(value, 0.0))


def train(training: TrainingSet) -> RiskModel | None:
    """The fitted model, or None when the history is too short (see the module's docstring)."""
    if not enough_history(training):
        return None
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    matrix = np.log1p(np.maximum(np.asarray(training.rows, dtype=float), 0.0))
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    target = np.asarray(training.labels, dtype=bool)
    fitted = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(
        (matrix - mean) / scale, target
    )
    return RiskModel(
        features=training.features,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coefficients=tuple(float(v) for v in fitted.coef_[0]),
        intercept=float(fitted.intercept_[0]),
        examples=len(training.labels),
        positives=int(target.sum()),
        snapshots=training.snapshots,
    )


def contributions(model: RiskModel, values: Sequence[float]) -> list[Contribution]:
    """Each feature's share of the item's log-odds, largest push towards risk first."""
    found = [
        Contribution(
            name,
            value,
            coefficient * (_transformed(value) - mean) / scale,
            _transformed(value) > mean,
        )
        for name, value, coefficient, mean, scale in zip(
            model.features, values, model.coefficients, model.mean, model.scale, strict=True
        )
    ]
    return sorted(found, key=lambda item: (-item.log_odds, item.feature))


def probability(model: RiskModel, values: Sequence[float]) -> float:
    log_odds = model.intercept + sum(item.log_odds for item in contributions(model, values))
    return 1.0 / (1.0 + math.exp(-log_odds))


def probabilities(model: RiskModel, rows: Sequence[Sequence[float]]) -> list[float]:
    """:func:`probability` of many rows at once (vectorised)."""
    import numpy as np

    if not rows:
        return []
    matrix = np.log1p(np.maximum(np.asarray(rows, dtype=float), 0.0))
    standard = (matrix - np.asarray(model.mean)) / np.asarray(model.scale)
    log_odds = standard @ np.asarray(model.coefficients) + model.intercept
    return [float(v) for v in 1.0 / (1.0 + np.exp(-log_odds))]


def explain(model: RiskModel, values: Sequence[float], top: int = 2) -> str:
    """ "risk of a fix: 34%; driven by 6 minor contributors and 340 lines changed in the last
    6 months": the features that raise the risk most, with their values."""
    drivers = [item for item in contributions(model, values)[:top] if item.log_odds > 0]
    text = f"risk of a fix: {probability(model, values):.0%}"
    if not drivers:
        return text
    described = [_describe(item) for item in drivers]
    return f"{text}; driven by {' and '.join(described)}"


def _describe(item: Contribution) -> str:
    """ "6 minor contributors" for a high value; "few revisions (2)" for a low one that raises
    the risk all the same."""
    label = FEATURE_LABELS.get(item.feature, item.feature.replace("_", " "))
    if item.feature == "in_cycle":
        return label if item.high else "not in an import cycle"
    if item.feature == "ownership":
        return f"{'high' if item.high else 'low'} {label} ({item.value:.0%})"
    whole = item.value >= 10 or item.value == int(item.value)
    shown = f"{item.value:.0f}" if whole else f"{item.value:.1f}"
    return f"{shown} {label}" if item.high else f"few {label} ({shown})"
