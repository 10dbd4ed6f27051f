"""What one participant puts into a round: its contribution followed by its participation bits.

The secure sum of a round is over the *round layout* of a learning type's schema: the bounded
contribution vector, then the schema's participation layout (1 in every bin where the
contribution is > 0, ``bmad.privacy.schemas.participation_schema``). The second half summed over
participants gives the noisy number of organisations behind every bin, which the k-per-cell
release rule and the consensus insights need. Both halves are noised together by one
distributed discrete Gaussian sized with the layout's combined L2 sensitivity.

The participation half exists only when the round's unit of privacy is the organisation
(``bmad.privacy.units.Unit.has_participation``); a round of smaller units sums the unit-bounded
contributions alone, with noise sized for one unit (``unit_schema``).

Each participation bit is sent as ``PARTICIPATION_WEIGHT`` (0 or 10) rather than 0 or 1: a bin's
organisation count then stands out of the same noise ten times more clearly, at the price of a
larger combined sensitivity (for ``code_patterns``: 466 instead of 375, 1.25x the noise on the
contribution half). Counts are divided by the weight again when the sum is read.
"""

from __future__ import annotations

from dataclasses import replace

from bmad.privacy.bounding import BinCap, Block, ContributionSchema
from bmad.privacy.schemas import BoundedContribution, participation_schema, participation_vector
from bmad.privacy.units import Unit, unit_schema

PHASES: tuple[str, ...] = (
    "advertise_keys",
    "share_keys",
    "masked_input",
    "consistency_check",
    "unmasking",
)
PARTICIPATION_PREFIX = "participants:"
PARTICIPATION_WEIGHT = 10


def round_schema(schema: ContributionSchema, unit: Unit | None = None) -> ContributionSchema:
    """The layout a round sums, with the sensitivities its noise is sized for.

    ``unit`` None is the organisation (contribution then participation bits)."""
    if unit is not None and not unit.has_participation:
        return unit_schema(schema, unit)
    participation = participation_schema(schema)
    renamed = tuple(
        Block(PARTICIPATION_PREFIX + block.name, block.labels, BinCap(PARTICIPATION_WEIGHT))
        for block in participation.blocks
    )
    return replace(
        schema,
        blocks=schema.blocks + renamed,
        definitions=schema.definitions + participation.definitions,
    )


def round_vector_length(schema: ContributionSchema, unit: Unit | None = None) -> int:
    return round_schema(schema, unit).dim


def round_l2_sensitivity(schema: ContributionSchema, unit: Unit | None = None) -> float:
    return round_schema(schema, unit).l2_sensitivity


def round_contribution(
    contribution: BoundedContribution, unit: Unit | None = None
) -> BoundedContribution:
    """The contribution in its round layout, ready for noise."""
    layout = round_schema(contribution.schema, unit)
    if unit is not None and not unit.has_participation:
        return BoundedContribution(layout, contribution.vector)
    bits = participation_vector(contribution.vector)
    vector = contribution.vector + tuple(PARTICIPATION_WEIGHT * bit for bit in bits)
    return BoundedContribution(layout, vector)
