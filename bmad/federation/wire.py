"""What one participant puts into a round: its contribution followed by its participation bits.

The secure sum of a round is over the *round layout* of a learning type's schema: the bounded
contribution vector, then the schema's participation layout (1 in every bin where the
contribution is > 0, ``bmad.privacy.schemas.participation_schema``). The second half summed over
participants gives the noisy number of organisations behind every bin, which the k-per-cell
release rule and the consensus insights need. Both halves are noised together by one
distributed discrete Gaussian sized with the layout's combined L2 sensitivity.
"""

from __future__ import annotations

from dataclasses import replace

from bmad.privacy.bounding import Block, ContributionSchema
from bmad.privacy.schemas import BoundedContribution, participation_schema, participation_vector

PHASES: tuple[str, ...] = (
    "advertise_keys",
    "share_keys",
    "masked_input",
    "consistency_check",
    "unmasking",
)
PARTICIPATION_PREFIX = "participants:"


def round_schema(schema: ContributionSchema) -> ContributionSchema:
    participation = participation_schema(schema)
    renamed = tuple(
        Block(PARTICIPATION_PREFIX + block.name, block.labels, block.bound)
        for block in participation.blocks
    )
    return replace(
        schema,
        blocks=schema.blocks + renamed,
        definitions=schema.definitions + participation.definitions,
    )


def round_vector_length(schema: ContributionSchema) -> int:
    return 2 * schema.dim


def round_l2_sensitivity(schema: ContributionSchema) -> float:
    return round_schema(schema).l2_sensitivity


def round_contribution(contribution: BoundedContribution) -> BoundedContribution:
    """The contribution extended with its participation bits, ready for noise."""
    vector = contribution.vector + participation_vector(contribution.vector)
    return BoundedContribution(round_schema(contribution.schema), vector)
