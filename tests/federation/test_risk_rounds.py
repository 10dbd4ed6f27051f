"""Federated training of the risk model: five organisations, several secure-aggregation rounds
in-process with OpenDP noise at the medium level, and the model's decision afterwards; then
the same through the real engine: the ``risk_model`` learning type's rounds over HTTP on
loopback, consent, the ledger, and the released model cached by every member."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bmad.analysis.risk_features import FILE_FEATURES
from bmad.analysis.risk_model import LabelledSnapshot, probabilities
from bmad.errors import BmadError
from bmad.federation import membership
from bmad.federation.governance import governance_for
from bmad.federation.risk_rounds import (
    FEDERATED_COLUMNS,
    as_risk_model,
    cached_global_model,
    organisation_records,
    round_contribution,
    simulated_secure_sum,
    step_budget,
    train_federated,
    train_in_rounds,
)
from bmad.federation.trust import RoundRefused
from bmad.privacy.accounting import rho_budget
from bmad.privacy.risk_schema import Record, RiskSchema
from tests.federation.harness import (
    Aggregator,
    Federation,
    fast_settings,
    finished_round,
    in_threads,
    make_members,
)

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


FAST = fast_settings(300.0)
RECENT_CHURN = FILE_FEATURES.index("recent_churn")
WEIGHTS = len(FEDERATED_COLUMNS) + 1  # the intercept, then the federated features


def churn_records(organisation: int, files: int = 120, snapshots: int = 2) -> list[Record]:
    """Files whose recent churn decides a later fix (the top 30%); every other feature is
    unrelated to it, in ``snapshots`` snapshots."""
    labelled = []
    for time_index in range(snapshots):
        rows = [
            [
                float((i * 31 + f * 7 + organisation + time_index) % files)
                for f in range(len(FILE_FEATURES))
            ]
            for i in range(files)
        ]
        for i, row in enumerate(rows):
            row[RECENT_CHURN] = float(i)
        labels = [i >= 0.7 * files for i in range(files)]
        keys = [f"org{organisation}/file{i}.py" for i in range(files)]
        labelled.append(LabelledSnapshot(time_index, rows, labels, keys))
    return organisation_records(labelled, FEDERATED_COLUMNS)


def test_a_round_at_a_model_that_is_not_one_is_refused() -> None:
    records = churn_records(0, 10)
    with pytest.raises(RoundRefused, match="weights"):
        round_contribution({"weights": [1e6] * WEIGHTS}, records)
    with pytest.raises(RoundRefused, match=f"{WEIGHTS} weights"):
        round_contribution({"weights": [0.0, 1.0]}, records)
    found = round_contribution({"weights": [0.0] * WEIGHTS}, records)
    assert found is not None and len(found.vector) == WEIGHTS + 1
    assert found.vector[0] == 250 * 2 * 10  # two rows for each of ten files
    assert round_contribution({"weights": [0.0] * WEIGHTS}, []) is None


def test_the_steps_together_cost_one_round() -> None:
    per_step = step_budget(2.0, 1e-5, 4)
    assert math.isclose(4 * rho_budget(per_step, 1e-5), rho_budget(2.0, 1e-5), rel_tol=1e-6)


@pytest.mark.usefixtures("opendp_imported")
def test_five_members_train_the_risk_model_through_real_rounds(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    world = Federation.enrolled(
        aggregator.url, tmp_path, make_members(tmp_path / "members", 5), learning_type="risk_model"
    )
    records = {str(p.repo): churn_records(index) for index, p in enumerate(world.members)}

    def follow(round_id: str) -> dict[str, Any]:
        errors = in_threads(
            *(p.taking_part(FAST, risk_records=lambda repo: records[repo]) for p in world.members)
        )
        assert not errors, errors
        return finished_round(world.admin, round_id, seconds=60)

    member = membership.current(world.admin_store)
    assert member is not None
    trained = train_in_rounds(world.admin_store, world.admin, member, 2, 2.0, 1e-5, follow)

    assert [state["state"] for state in trained.rounds] == ["released", "released"], [
        state["reason"] for state in trained.rounds
    ]
    assert [state["organisations"] for state in trained.rounds] == [{"completed": 5}] * 2
    assert trained.insights is not None
    step = trained.insights["model"]
    assert step["start"] != [0.0] * 26  # the second step started from the first one's model
    assert abs(step["rows"] - 5 * 2 * 120) < 300
    for participant in world.members:
        outcomes = [o.outcome for o in participant.outcomes]  # type: ignore[attr-defined]
        assert outcomes == ["released", "released"]
        usage = participant.settings.ledger(participant.store).usage(
            "repository", str(participant.repo)
        )
        spent = usage.by_type["risk_model"]["spent_rho"]
        assert math.isclose(spent, rho_budget(2.0, 1e-5), rel_tol=1e-3)
        model = cached_global_model(participant.store)
        assert model is not None
        busy, quiet = [10.0] * len(FILE_FEATURES), [10.0] * len(FILE_FEATURES)
        busy[RECENT_CHURN], quiet[RECENT_CHURN] = 100.0, 0.0
        low, high = probabilities(model, [quiet, busy])
        assert high > low
    assert cached_global_model(world.admin_store) is not None
