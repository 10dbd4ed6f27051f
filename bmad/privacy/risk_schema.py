"""The ``risk_model`` learning type: one organisation's bounded vector for one training step.

Organisations train the defect-risk model together by gradient steps on the logistic loss
(``bmad.federation.risk_rounds``). In each step an organisation sends, summed over its records,
each record's gradient at the current global model, clipped and in fixed point:

- A record is one file (file level) or one function (function level) with all its rows in
  the organisation's training snapshots: a row is the record at one snapshot, read as the
  percentile of each feature within its snapshot minus 1/2 (so every value lies in (-1/2, 1/2)
  whatever the repository's size or age), with a leading 1 for the intercept, and labelled by
  whether a fix changed it in the year after the snapshot. Rows of the same path (and
  qualified name) are one record; a file renamed between snapshots counts as two.
- Block ``rows``: the record's number of rows, at most :data:`MAX_ROWS` (snapshots beyond it are
  not sent), times :data:`ROWS_WEIGHT`. Summed, it tells the server how many rows the step's
  gradient covers (its step size needs that).
- Block ``gradient``: sum over the record's rows of (label - predicted risk) x row, scaled to
  L2 norm at most :data:`CLIP` when longer, then times :data:`FIXED_POINT` and truncated towards
  zero (so truncation never lengthens it): L2 norm <= ``FIXED_POINT * CLIP`` in integers.

Sensitivity, for replacing one record by any other (which covers adding or removing one):
the rows block moves by at most ``ROWS_WEIGHT * MAX_ROWS`` and the gradient block by at most
``2 * FIXED_POINT * CLIP`` in L2, so the step's L2 sensitivity is the root of their squares'
sum (:attr:`RiskSchema.l2_sensitivity`) and its L1 sensitivity at most that times the root of
the dimension. The unit of privacy is the record: an organisation sends at most
:data:`RECORD_CAP` records per step, drawn with ``secrets`` when it has more. The cap also keeps
a group's sum inside the secure sum's 32-bit range: one organisation's coordinate is at most
``RECORD_CAP * FIXED_POINT * CLIP`` = 10^7 in magnitude, so over 200 organisations fit.

The learning type the federation runs (:data:`RISK_SCHEMA`, registered with the other
schemas) is the file-level model over :data:`FEDERATED_FEATURES`: every file feature except
bmad's own detection marks, whose meaning depends on local settings. Its round vector is the
rows block (``BinCap``) then the gradient block (``NormBall``), so the round machinery sizes
its noise from the same bounds as above. What the server releases after a step is the noisy
sum, read by :func:`read_sum`, and the model one bounded-Hessian step further
(:func:`step_weights`), which every member can recompute from the released sum.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bmad.analysis.risk_features import DETECTION_FEATURES, FILE_FEATURES
from bmad.errors import BmadError
from bmad.privacy.bounding import BinCap, Block, ContributionSchema, NormBall

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

LEARNING_TYPE = "risk_model"
VERSION = 3  # 2: the record cap went from 20,000 to 5,000 (the secure sum's 32-bit range);
# 3: three time-decayed features (revisions, fixes, churn) joined FEDERATED_FEATURES
FIXED_POINT = 1000  # integer units per 1.0 of gradient
CLIP = 2.0  # L2 bound of one record's gradient; above the 99th percentile of one row's
MAX_ROWS = 7  # rows (snapshots) of one record that count; the local model's past holds 7
ROWS_WEIGHT = 250  # so that the rows block's bound is under half the gradient block's
RECORD_CAP = 5_000
MAX_WEIGHT = 50.0  # largest |weight| a round may ask members to compute gradients at
FEDERATED_FEATURES = tuple(name for name in FILE_FEATURES if name not in DETECTION_FEATURES)


@dataclass(frozen=True, slots=True)
class Record:
    """One file or function: its rows (centred percentiles, intercept first) and labels."""

    rows: Sequence[Sequence[float]]
    labels: Sequence[bool]


@dataclass(frozen=True, slots=True)
class RiskSchema:
    """The vector layout of one training step over ``features`` (read as percentiles)."""

    features: tuple[str, ...]
    learning_type: str = LEARNING_TYPE
    version: int = VERSION

    @property
    def labels(self) -> tuple[str, ...]:
        return ("rows/rows", "gradient/intercept", *(f"gradient/{f}" for f in self.features))

    @property
    def dim(self) -> int:
        return len(self.labels)

    @property
    def record_bound(self) -> int:
        """The largest L2 norm of one record's gradient block, in integers."""
        return round(FIXED_POINT * CLIP)

    @property
    def l2_squared_sensitivity(self) -> int:
        return (ROWS_WEIGHT * MAX_ROWS) ** 2 + (2 * self.record_bound) ** 2

    @property
    def l2_sensitivity(self) -> float:
        return math.sqrt(self.l2_squared_sensitivity)

    @property
    def l1_sensitivity(self) -> float:
        """An upper bound: the L2 sensitivity times the root of the dimension."""
        return self.l2_sensitivity * math.sqrt(self.dim)

    @property
    def definitions(self) -> tuple[tuple[str, str], ...]:
        return (
            ("record", "one file or function with all its rows in the training snapshots"),
            ("row", "each feature's percentile within its snapshot minus 1/2, intercept 1"),
            ("rows", f"the record's rows, at most {MAX_ROWS}, times {ROWS_WEIGHT}"),
            (
                "gradient",
                f"sum of (label - risk) x row over the record's rows, clipped to L2 {CLIP:g}, "
                f"times {FIXED_POINT}, truncated towards zero",
            ),
            ("unit", f"record: one file or function, at most {RECORD_CAP} per organisation"),
        )

    @property
    def contribution(self) -> ContributionSchema:
        """The same layout and bounds as the round machinery reads them."""
        gradient = ("intercept", *self.features)
        return ContributionSchema(
            learning_type=self.learning_type,
            version=self.version,
            blocks=(
                Block("rows", ("rows",), BinCap(ROWS_WEIGHT * MAX_ROWS)),
                Block("gradient", gradient, NormBall(self.record_bound)),
            ),
            definitions=self.definitions,
        )


