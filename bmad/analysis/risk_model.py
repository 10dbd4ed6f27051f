"""The local defect-risk model: trained on a repository's own past snapshots, chosen on the
windows before the one it serves, with per-item explanations.

A model reads one snapshot's rows at a time, because it may read every feature relative to
its snapshot. Totals such as revisions, churn or age only grow, so a model fitted on a younger
repository meets values at T beyond anything it saw; a feature's percentile (or z-score of its
logarithm) within the snapshot keeps its meaning as the repository ages. Which reading, how
strong the penalty, logistic regression or gradient boosting, and whether bmad's detection
marks (ranking priority, smells, anomaly flags) are inputs: :func:`select` decides by the ROC
AUC on validation windows that end before the serving time, never on the window it serves.

Logistic regression, fitted by maximum likelihood (no class weights), is calibrated on the
training distribution, and its log-odds split exactly into one contribution per feature
(coefficient x standardised value), which is the explanation shown. Gradient boosting gets an
approximate one: the change in log-odds when that feature alone is set to its training mean.

Enough history: a model is trained only when the snapshots hold at least
:data:`MIN_POSITIVES` fixed and :data:`MIN_NEGATIVES` unfixed items over at least
:data:`MIN_SNAPSHOTS` snapshots; otherwise :func:`train` returns None and the caller falls
back to the other rankings.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bmad.analysis.risk_features import DETECTION_FEATURES

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MIN_SNAPSHOTS = 2
MIN_POSITIVES = 20
MIN_NEGATIVES = 20
TRANSFORMS = ("log", "snapshot_z", "snapshot_rank")
FAMILIES = ("logistic", "boosting")

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
    "decayed_revisions": "revisions, recent ones weighing more",
    "decayed_fixes": "earlier fixes, recent ones weighing more",
    "decayed_churn": "lines changed, recent ones weighing more",
    "fan_in": "modules importing it",
    "fan_out": "modules it imports",
    "in_cycle": "in an import cycle",
    "revisions_per_month": "revisions a month",
    "churn_per_line": "lines changed per line",
    "age_share": "share of the repository's life",
    "priority": "ranking priority",
    "smells": "smell weight",
    "anomalous": "anomalous functions",
}
SHARES = frozenset({"ownership", "age_share"})


@dataclass(frozen=True, slots=True)
class ModelChoice:
    family: str  # one of FAMILIES
    transform: str  # one of TRANSFORMS
    regularisation: float  # logistic: scikit-learn's C; boosting: its l2_regularization
    detection: bool  # whether bmad's detection marks are inputs

    def describe(self) -> str:
        marks = " + detection" if self.detection else ""
        return f"{self.family}, {self.transform}, {self.regularisation:g}{marks}"


# Candidates in order of preference: on equal validation AUC the earlier one wins.
CHOICES = tuple(
    ModelChoice("logistic", transform, strength, detection)
    for detection in (True, False)
    for transform in ("snapshot_rank", "snapshot_z", "log")
    for strength in (0.1, 0.01, 1.0)
) + tuple(
    ModelChoice("boosting", transform, 1.0, detection)
    for detection in (True, False)
    for transform in ("snapshot_rank", "log")
)
DEFAULT_CHOICE = CHOICES[0]  # when no validation window can be formed


@dataclass(frozen=True, slots=True)
class LabelledSnapshot:
    """One snapshot's rows (feature values) and whether a fix changed each in the window after."""

    time: int
    rows: Sequence[Sequence[float]]
    labels: Sequence[bool]
    # Per row, what it is ("path" or "path:qualified name"): one file or function across
    # snapshots, the record a federated round bounds. Empty: not known.
    keys: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class TrainingSet:
    features: tuple[str, ...]
    snapshots: Sequence[LabelledSnapshot]

    @property
    def labels(self) -> list[bool]:
        return [label for snapshot in self.snapshots for label in snapshot.labels]


@dataclass(frozen=True, slots=True)
class RiskModel:
    features: tuple[str, ...]  # of the rows it reads
    columns: tuple[int, ...]  # the features it uses, by index
    choice: ModelChoice
    mean: tuple[float, ...]  # per used feature, of its transformed training values
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]  # logistic: per standardised feature, in log-odds
    intercept: float
    boosted: Any  # the fitted HistGradientBoostingClassifier; None for logistic
    examples: int
    positives: int
    snapshots: int


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: float
    log_odds: float  # against an item with this feature at the training mean
    high: bool  # whether the value is above the training mean (read relative to the snapshot)


@dataclass(frozen=True, slots=True)
class Selection:
    choice: ModelChoice
    validation_auc: dict[ModelChoice, float]  # mean over the windows; empty: none could be formed
    windows: int


