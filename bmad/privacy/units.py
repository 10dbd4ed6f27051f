"""The unit of privacy: whose data one round's differential-privacy guarantee protects.

A federation's governance picks one unit per learning type (``bmad.federation.governance``);
every participant then bounds its contribution per unit, and the noise is sized for one unit:

- ``organisation``: the organisation's whole contribution (its repositories merged, each
  weighted equally, every block normalised to the schema's mass). The guarantee covers the
  organisation as a whole.
- ``repository``: each repository bounded on its own (normalised to the schema's mass); an
  organisation sends the sum over at most ``cap`` of them (a sample drawn with ``secrets`` when
  it has more).
- ``contributor``: everything one developer authored, bounded together (attribution in
  ``bmad.privacy.contributors``: commits by author, functions by their file's main developer);
  an organisation sends at most ``cap`` contributors, sampled with ``secrets``. For
  ``workflow_patterns`` each contributor's histograms are normalised to the schema's mass; for
  ``code_patterns`` a contributor is at most ``CONTRIBUTOR_FUNCTIONS`` functions (sampled with
  ``secrets``), one count each, so a block's mass is at most that and the ``FixedMass`` bound
  (2m in L1, m*sqrt(2) in L2 between any two blocks of mass <= m) holds. Learning types whose
  inputs are per repository (smells, the import graph, technologies, practices) have no
  contributor unit.
- ``record``: one record (for ``code_patterns`` a function: one count per metric); an
  organisation sends at most ``cap`` records, sampled without replacement with ``secrets``.

Two guarantees are stated for every unit (``Guarantee``): the round's (epsilon, delta) for one
unit, and what follows for a whole organisation of at most ``cap`` units. For zCDP, group
privacy over c units multiplies rho by c^2 (Bun and Steinke 2016, Proposition 27). When that
number means nothing (records, with caps in the thousands), the organisation's aggregate is
protected by secure aggregation and the k-organisation rule instead: the aggregator and the
other members only ever see sums over at least k organisations, never one organisation's
vector, noisy or not; what the sum then reveals about one organisation is bounded by DP only
at the unit level.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bmad.errors import BmadError
from bmad.privacy.accounting import zcdp_to_epsilon
from bmad.privacy.bounding import Block, ContributionSchema, FixedMass
from bmad.privacy.contributors import merge_by_contributor
from bmad.privacy.risk_schema import LEARNING_TYPE as RISK_MODEL
from bmad.privacy.risk_schema import RECORD_CAP as RISK_RECORD_CAP
from bmad.privacy.schemas import (
    COUPLING_EDGES,
    BoundedContribution,
    bounded_contribution,
    code_record_counts,
    code_records,
    schema_for,
    workflow_counts,
)
from bmad.privacy.summaries import ContributorWork, LocalStatistics
from bmad.privacy.trend_schemas import COUNTING_TYPES, TREND_LEARNING_TYPES

UNITS: tuple[str, ...] = ("organisation", "repository", "contributor", "record")
CONTRIBUTORS_PER_ORGANISATION = 100
CONTRIBUTOR_FUNCTIONS = 200  # code_patterns: functions one contributor counts at most

# Units each learning type supports, with the most units one organisation may send per round.
UNIT_CAPS: dict[str, dict[str, int]] = {
    "code_patterns": {
        "organisation": 1,
        "repository": 16,
        "contributor": CONTRIBUTORS_PER_ORGANISATION,
        "record": 10_000,
    },
    "anti_patterns": {"organisation": 1, "repository": 16},
    "workflow_patterns": {
        "organisation": 1,
        "repository": 16,
        "contributor": CONTRIBUTORS_PER_ORGANISATION,
    },
    "architecture_patterns": {"organisation": 1, "repository": 16},
    "technology_trends": {"organisation": 1, "repository": 16},
    "success_patterns": {"organisation": 1, "repository": 16},
    **{
        learning_type: {"organisation": 1, "repository": 16}
        for learning_type in TREND_LEARNING_TYPES
    },
    RISK_MODEL: {"record": RISK_RECORD_CAP},
}
RECORD_NAMES: dict[str, str] = {"code_patterns": "function", RISK_MODEL: "file"}

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Unit:
    learning_type: str
    name: str
    cap: int  # units one organisation may contribute to a round

    @property
    def describes(self) -> str:
        if self.name == "record":
            return f"one {RECORD_NAMES.get(self.learning_type, 'record')}"
        if self.name == "contributor":
            return "one contributor (their commits and the functions of files they mainly wrote)"
        return f"one {self.name}"

    @property
    def has_participation(self) -> bool:
        """Whether rounds count organisations per bin (the k-per-cell rule).

        Only with the organisation unit: below it, one unit can flip an organisation's presence
        in a bin, so a per-bin organisation count would need noise sized for that and would be
        useless at small N. Rounds of smaller units rely on the k-organisation round rule and
        on noisy-count thresholds instead. Learning types whose cells already count
        organisations (``trend_schemas.COUNTING_TYPES``) need no separate count.
        """
        return self.name == "organisation" and self.learning_type not in COUNTING_TYPES


def unit_for(learning_type: str, name: str) -> Unit:
    caps = UNIT_CAPS.get(learning_type)
    if caps is None:
        raise BmadError(f"unknown learning type {learning_type!r}")
    if name not in caps:
        raise BmadError(
            f"{learning_type} does not support the unit {name!r} (supported: {', '.join(caps)})"
        )
    return Unit(learning_type, name, caps[name])


def unit_schema(schema: ContributionSchema, unit: Unit) -> ContributionSchema:
    """The layout one unit is bounded to; its sensitivities are the noise's.

    A record is one count per block (mass 1); a code-patterns contributor at most
    ``CONTRIBUTOR_FUNCTIONS`` counts per block; every other unit keeps the schema's bounds.
    """
    if unit.name == "contributor" and unit.learning_type == "code_patterns":
        return replace(
            schema,
            blocks=tuple(
                Block(block.name, block.labels, FixedMass(CONTRIBUTOR_FUNCTIONS))
                for block in schema.blocks
            ),
            definitions=(
                *schema.definitions,
                (
                    "unit",
                    f"contributor: at most {CONTRIBUTOR_FUNCTIONS} functions of one "
                    f"contributor, one count each per block, at most {unit.cap} contributors",
                ),
            ),
        )
    if unit.name != "record" or unit.learning_type == RISK_MODEL:
        return schema  # the risk model's blocks already bound one record
    return replace(
        schema,
        blocks=tuple(Block(block.name, block.labels, FixedMass(1)) for block in schema.blocks),
        definitions=(
            *schema.definitions,
            ("unit", f"record: {unit.describes}, one count per block, at most {unit.cap}"),
        ),
    )


def sample_units(units: Sequence[T], cap: int) -> list[T]:
    """At most ``cap`` of ``units``, drawn without replacement from the OS CSPRNG."""
    if len(units) <= cap:
        return list(units)
    return secrets.SystemRandom().sample(list(units), cap)


@dataclass(frozen=True, slots=True)
class Guarantee:
    """Both guarantees of one round: for a unit, and for a whole organisation."""

    unit: Unit
    rho: float
    delta: float

    @property
    def epsilon(self) -> float:
        return zcdp_to_epsilon(self.rho, self.delta)

    @property
    def organisation_rho(self) -> float:
        return self.unit.cap**2 * self.rho

    @property
    def organisation_epsilon(self) -> float:
        return zcdp_to_epsilon(self.organisation_rho, self.delta)

    @property
    def organisation_note(self) -> str:
        if self.unit.name == "organisation":
            return "the guarantee covers the organisation's whole contribution"
        group = self.organisation_epsilon
        if group <= 10:
            return (
                f"group privacy over its at most {self.unit.cap:,} {self.unit.name} units: "
                f"epsilon {group:.3g} at delta {self.delta:g}"
            )
        return (
            f"group privacy over up to {self.unit.cap:,} units gives epsilon {_big(group)}, "
            "no meaningful bound: an organisation's aggregate is protected by secure "
            "aggregation and the k-organisation rule (only sums over at least k organisations "
            "are ever unmasked), not by differential privacy"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit.name,
            "protects": self.unit.describes,
            "cap_per_organisation": self.unit.cap,
            "per_unit": {"epsilon": self.epsilon, "delta": self.delta, "rho": self.rho},
            "per_organisation": {
                "epsilon": self.organisation_epsilon,
                "delta": self.delta,
                "rho": self.organisation_rho,
                "note": self.organisation_note,
            },
        }

    def text(self) -> str:
        return (
            f"unit of privacy: {self.unit.describes} (epsilon {self.epsilon:.3g}, delta "
            f"{self.delta:g} per round); per organisation: {self.organisation_note}"
        )


def _big(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "unbounded"


def _merged(schema: ContributionSchema, vectors: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    """Repositories merged into one organisation histogram, each weighted equally."""
    if len(vectors) == 1:
        return vectors[0]
    summed = [sum(column) for column in zip(*vectors, strict=True)]
    blocks, offset = [], 0
    for block in schema.blocks:
        blocks.append(summed[offset : offset + len(block.labels)])
        offset += len(block.labels)
    return schema.bound(blocks)


def unit_contribution(
    learning_type: str, unit: Unit, repositories: Sequence[LocalStatistics]
) -> BoundedContribution | None:
    """One organisation's bounded vector for a round whose unit of privacy is ``unit``.

    ``repositories`` holds the statistics of each consenting repository. Every unit's share
    is bounded on its own before anything is summed, so one unit moves the vector by at most
    ``unit_schema(schema, unit)``'s sensitivity.
    """
    schema = schema_for(learning_type)
    if unit.name == "contributor":
        works = merge_by_contributor(c for stats in repositories for c in stats.contributors)
        with_input = [work for work in works if _has_input(learning_type, work)]
        if not with_input:
            return None
        picked = [contributor_vector(learning_type, w) for w in sample_units(with_input, unit.cap)]
        return BoundedContribution(
            schema, tuple(sum(column) for column in zip(*picked, strict=True))
        )
    if unit.name == "record":
        records = [record for stats in repositories for record in code_records(stats.files)]
        if not records:
            return None
        counts = code_record_counts(sample_units(records, unit.cap))
        return BoundedContribution(schema, tuple(value for block in counts for value in block))
    vectors = [
        found.vector
        for stats in repositories
        if (found := bounded_contribution(learning_type, stats)) is not None
    ]
    if not vectors:
        return None
    if unit.name == "organisation":
        return BoundedContribution(schema, _merged(schema, vectors))
    chosen = sample_units(vectors, unit.cap)
    return BoundedContribution(schema, tuple(sum(column) for column in zip(*chosen, strict=True)))


def _has_input(learning_type: str, work: ContributorWork) -> bool:
    """Whether ``contributor_vector`` is non-zero, without bounding anything."""
    if learning_type == "code_patterns":
        return any(file.functions for file in work.files)
    flow = work.workflow
    return learning_type == "workflow_patterns" and (
        flow is not None
        and bool(
            flow.commit_sizes
            or flow.total_commits > 0
            or flow.ownership_shares
            or any(degree >= COUPLING_EDGES[0] for degree in flow.coupling_degrees)
        )
    )


def contributor_vector(learning_type: str, work: ContributorWork) -> tuple[int, ...]:
    """One contributor's bounded vector (empty when they have nothing of this learning type).

    ``code_patterns``: at most ``CONTRIBUTOR_FUNCTIONS`` of their functions, sampled with
    ``secrets``, one count each per metric; ``workflow_patterns``: their histograms normalised
    to the schema's mass, as a repository's are."""
    if learning_type == "code_patterns":
        records = code_records(work.files)
        if not records:
            return ()
        counts = code_record_counts(sample_units(records, CONTRIBUTOR_FUNCTIONS))
        return tuple(value for block in counts for value in block)
    if learning_type == "workflow_patterns" and work.workflow is not None:
        return schema_for(learning_type).bound(workflow_counts(work.workflow))
    return ()