def record_vectors(
    schema: RiskSchema, records: Sequence[Record], weights: Sequence[float]
) -> NDArray[np.int64]:
    """Each record's bounded vector at the model ``weights`` (see the module's docstring), one
    row per record."""
    import numpy as np

    width = schema.dim - 1
    if len(weights) != width:
        raise BmadError(f"the model has {len(weights)} weights; the schema needs {width}")
    kept = [min(len(record.labels), MAX_ROWS) for record in records]
    pairs = list(zip(records, kept, strict=True))
    rows = [row for record, count in pairs for row in record.rows[:count]]
    matrix = np.asarray(rows, dtype=float).reshape(len(rows), width)
    if rows and (not np.all(matrix[:, 0] == 1.0) or np.abs(matrix[:, 1:]).max(initial=0.0) > 0.5):
        raise BmadError("rows must hold 1 then centred percentiles in [-1/2, 1/2]")
    labels = np.asarray(
        [label for record, count in pairs for label in record.labels[:count]],
        dtype=float,
    )
    log_odds = np.clip(matrix @ np.asarray(weights, dtype=float), -500.0, 500.0)
    residuals = labels - 1.0 / (1.0 + np.exp(-log_odds))
    owners = np.repeat(np.arange(len(records)), kept)
    gradients = np.zeros((len(records), width))
    np.add.at(gradients, owners, residuals[:, None] * matrix)
    norms = np.linalg.norm(gradients, axis=1)
    # A hair under CLIP, so that float rounding cannot carry a clipped norm above it; truncation
    # towards zero then keeps every |entry| <= its exact value.
    limit = CLIP * (1 - 1e-9)
    shrink = np.where(norms > limit, limit / np.maximum(norms, limit), 1.0)
    fixed = np.trunc(gradients * shrink[:, None] * FIXED_POINT).astype(np.int64)
    counts = ROWS_WEIGHT * np.asarray(kept, dtype=np.int64).reshape(-1, 1)
    vectors: NDArray[np.int64] = np.hstack([counts, fixed])
    return vectors