def enough_history(training: TrainingSet) -> bool:
    labels = training.labels
    positives = sum(1 for label in labels if label)
    return (
        len(training.snapshots) >= MIN_SNAPSHOTS
        and positives >= MIN_POSITIVES
        and len(labels) - positives >= MIN_NEGATIVES
    )


def transformed(transform: str, rows: Sequence[Sequence[float]]) -> NDArray[np.float64]:
    """One snapshot's rows read as ``transform`` says: "log" (log1p of the value), "snapshot_z"
    (z-score of log1p within the snapshot) or "snapshot_rank" (mid-rank percentile within the
    snapshot, in (0, 1))."""
    import numpy as np

    matrix: NDArray[np.float64] = np.asarray(rows, dtype=float).reshape(len(rows), -1)
    if transform == "snapshot_rank":
        ranked = np.column_stack([_mid_ranks(column) for column in matrix.T])
        found: NDArray[np.float64] = (ranked.reshape(matrix.shape) - 0.5) / max(len(matrix), 1)
        return found
    logged: NDArray[np.float64] = np.log1p(np.maximum(matrix, 0.0))
    if transform == "log":
        return logged
    if transform == "snapshot_z":
        spread = logged.std(axis=0)
        spread[spread == 0] = 1.0
        standard: NDArray[np.float64] = (logged - logged.mean(axis=0)) / spread
        return standard
    raise ValueError(f"unknown transform {transform!r}; expected one of {TRANSFORMS}")


