"""IsolationForest per language family (pooled when a family is small), with explanations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bmad.analysis.explain import FeatureEffect
from bmad.analysis.features import FeatureRow, RobustScaler
from bmad.analysis.reference import (
    LOCAL_SCOPE,
    LocalOnly,
    LocalReference,
    Reference,
    ReferenceSource,
)
from bmad.analysis.settings import ModelSettings

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class AnomalyResult:
    score: float  # -score_samples: about 0.5 is ordinary, closer to 1 is more isolated
    flagged: bool
    model: str  # the family whose model scored it, or "pooled"
    effects: tuple[FeatureEffect, ...]  # filled for flagged functions only
    scope: str = LOCAL_SCOPE  # whose functions the score and percentiles refer to

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "flagged": self.flagged,
            "model": self.model,
            "effects": [asdict(effect) for effect in self.effects],
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnomalyResult:
        return cls(
            score=float(data["score"]),
            flagged=bool(data["flagged"]),
            model=str(data["model"]),
            effects=tuple(FeatureEffect(**effect) for effect in data.get("effects") or ()),
            scope=str(data.get("scope", LOCAL_SCOPE)),
        )


@dataclass(frozen=True, slots=True)
class ModelReport:
    results: tuple[AnomalyResult | None, ...]  # one per row; None: no model could score it
    models: dict[str, int]  # model name -> functions it was trained on
    notes: tuple[str, ...]


def reference_family(name: str, rows: Sequence[FeatureRow]) -> str | None:
    """The language family whose population a model may refer to: its own, or for the pooled
    model that of a one-family repository (a mix of languages has no one population)."""
    if name != "pooled":
        return name
    families = {row.family for row in rows}
    return families.pop() if len(families) == 1 else None


class FamilyModel:
    """One fitted forest with its scaler and reference."""

    def __init__(
        self,
        name: str,
        names: Sequence[str],
        rows: Sequence[FeatureRow],
        settings: ModelSettings,
        source: ReferenceSource,
    ) -> None:
        import numpy as np
        from sklearn.ensemble import IsolationForest

        self.name = name
        self.names = tuple(names)
        local = LocalReference(
            {feature: [row.values[i] for row in rows] for i, feature in enumerate(names)}
        )
        family = reference_family(name, rows)
        self.reference: Reference = source.reference(family, local)
        self.scope = source.scope(family)
        self.scaler = RobustScaler.from_reference(names, self.reference)
        matrix = np.array([self.scaler.transform(row.values) for row in rows], dtype=float)
        self.forest: Any = IsolationForest(
            n_estimators=settings.n_estimators,
            contamination=settings.contamination,
            random_state=settings.random_state,
        ).fit(matrix)
        self.threshold = -float(self.forest.offset_)

    def _scores(self, matrix: np.ndarray[Any, Any]) -> list[float]:
        return [-float(value) for value in self.forest.score_samples(matrix)]

    def score(self, rows: Sequence[FeatureRow], min_score: float) -> list[AnomalyResult]:
        """Scores of every row; flagged rows also get the effect of each feature.

        A row is flagged when the forest marks it (score above its threshold, 0.5 with
        contamination "auto") and its score reaches ``min_score``.
        """
        import numpy as np

        matrix = np.array([self.scaler.transform(row.values) for row in rows], dtype=float)
        scores = self._scores(matrix)
        flagged = [
            index
            for index, score in enumerate(scores)
            if score > self.threshold and score >= min_score
        ]
        width = len(self.names)
        effects: dict[int, tuple[FeatureEffect, ...]] = {}
        if flagged:
            # one batch: each flagged row repeated once per feature, that feature at its median
            variants = np.repeat(matrix[flagged], width, axis=0)
            for position in range(len(flagged)):
                for feature in range(width):
                    variants[position * width + feature, feature] = 0.0  # median after scaling
            at_median = self._scores(variants)
            for position, index in enumerate(flagged):
                row, vector = rows[index], matrix[index]
                effects[index] = tuple(
                    FeatureEffect(
                        feature=name,
                        value=row.values[feature],
                        percentile=self.reference.percentile(name, row.values[feature]),
                        score_drop=scores[index] - at_median[position * width + feature]
                        if vector[feature] > 0
                        else 0.0,
                    )
                    for feature, name in enumerate(self.names)
                )
        return [
            AnomalyResult(score, index in effects, self.name, effects.get(index, ()), self.scope)
            for index, score in enumerate(scores)
        ]


def fit_and_score(
    names: Sequence[str],
    rows: Sequence[FeatureRow],
    settings: ModelSettings,
    source: ReferenceSource | None = None,
) -> ModelReport:
    """Score every row with its family's model, or the pooled one when the family is small."""
    source = source or LocalOnly()
    if len(rows) < settings.min_functions:
        note = (
            f"anomaly detection skipped: {len(rows)} functions, "
            f"fewer than the {settings.min_functions} a model needs"
        )
        return ModelReport(tuple(None for _ in rows), {}, (note,))
    by_family: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_family.setdefault(row.family, []).append(index)
    results: list[AnomalyResult | None] = [None] * len(rows)
    models: dict[str, int] = {}
    pooled_indexes: list[int] = []
    for family in sorted(by_family):
        indexes = by_family[family]
        if len(indexes) < settings.min_family_functions:
            pooled_indexes += indexes
            continue
        family_rows = [rows[index] for index in indexes]
        model = FamilyModel(family, names, family_rows, settings, source)
        models[family] = len(family_rows)
        scored = model.score(family_rows, settings.min_anomaly_score)
        for index, result in zip(indexes, scored, strict=True):
            results[index] = result
    if pooled_indexes:
        pooled = FamilyModel("pooled", names, rows, settings, source)
        models["pooled"] = len(rows)
        pooled_rows = [rows[index] for index in pooled_indexes]
        scored = pooled.score(pooled_rows, settings.min_anomaly_score)
        for index, result in zip(pooled_indexes, scored, strict=True):
            results[index] = result
    return ModelReport(tuple(results), models, ())
