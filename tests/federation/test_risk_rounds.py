"""Federated training of the risk model: five organisations, several secure-aggregation rounds
in-process with OpenDP noise at the medium level, and the model's decision afterwards."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from bmad.analysis.risk_model import LabelledSnapshot, probabilities
from bmad.errors import BmadError
from bmad.federation.governance import governance_for
from bmad.federation.risk_rounds import (
    as_risk_model,
    organisation_records,
    simulated_secure_sum,
    train_federated,
)
from bmad.privacy.risk_schema import RiskSchema

FEATURES = ("churn", "tokens", "priority")  # the last one is left out of the federated model
COLUMNS = (0, 1)
FILES = 400


def _snapshot(organisation: int) -> LabelledSnapshot:
    """Files whose churn decides a later fix (the top 30%); tokens are unrelated to it."""
    rows = [[float(i), float((i * 7919 + organisation) % FILES), 1.0] for i in range(FILES)]
    labels = [i >= 0.7 * FILES for i in range(FILES)]
    keys = [f"org{organisation}/file{i}.py" for i in range(FILES)]
    return LabelledSnapshot(0, rows, labels, keys)


def test_five_organisations_train_a_model_that_ranks_churned_files_first() -> None:
    medium = governance_for("medium")
    schema = RiskSchema(tuple(FEATURES[c] for c in COLUMNS))
    organisations = [organisation_records([_snapshot(o)], COLUMNS) for o in range(5)]
    sums: list[list[int]] = []

    def secure_sum(vectors: Sequence[Sequence[int]], threshold: int) -> list[int]:
        assert len(vectors) == 5 and threshold == 5
        sums.append(simulated_secure_sum(vectors, threshold))
        return sums[-1]

    trained = train_federated(schema, organisations, medium, steps=3, secure_sum=secure_sum)

    assert len(sums) == 3 and all(len(found) == schema.dim for found in sums)
    assert math.isclose(trained.guarantee.epsilon, medium.epsilon_per_round, rel_tol=1e-6)
    assert trained.plans[0].participants == 5
    assert abs(trained.rows - 5 * FILES) < 600  # noise sd ~70 rows
    _intercept, churn, tokens = trained.weights
    assert churn > 0 and churn > abs(tokens)
    model = as_risk_model(trained, FEATURES, COLUMNS)
    quiet, busy, middle = [1.0, 50.0, 9.0], [99.0, 50.0, 0.0], [50.0, 50.0, 0.0]
    risks = probabilities(model, [quiet, busy, middle])
    assert risks[1] > risks[2] > risks[0]


def test_a_training_needs_k_organisations() -> None:
    schema = RiskSchema(("churn", "tokens"))
    with pytest.raises(BmadError, match="at least 5"):
        train_federated(
            schema,
            [organisation_records([_snapshot(o)], COLUMNS) for o in range(4)],
            governance_for("medium"),
        )