def _mid_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks, ties sharing their mean rank."""
    import numpy as np

    _unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    mids: NDArray[np.float64] = np.cumsum(counts) - (counts - 1) / 2
    return mids[inverse]


def _columns(features: Sequence[str], choice: ModelChoice) -> tuple[int, ...]:
    return tuple(
        index
        for index, name in enumerate(features)
        if choice.detection or name not in DETECTION_FEATURES
    )


def train(training: TrainingSet, choice: ModelChoice = DEFAULT_CHOICE) -> RiskModel | None:
    """The fitted model, or None when the history is too short (see the module's docstring)."""
    if not enough_history(training):
        return None
    return fit(training, choice)


def fit(
    training: TrainingSet, choice: ModelChoice, weights: Sequence[float] | None = None
) -> RiskModel:
    """The model fitted on ``training`` whatever its size; ``weights``: one per snapshot, given
    to each of its rows (default: every row weighs 1)."""
    import numpy as np

    columns = _columns(training.features, choice)
    matrix = np.vstack(
        [transformed(choice.transform, s.rows)[:, columns] for s in training.snapshots]
    )
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    standard = (matrix - mean) / scale
    target = np.asarray(training.labels, dtype=bool)
    row_weights = None
    if weights is not None:
        row_weights = np.concatenate(
            [
                np.full(len(s.labels), weight)
                for s, weight in zip(training.snapshots, weights, strict=True)
            ]
        )
        row_weights *= len(row_weights) / row_weights.sum()
    coefficients: tuple[float, ...] = ()
    intercept = 0.0
    boosted = None
    if choice.family == "logistic":
        from sklearn.linear_model import LogisticRegression

        with _one_thread():
            fitted = LogisticRegression(C=choice.regularisation, max_iter=2000).fit(
                standard, target, sample_weight=row_weights
            )
        coefficients = tuple(float(v) for v in fitted.coef_[0])
        intercept = float(fitted.intercept_[0])
    elif choice.family == "boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        with _one_thread():
            boosted = HistGradientBoostingClassifier(
                max_depth=3,
                learning_rate=0.05,
                max_iter=150,
                min_samples_leaf=20,
                l2_regularization=choice.regularisation,
                early_stopping=False,
            ).fit(standard, target, sample_weight=row_weights)
    else:
        raise ValueError(f"unknown model family {choice.family!r}; expected one of {FAMILIES}")
    return RiskModel(
        features=training.features,
        columns=columns,
        choice=choice,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coefficients=coefficients,
        intercept=intercept,
        boosted=boosted,
        examples=len(target),
        positives=int(target.sum()),
        snapshots=len(training.snapshots),
    )


def _one_thread() -> AbstractContextManager[object]:
    """BLAS and OpenMP on one thread: on tables this small their threads mostly wait for each
    other (a 1,200-row gradient boosting fit took 5.2 s with the machine's threads, 0.3 s
    with one)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    limits: AbstractContextManager[object] = threadpool_limits(limits=1)
    return limits


def _standardised(model: RiskModel, rows: Sequence[Sequence[float]]) -> NDArray[np.float64]:
    import numpy as np

    matrix = transformed(model.choice.transform, rows)[:, model.columns]
    standard: NDArray[np.float64] = (matrix - np.asarray(model.mean)) / np.asarray(model.scale)
    return standard


def _log_odds(model: RiskModel, standard: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    if model.boosted is not None:
        with _one_thread():
            found: NDArray[np.float64] = model.boosted.decision_function(standard)
        return found
    linear: NDArray[np.float64] = standard @ np.asarray(model.coefficients) + model.intercept
    return linear


def probabilities(model: RiskModel, rows: Sequence[Sequence[float]]) -> list[float]:
    """The risk of each row; ``rows`` are all the rows of one snapshot (a snapshot-relative
    reading ranks each row among the others)."""
    import numpy as np

    if not rows:
        return []
    log_odds = _log_odds(model, _standardised(model, rows))
    return [float(v) for v in 1.0 / (1.0 + np.exp(-log_odds))]


def contributions(
    model: RiskModel, rows: Sequence[Sequence[float]], index: int
) -> list[Contribution]:
    """Each feature's share of row ``index``'s log-odds (``rows``: its whole snapshot), largest
    push towards risk first. Exact for logistic regression: the intercept plus these sum to
    the row's log-odds."""
    standard = _standardised(model, rows)[index]
    if model.boosted is None:
        effects = [c * v for c, v in zip(model.coefficients, standard, strict=True)]
    else:
        whole = float(_log_odds(model, standard.reshape(1, -1))[0])
        effects = []
        for column in range(len(standard)):
            at_mean = standard.copy()
            at_mean[column] = 0.0
            effects.append(whole - float(_log_odds(model, at_mean.reshape(1, -1))[0]))
    values = rows[index]
    found = [
        Contribution(model.features[column], float(values[column]), effect, bool(position > 0))
        for column, effect, position in zip(model.columns, effects, standard, strict=True)
    ]
    return sorted(found, key=lambda item: (-item.log_odds, item.feature))


def explain(model: RiskModel, rows: Sequence[Sequence[float]], index: int, top: int = 2) -> str:
    """ "risk of a fix within a year: 34%, top 5% in this repository; driven by 6 minor
    contributors and 340 lines changed in the last 6 months": the features that raise the
    risk most, with their values (in the words every surface uses,
    :func:`bmad.analysis.risk_store.risk_sentence`)."""
    from bmad.analysis.risk_store import risk_sentence

    risks = probabilities(model, rows)
    risk = risks[index]
    share = sum(1 for other in risks if other >= risk) / len(risks)
    drivers = [item for item in contributions(model, rows, index)[:top] if item.log_odds > 0]
    return risk_sentence(risk, share, [describe_contribution(item) for item in drivers])


def describe_contribution(item: Contribution) -> str:
    """ "6 minor contributors" for a high value; "few revisions (2)" for a low one that raises
    the risk all the same."""
    label = FEATURE_LABELS.get(item.feature, item.feature.replace("_", " "))
    if item.feature == "in_cycle":
        return label if item.high else "not in an import cycle"
    if item.feature in SHARES:
        return f"{'high' if item.high else 'low'} {label} ({item.value:.0%})"
    whole = item.value >= 10 or item.value == int(item.value)
    shown = f"{item.value:.0f}" if whole else f"{item.value:.1f}"
    return f"{shown} {label}" if item.high else f"few {label} ({shown})"


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """ROC AUC (ties count half); None without both classes."""
    import numpy as np

    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    ranks = _mid_ranks(np.asarray(scores, dtype=float))
    above = sum(rank for rank, label in zip(ranks, labels, strict=True) if label)
    return float((above - positives * (positives + 1) / 2) / (positives * negatives))


def select(
    features: tuple[str, ...],
    snapshots: Sequence[LabelledSnapshot],
    horizon: int,
    window: int,
    folds: int,
    choices: Sequence[ModelChoice] = CHOICES,
) -> Selection:
    """The candidate with the best mean ROC AUC on validation windows.

    ``snapshots`` are newest first, each labelled by the ``horizon`` seconds after it. Window
    k validates on snapshot k with a model trained on the ``window`` newest snapshots whose
    labels end by snapshot k's time; ``folds`` such windows are tried. A window where no model
    can be trained (too little history) or whose labels are all alike is skipped; with none
    left the choice is :data:`DEFAULT_CHOICE`."""
    totals = dict.fromkeys(choices, 0.0)
    windows = 0
    for validated in snapshots[:folds]:
        earlier = [s for s in snapshots if s.time + horizon <= validated.time][:window]
        training = TrainingSet(features, earlier)
        if (
            not enough_history(training)
            or auc([0.0] * len(validated.labels), validated.labels) is None
        ):
            continue
        windows += 1
        for choice in choices:
            model = train(training, choice)
            assert model is not None  # enough_history holds
            score = auc(probabilities(model, validated.rows), validated.labels)
            totals[choice] += score if score is not None else 0.5
    if not windows:
        return Selection(DEFAULT_CHOICE, {}, 0)
    means = {choice: total / windows for choice, total in totals.items()}
    best = max(choices, key=lambda choice: (means[choice], -choices.index(choice)))
    return Selection(best, means, windows)
