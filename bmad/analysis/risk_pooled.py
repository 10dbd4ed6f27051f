"""The pooled risk model, trained on other repositories' past, and its blend with the local one.

A repository with a short or noisy past learns little from its own 10-40 fixed files per
window; other repositories' snapshots hold many more. Read relative to each snapshot
(percentile ranks or z-scores of logarithms, :func:`bmad.analysis.risk_model.transformed`),
every feature means the same in any repository, so one model can be fitted on the rows of
many. Each repository weighs the same in the fit whatever its size (one repository's rows sum
to one), as each organisation does in a federated round.

What serves a repository is chosen on its own validation windows (the snapshots at T - 1y
and T - 1.5y, whose labels end by T): the pooled model's form, and the blend's weight on the
local model's log-odds against the pooled model's. Without a validation window the pooled
model serves alone (cold start).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bmad.analysis.risk_model import (
    LabelledSnapshot,
    ModelChoice,
    RiskModel,
    TrainingSet,
    auc,
    fit,
    probabilities,
    train,
)

POOLED_CHOICES = tuple(
    ModelChoice("logistic", transform, strength, detection=False)
    for transform in ("snapshot_rank", "snapshot_z")
    for strength in (0.1, 0.01)
)
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the local model's share of the log-odds


@dataclass(frozen=True, slots=True)
class PooledModel:
    model: RiskModel
    validation_auc: dict[ModelChoice, float]  # on the served repository's windows; may be empty


def train_pooled(sources: Sequence[TrainingSet], choice: ModelChoice) -> RiskModel:
    """One model over every source's snapshots, each source weighing the same in the fit."""
    snapshots = [snapshot for source in sources for snapshot in source.snapshots]
    weights = [
        1.0 / max(1, sum(len(s.labels) for s in source.snapshots))
        for source in sources
        for _snapshot in source.snapshots
    ]
    return fit(TrainingSet(sources[0].features, snapshots), choice, weights)


def select_pooled(
    sources: Sequence[TrainingSet],
    validation: Sequence[LabelledSnapshot],
    choices: Sequence[ModelChoice] = POOLED_CHOICES,
) -> PooledModel:
    """The pooled candidate with the best mean ROC AUC on ``validation`` (the served
    repository's windows; ties and no usable window: the earlier candidate)."""
    usable = [s for s in validation if auc([0.0] * len(s.labels), s.labels) is not None]
    if not usable:
        return PooledModel(train_pooled(sources, choices[0]), {})
    models = {choice: train_pooled(sources, choice) for choice in choices}
    means: dict[ModelChoice, float] = {}
    for choice, model in models.items():
        found = [auc(probabilities(model, s.rows), s.labels) for s in usable]
        means[choice] = sum(v for v in found if v is not None) / len(usable)
    best = max(choices, key=lambda c: (means[c], -choices.index(c)))
    return PooledModel(models[best], means)


def local_validation(
    features: tuple[str, ...],
    snapshots: Sequence[LabelledSnapshot],
    choice: ModelChoice,
    horizon: int,
    window: int,
    folds: int,
) -> list[tuple[LabelledSnapshot, list[float]]]:
    """The local model's risks on each validation window it can be trained for, as
    :func:`bmad.analysis.risk_model.select` forms them."""
    found = []
    for validated in snapshots[:folds]:
        earlier = [s for s in snapshots if s.time + horizon <= validated.time][:window]
        model = train(TrainingSet(features, earlier), choice)
        if model is not None and auc([0.0] * len(validated.labels), validated.labels) is not None:
            found.append((validated, probabilities(model, validated.rows)))
    return found


def blended(local: Sequence[float], pooled: Sequence[float], weight: float) -> list[float]:
    """The risk whose log-odds are ``weight`` x the local model's + the rest x the pooled one's."""
    return [
        _sigmoid(weight * _logit(a) + (1 - weight) * _logit(b))
        for a, b in zip(local, pooled, strict=True)
    ]


def blend_weight(
    windows: Sequence[tuple[LabelledSnapshot, Sequence[float]]], pooled: RiskModel
) -> float | None:
    """The local model's weight with the best mean validation AUC over ``windows`` (the local
    model's risks on each); None without a window (the pooled model then serves alone)."""
    if not windows:
        return None
    means = {}
    for weight in BLEND_WEIGHTS:
        scores = [
            auc(blended(local, probabilities(pooled, validated.rows), weight), validated.labels)
            for validated, local in windows
        ]
        means[weight] = sum(v for v in scores if v is not None) / len(windows)
    return max(BLEND_WEIGHTS, key=lambda w: (means[w], -BLEND_WEIGHTS.index(w)))


def _logit(probability: float) -> float:
    clipped = min(max(probability, 1e-9), 1 - 1e-9)
    return math.log(clipped / (1 - clipped))


def _sigmoid(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds))