def organisation_vector(
    schema: RiskSchema, records: Sequence[Record], weights: Sequence[float]
) -> tuple[int, ...]:
    """The organisation's vector for one step: its records' bounded vectors summed (at most
    :data:`RECORD_CAP` of them, drawn with ``secrets`` when it has more)."""
    chosen = (
        list(records)
        if len(records) <= RECORD_CAP
        else secrets.SystemRandom().sample(list(records), RECORD_CAP)
    )
    if not chosen:
        return (0,) * schema.dim
    return tuple(int(value) for value in record_vectors(schema, chosen, weights).sum(axis=0))


@dataclass(frozen=True, slots=True)
class StepSum:
    """What the server reads from one step's unmasked, noisy sum."""

    rows: float  # noisy number of rows the gradient covers
    gradient: tuple[float, ...]  # intercept first


def read_sum(schema: RiskSchema, summed: Sequence[int]) -> StepSum:
    if len(summed) != schema.dim:
        raise BmadError(f"a {schema.learning_type} sum has {schema.dim} entries, got {len(summed)}")
    return StepSum(
        rows=summed[0] / ROWS_WEIGHT,
        gradient=tuple(value / FIXED_POINT for value in summed[1:]),
    )


def step_weights(
    weights: Sequence[float], gradient: Sequence[float], rows: float, features: int
) -> list[float]:
    """The model one bounded-Hessian step further (Böhning and Lindsay 1988, H <= X'X / 4):
    4 g / n on the intercept and 48 g / (n d) on the d features, whose centred percentiles
    give X'X a feature block of trace at most n d / 12 (``bmad.federation.risk_rounds``)."""
    rows = max(1.0, rows)
    intercept = weights[0] + 4 * gradient[0] / rows
    spread = 48 / (rows * max(features, 1))
    return [intercept, *(w + spread * g for w, g in zip(weights[1:], gradient[1:], strict=True))]


def checked_weights(schema: RiskSchema, weights: Sequence[Any]) -> tuple[float, ...]:
    """A round's model, intercept first: one finite weight per entry, each within
    :data:`MAX_WEIGHT`; BmadError otherwise."""
    if len(weights) != schema.dim - 1:
        raise BmadError(f"a {schema.learning_type} model has {schema.dim - 1} weights")
    try:
        found = tuple(float(w) for w in weights)
    except (TypeError, ValueError):
        raise BmadError(f"a {schema.learning_type} model holds numbers only") from None
    if not all(math.isfinite(w) and abs(w) <= MAX_WEIGHT for w in found):
        raise BmadError(f"a {schema.learning_type} model's weights lie within +-{MAX_WEIGHT:g}")
    return found


def opening_weights(requested: Sequence[Any] | None) -> list[float]:
    """The model a round is opened at: the one asked for, checked, or zeros (a first step)."""
    if requested is None:
        return [0.0] * (FEDERATED_SCHEMA.dim - 1)
    return list(checked_weights(FEDERATED_SCHEMA, requested))


def release(summed: Sequence[int], weights: Sequence[float]) -> dict[str, object]:
    """What a released step says: the noisy row count and gradient, the model the step
    started from, and the model after it."""
    found = read_sum(FEDERATED_SCHEMA, summed)
    start = checked_weights(FEDERATED_SCHEMA, weights)
    return {
        "features": list(FEDERATED_SCHEMA.features),
        "rows": found.rows,
        "gradient": list(found.gradient),
        "start": list(start),
        "weights": step_weights(start, found.gradient, found.rows, len(FEDERATED_FEATURES)),
    }


def records_of(
    snapshots: Sequence[tuple[Sequence[str], Sequence[Sequence[float]], Sequence[bool]]],
) -> list[Record]:
    """Records from snapshots given as (keys, centred rows, labels), newest first: the rows of
    one key form one record, newest first (a name held twice in one snapshot, such as an
    overloaded function, is one record)."""
    rows: dict[str, list[Sequence[float]]] = {}
    labels: dict[str, list[bool]] = {}
    for keys, values, found in snapshots:
        for key, row, label in zip(keys, values, found, strict=True):
            rows.setdefault(key, []).append(row)
            labels.setdefault(key, []).append(label)
    return [Record(rows[key], labels[key]) for key in sorted(rows)]


FEDERATED_SCHEMA = RiskSchema(FEDERATED_FEATURES)
RISK_SCHEMA = FEDERATED_SCHEMA.contribution
