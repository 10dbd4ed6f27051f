"""A risk model as plain JSON, for the store: every form :func:`bmad.analysis.risk_model.select`
can choose, read back without pickle and without scikit-learn.

Logistic regression is its coefficients. Gradient boosting is its trees: each node's feature,
threshold, side for missing values, children and leaf value, evaluated here as scikit-learn's
predictor does (``value <= threshold`` goes left, NaN follows ``missing_go_to_left``), summed
over the trees from the baseline, so the stored model gives the fitted one's log-odds. A
model's identity is the SHA-256 of its document: stored risks name the models they came from,
and a new model (retrained here, or released by the federation) makes them stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bmad.analysis.risk_model import ModelChoice, RiskModel

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Tree:
    """One regression tree, its nodes in scikit-learn's order (node 0 is the root)."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    missing_left: tuple[bool, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    leaf: tuple[bool, ...]
    value: tuple[float, ...]

    def predict(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each row's leaf value (depth-first walk of all rows at once)."""
        import numpy as np

        node = np.zeros(len(matrix), dtype=np.intp)
        leaf = np.asarray(self.leaf)
        feature = np.asarray(self.feature, dtype=np.intp)
        threshold = np.asarray(self.threshold)
        missing_left = np.asarray(self.missing_left)
        left, right = np.asarray(self.left, dtype=np.intp), np.asarray(self.right, dtype=np.intp)
        rows = np.arange(len(matrix))
        while not leaf[node].all():
            inner = ~leaf[node]
            values = matrix[rows[inner], feature[node[inner]]]
            goes_left = np.where(
                np.isnan(values), missing_left[node[inner]], values <= threshold[node[inner]]
            )
            node[inner] = np.where(goes_left, left[node[inner]], right[node[inner]])
        found: NDArray[np.float64] = np.asarray(self.value)[node]
        return found


@dataclass(frozen=True, slots=True)
class BoostedTrees:
    """Gradient boosting read back from the store: the baseline plus every tree's leaf."""

    baseline: float
    trees: tuple[Tree, ...]

    def decision_function(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        import numpy as np

        total: NDArray[np.float64] = np.full(len(matrix), self.baseline)
        for tree in self.trees:
            total += tree.predict(matrix)
        return total


def _trees_of(boosted: Any) -> BoostedTrees:
    """The trees of a fitted binary HistGradientBoostingClassifier (or of a stored model)."""
    if isinstance(boosted, BoostedTrees):
        return boosted
    trees = []
    for iteration in boosted._predictors:  # one tree per iteration for a binary target
        (predictor,) = iteration
        nodes = predictor.nodes
        if bool(nodes["is_categorical"].any()):
            raise ValueError("categorical splits cannot be stored: risk features are numeric")
        trees.append(
            Tree(
                feature=tuple(int(v) for v in nodes["feature_idx"]),
                threshold=tuple(float(v) for v in nodes["num_threshold"]),
                missing_left=tuple(bool(v) for v in nodes["missing_go_to_left"]),
                left=tuple(int(v) for v in nodes["left"]),
                right=tuple(int(v) for v in nodes["right"]),
                leaf=tuple(bool(v) for v in nodes["is_leaf"]),
                value=tuple(float(v) for v in nodes["value"]),
            )
        )
    return BoostedTrees(float(boosted._baseline_prediction.ravel()[0]), tuple(trees))


def to_document(model: RiskModel) -> dict[str, Any]:
    """The model as JSON-ready data (floats keep every bit: JSON writes their ``repr``)."""
    boosted = None if model.boosted is None else _trees_of(model.boosted)
    return {
        "format": FORMAT_VERSION,
        "features": list(model.features),
        "columns": list(model.columns),
        "choice": {
            "family": model.choice.family,
            "transform": model.choice.transform,
            "regularisation": model.choice.regularisation,
            "detection": model.choice.detection,
        },
        "mean": list(model.mean),
        "scale": list(model.scale),
        "coefficients": list(model.coefficients),
        "intercept": model.intercept,
        "boosted": None
        if boosted is None
        else {
            "baseline": boosted.baseline,
            "trees": [
                {
                    "feature": list(tree.feature),
                    "threshold": list(tree.threshold),
                    "missing_left": list(tree.missing_left),
                    "left": list(tree.left),
                    "right": list(tree.right),
                    "leaf": list(tree.leaf),
                    "value": list(tree.value),
                }
                for tree in boosted.trees
            ],
        },
        "examples": model.examples,
        "positives": model.positives,
        "snapshots": model.snapshots,
    }


def from_document(document: Mapping[str, Any]) -> RiskModel:
    """The model :func:`to_document` wrote; a document of another format is a ValueError."""
    if document.get("format") != FORMAT_VERSION:
        raise ValueError(f"risk model format {document.get('format')!r} is not {FORMAT_VERSION}")
    choice = document["choice"]
    boosted = document["boosted"]
    return RiskModel(
        features=tuple(str(name) for name in document["features"]),
        columns=tuple(int(v) for v in document["columns"]),
        choice=ModelChoice(
            str(choice["family"]),
            str(choice["transform"]),
            float(choice["regularisation"]),
            bool(choice["detection"]),
        ),
        mean=_floats(document["mean"]),
        scale=_floats(document["scale"]),
        coefficients=_floats(document["coefficients"]),
        intercept=float(document["intercept"]),
        boosted=None
        if boosted is None
        else BoostedTrees(
            float(boosted["baseline"]),
            tuple(
                Tree(
                    tuple(int(v) for v in tree["feature"]),
                    _floats(tree["threshold"]),
                    tuple(bool(v) for v in tree["missing_left"]),
                    tuple(int(v) for v in tree["left"]),
                    tuple(int(v) for v in tree["right"]),
                    tuple(bool(v) for v in tree["leaf"]),
                    _floats(tree["value"]),
                )
                for tree in boosted["trees"]
            ),
        ),
        examples=int(document["examples"]),
        positives=int(document["positives"]),
        snapshots=int(document["snapshots"]),
    )


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def encode(model: RiskModel) -> str:
    return json.dumps(to_document(model), sort_keys=True, separators=(",", ":"))


def decode(text: str) -> RiskModel:
    document: dict[str, Any] = json.loads(text)
    return from_document(document)


def model_digest(model: RiskModel | None) -> str:
    """The model's identity: the SHA-256 of its document ('' for no model)."""
    if model is None:
        return ""
    return hashlib.sha256(encode(model).encode()).hexdigest()
