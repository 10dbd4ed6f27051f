"""The pooled risk model: other repositories' snapshots, each repository weighing the same;
its form and the blend with the local model chosen on the served repository's windows."""

from __future__ import annotations

import math

from bmad.analysis.risk_model import LabelledSnapshot, TrainingSet, auc, probabilities
from bmad.analysis.risk_pooled import (
    POOLED_CHOICES,
    blend_weight,
    blended,
    local_validation,
    select_pooled,
    train_pooled,
)

FEATURES = ("revisions", "authors")
YEAR = 365 * 86_400


def snapshot(time: int, size: int, shift: int = 0, decisive: int = 0) -> LabelledSnapshot:
    """``size`` rows whose feature ``decisive`` decides the label (its top third)."""
    rows = [[float((i + shift) % size), float((i * 7 + shift) % size)] for i in range(size)]
    return LabelledSnapshot(time, rows, [row[decisive] >= 2 * size / 3 for row in rows])


def test_a_large_repository_weighs_no_more_than_a_small_one() -> None:
    large = TrainingSet(FEATURES, [snapshot(0, 600, decisive=0)])
    small = TrainingSet(FEATURES, [snapshot(0, 60, decisive=1)])
    model = train_pooled([large, small], POOLED_CHOICES[0])
    revisions, authors = model.coefficients
    assert revisions > 0 and authors > 0
    assert math.isclose(revisions, authors, rel_tol=0.35)
    unweighted = train_pooled(
        [TrainingSet(FEATURES, [*large.snapshots, *small.snapshots])], POOLED_CHOICES[0]
    )
    assert unweighted.coefficients[0] > 3 * unweighted.coefficients[1]


def test_the_pooled_form_is_chosen_on_the_served_repositorys_windows() -> None:
    sources = [TrainingSet(FEATURES, [snapshot(0, 90, shift=s)]) for s in range(3)]
    windows = [snapshot(YEAR, 45, shift=5), snapshot(0, 45, shift=9)]
    pooled = select_pooled(sources, windows)
    assert set(pooled.validation_auc) == set(POOLED_CHOICES)
    best = max(pooled.validation_auc.values())
    assert pooled.validation_auc[pooled.model.choice] == best > 0.9
    alike = LabelledSnapshot(YEAR, [[1.0, 2.0]] * 10, [False] * 10)
    assert select_pooled(sources, [alike]).model.choice == POOLED_CHOICES[0]


def test_the_blend_follows_whichever_model_ranked_the_windows_better() -> None:
    assert math.isclose(blended([0.9], [0.1], 0.5)[0], 0.5)
    assert math.isclose(blended([0.8], [0.2], 1.0)[0], 0.8)
    pooled = train_pooled([TrainingSet(FEATURES, [snapshot(0, 90)])], POOLED_CHOICES[0])
    window = snapshot(YEAR, 60, decisive=1)  # the pooled model learned the other feature
    assert 0.5 < (auc(probabilities(pooled, window.rows), window.labels) or 0) < 0.9
    backwards = [0.0 if label else 1.0 for label in window.labels]
    perfect = [1.0 if label else 0.0 for label in window.labels]
    assert blend_weight([(window, backwards)], pooled) == 0.0
    weight = blend_weight([(window, perfect)], pooled)
    assert weight is not None and weight > 0  # the least local weight that ranks it perfectly
    mixed = blended(perfect, probabilities(pooled, window.rows), weight)
    assert auc(mixed, window.labels) == 1.0
    assert blend_weight([], pooled) is None


def test_the_local_model_is_validated_only_where_its_past_suffices() -> None:
    past = [snapshot(4 * YEAR - YEAR // 2 * i, 60, shift=i) for i in range(6)]
    found = local_validation(FEATURES, past, POOLED_CHOICES[0], YEAR, window=4, folds=2)
    assert [validated.time for validated, _risks in found] == [past[0].time, past[1].time]
    assert all(len(risks) == 60 for _validated, risks in found)
    assert local_validation(FEATURES, past[-3:], POOLED_CHOICES[0], YEAR, 4, 2) == []
