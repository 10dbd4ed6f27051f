"""Federated training of the defect-risk model: several secure-aggregation rounds of clipped,
noised gradient sums (learning type ``risk_model``, :mod:`bmad.privacy.risk_schema`).

Each step every organisation sends its records' bounded gradients at the current model plus
its distributed discrete Gaussian share (``bmad.privacy.noise``), masked by secure
aggregation; the server unmasks only the noisy sum and moves the model. The steps are gradient
ascent on the log-likelihood from zero with Böhning and Lindsay's (1988) bound on the logistic
Hessian, H <= X'X / 4. Rows are centred percentiles, each feature summing to zero within its
snapshot, so X'X splits into the intercept's n and the features' block, whose largest
eigenvalue is at most its trace, n d / 12 for d features: the step is 4 g / n on the
intercept and 48 g / (n d) on the features, never uphill for exact sums. A few such steps from
zero are the model's only regularisation; n is the noisy row count, averaged over the steps.

Privacy: the training as a whole costs one round of the federation's budget (its epsilon per
round at its delta, as zCDP rho); each of the ``steps`` rounds spends rho / steps, and its
shares are sized for the group's reconstruction threshold (the least number of survivors),
as the round engine sizes them. Organisations form groups as the engine forms them
(``governance.group_sizes``); the groups' sums are added, each with its own full noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmad.analysis.risk_features import FILE_FEATURES
from bmad.analysis.risk_model import LabelledSnapshot, ModelChoice, RiskModel, transformed
from bmad.errors import BmadError
from bmad.federation.client import AggregatorClient
from bmad.federation.governance import Governance, group_sizes, reconstruction_threshold
from bmad.federation.membership import Membership
from bmad.federation.trust import RoundRefused
from bmad.privacy.noise import NoisePlan, add_noise, plan_distributed_gaussian
from bmad.privacy.risk_schema import (
    FEDERATED_FEATURES,
    FEDERATED_SCHEMA,
    LEARNING_TYPE,
    RISK_SCHEMA,
    Record,
    RiskSchema,
    checked_weights,
    organisation_vector,
    read_sum,
    records_of,
    step_weights,
)
from bmad.privacy.schemas import BoundedContribution
from bmad.privacy.units import Guarantee, unit_for
from bmad.store.connection import Store

STEPS = 5
FEDERATED_COLUMNS = tuple(FILE_FEATURES.index(name) for name in FEDERATED_FEATURES)
MODULUS_BITS = 64  # an organisation's sum of 20,000 records can pass 2^31 / participants

SecureSum = Callable[[Sequence[Sequence[int]], int], list[int]]
Noise = Callable[[Sequence[int], NoisePlan], list[int]]
RiskRecords = Callable[[str], Sequence[Record]]  # a repository's file records


def simulated_secure_sum(vectors: Sequence[Sequence[int]], threshold: int) -> list[int]:
    """The sum through the in-process secure-aggregation round (real clients and server)."""
    from bmad.federation.secagg.simulate import simulate_round

    simulation = simulate_round(
        vectors, threshold, modulus_bits=MODULUS_BITS, min_survivors=threshold
    )
    if simulation.result is None:
        raise BmadError(f"the secure-aggregation round aborted: {simulation.abort_reason}")
    return [int(value) for value in simulation.result.signed()]


@dataclass(frozen=True, slots=True)
class FederatedRisk:
    """The trained weights (intercept first, over ``schema.features`` read as centred
    percentiles), what each step saw, and the guarantee of the whole training."""

    schema: RiskSchema
    weights: tuple[float, ...]
    rows: float  # noisy row count, averaged over the steps
    plans: tuple[NoisePlan, ...]  # per group
    guarantee: Guarantee
    organisations: int


def train_federated(
    schema: RiskSchema,
    organisations: Sequence[Sequence[Record]],
    governance: Governance,
    steps: int = STEPS,
    secure_sum: SecureSum = simulated_secure_sum,
    noise: Noise = add_noise,
) -> FederatedRisk:
    """The model trained over ``organisations`` (each one's records) in ``steps`` rounds."""
    k = governance.k_min_participants
    if len(organisations) < k:
        raise BmadError(f"{len(organisations)} organisations; the federation needs at least {k}")
    if steps < 1:
        raise BmadError("the training needs at least one step")
    sizes = group_sizes(len(organisations), k)
    groups, start = [], 0
    for size in sizes:
        groups.append(organisations[start : start + size])
        start += size
    thresholds = [reconstruction_threshold(size, k) for size in sizes]
    rho = governance.rho_per_round
    plans = tuple(
        plan_distributed_gaussian(rho / steps, threshold, schema.l2_sensitivity, schema.dim)
        for threshold in thresholds
    )
    weights = [0.0] * (schema.dim - 1)
    counts: list[float] = []
    for _step in range(steps):
        total = [0] * schema.dim
        for group, threshold, plan in zip(groups, thresholds, plans, strict=True):
            vectors = [
                noise(organisation_vector(schema, records, weights), plan) for records in group
            ]
            total = [a + b for a, b in zip(total, secure_sum(vectors, threshold), strict=True)]
        found = read_sum(schema, total)
        counts.append(found.rows)
        rows = max(1.0, sum(counts) / len(counts))
        weights = step_weights(weights, found.gradient, rows, len(schema.features))
    return FederatedRisk(
        schema=schema,
        weights=tuple(weights),
        rows=max(1.0, sum(counts) / len(counts)),
        plans=plans,
        guarantee=Guarantee(unit_for(schema.learning_type, "record"), rho, governance.delta),
        organisations=len(organisations),
    )


def centred_rows(rows: Sequence[Sequence[float]], columns: Sequence[int]) -> list[list[float]]:
    """One snapshot's rows as the schema reads them: 1, then each used feature's percentile
    within the snapshot minus 1/2."""
    if not rows:
        return []
    ranks = transformed("snapshot_rank", rows)[:, list(columns)] - 0.5
    return [[1.0, *(float(v) for v in row)] for row in ranks]


def organisation_records(
    snapshots: Sequence[LabelledSnapshot], columns: Sequence[int]
) -> list[Record]:
    """An organisation's records from its labelled snapshots (newest first, with keys)."""
    if any(len(s.keys) != len(s.labels) for s in snapshots):
        raise BmadError("every training snapshot needs its rows' keys")
    return records_of([(s.keys, centred_rows(s.rows, columns), s.labels) for s in snapshots])


def as_risk_model(
    trained: FederatedRisk, features: tuple[str, ...], columns: Sequence[int]
) -> RiskModel:
    """The federated weights as a local risk model over rows with all of ``features`` (those
    at ``columns`` used), so that its risks and explanations come as the local model's do."""
    if len(columns) != len(trained.schema.features):
        raise BmadError("the columns must name the schema's features")
    return RiskModel(
        features=features,
        columns=tuple(columns),
        choice=ModelChoice("logistic", "snapshot_rank", 0.0, detection=False),
        mean=(0.5,) * len(columns),
        scale=(1.0,) * len(columns),
        coefficients=trained.weights[1:],
        intercept=trained.weights[0],
        boosted=None,
        examples=round(trained.rows),
        positives=0,  # not released: the federation learns noisy gradient sums only
        snapshots=0,
    )


# -- the learning type in real rounds ----------------------------------------------------------


def local_risk_records(repository: str) -> list[Record]:
    """A repository's file records for a step: its training snapshots (as the local model's,
    a year and more before now), labelled by the year after each."""
    import time

    from bmad.analysis.risk_serving import read_past
    from bmad.analysis.risk_training import SNAPSHOTS, labelled, past_snapshots
    from bmad.config import load

    path = Path(repository)
    settings = load(path)
    past = read_past(path, settings.section("history"))
    if past is None:
        return []
    snapshots = past_snapshots(past, int(time.time()), SNAPSHOTS)
    return organisation_records(
        [labelled(snapshot, "file", past.fixes) for snapshot in snapshots], FEDERATED_COLUMNS
    )


def round_contribution(
    parameters: Mapping[str, Any], records: Sequence[Record]
) -> BoundedContribution | None:
    """An organisation's vector for one step: its records' clipped gradients at the round's
    model (None: no record). A model that is not one is refused."""
    if not records:
        return None
    try:
        weights = checked_weights(FEDERATED_SCHEMA, parameters.get("weights") or ())
    except BmadError as exc:
        raise RoundRefused(f"the round's model is not acceptable: {exc.message}") from None
    return BoundedContribution(RISK_SCHEMA, organisation_vector(FEDERATED_SCHEMA, records, weights))


def released_model(insights: Mapping[str, Any]) -> RiskModel | None:
    """The model a released step holds, as a file-level risk model (None: not a step)."""
    model = insights.get("model")
    if not isinstance(model, Mapping) or list(model.get("features", ())) != list(
        FEDERATED_FEATURES
    ):
        return None
    weights = checked_weights(FEDERATED_SCHEMA, model["weights"])
    return RiskModel(
        features=FILE_FEATURES,
        columns=FEDERATED_COLUMNS,
        choice=ModelChoice("logistic", "snapshot_rank", 0.0, detection=False),
        mean=(0.5,) * len(FEDERATED_COLUMNS),
        scale=(1.0,) * len(FEDERATED_COLUMNS),
        coefficients=weights[1:],
        intercept=weights[0],
        boosted=None,
        examples=round(float(model["rows"])),
        positives=0,  # not released: the federation learns noisy gradient sums only
        snapshots=0,
    )


def cached_global_model(store: Store) -> RiskModel | None:
    """The federation's latest released risk model, from the local insights cache."""
    from bmad.privacy.sharing import cached_global_insights

    for cached in cached_global_insights(store):
        if cached["learning_type"] == LEARNING_TYPE:
            return released_model(cached["insights"])
    return None


@dataclass(frozen=True, slots=True)
class RoundTraining:
    """A training run through real rounds: each step's round state and the final model."""

    rounds: tuple[dict[str, Any], ...]
    insights: dict[str, Any] | None  # the last released step (holds the model); None: none
    epsilon_per_step: float
    delta: float


def step_budget(epsilon: float, delta: float, steps: int) -> float:
    """Each step's epsilon so that the steps together cost one round of ``epsilon``: the
    round's zCDP rho split evenly (rho composes additively)."""
    from bmad.privacy.accounting import rho_budget, zcdp_to_epsilon

    return zcdp_to_epsilon(rho_budget(epsilon, delta) / steps, delta)


def train_in_rounds(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    steps: int,
    epsilon: float,
    delta: float,
    follow: Callable[[str], dict[str, Any]],
    min_participants: int | None = None,
) -> RoundTraining:
    """Train the federation's risk model in ``steps`` rounds (the admin's side): each round
    starts from the model the previous one released (zeros first); ``follow`` waits for a
    round's end. Stops at the first aborted round. Every release is cached locally."""
    from bmad.federation.learning import cache_insights, open_round
    from bmad.privacy.ledger import Budget

    per_step = step_budget(epsilon, delta, steps)
    weights: list[float] | None = None
    states: list[dict[str, Any]] = []
    released: dict[str, Any] | None = None
    for _step in range(steps):
        opened = open_round(
            client, member, LEARNING_TYPE, Budget(per_step, delta), min_participants, weights
        )
        state = follow(str(opened["id"]))
        states.append(state)
        if state["state"] != "released":
            break
        found = None
        for item in client.insights(member.federation, LEARNING_TYPE):
            cache_insights(store, item)
            if item["round"] == opened["id"]:
                found = dict(item["insights"])
        if found is None:
            raise BmadError(f"round {opened['id']} was released but its model is not published")
        released = found
        weights = list(checked_weights(FEDERATED_SCHEMA, found["model"]["weights"]))
    return RoundTraining(tuple(states), released, per_step, delta)
