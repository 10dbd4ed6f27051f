"""Whether a group's unmasked sum could come from in-range contributions (the release check).

Secure aggregation hides each member's vector, so nothing checks a vector's range on its way
in: a member may add anything modulo 2^32 to any coordinate, the organisation counts that
decide k and consensus included. Before release, each coordinate of a group's sum, and each
block's total, must lie where the sum of n in-range contributions plus the noise can lie:
in [-z sigma, n b + z sigma] for a coordinate bounded by b per organisation (``z`` =
``NOISE_MARGIN`` noise deviations, a false alarm about once in 10^9 coordinates), and the
block totals within the same margin of n times the block's mass. A sum outside is refused and
the round aborted: nothing is released.

What this bounds, and what it does not (README "Trust model"): a wild input (+-2^31) is
caught; an input that stays inside these envelopes is not, so in a round that keeps only this
check a lying member can still move a coordinate by up to n b minus what the others put there,
rather than by its own bound b. Rounds short enough to prove their inputs
(``bmad.federation.secagg.round_bounds``: every learning type but code_patterns,
technology_adoption, technology_migrations and tool_effectiveness) close that gap: each input
is proved within b plus a bounded noise share before the aggregator unmasks; this check then
still runs as a second line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bmad.federation.wire import round_schema
from bmad.privacy.bounding import FixedMass, NormBall
from bmad.privacy.schemas import schema_for
from bmad.privacy.units import Unit

NOISE_MARGIN = 6.0


def implausible(
    learning_type: str, unit: Unit, group_sum: Sequence[int], members: int, noise_std: float
) -> str | None:
    """Why ``group_sum`` over ``members`` organisations cannot be honest, or None."""
    layout = round_schema(schema_for(learning_type), unit)
    margin = NOISE_MARGIN * noise_std
    offset = 0
    for block in layout.blocks:
        width = len(block.labels)
        values = group_sum[offset : offset + width]
        if isinstance(block.bound, NormBall):  # signed: each coordinate within n c r
            most = members * unit.cap * block.bound.norm
            for label, value in zip(block.labels, values, strict=True):
                if not -most - margin <= value <= most + margin:
                    return f"{block.name} {label} sums to {value}, outside +-{most} plus noise"
            offset += width
            continue
        per_unit = block.bound.mass if isinstance(block.bound, FixedMass) else block.bound.cap
        most = members * unit.cap * per_unit
        for label, value in zip(block.labels, values, strict=True):
            if not -margin <= value <= most + margin:
                return f"{block.name} {label} sums to {value}, outside [0, {most}] plus noise"
        if isinstance(block.bound, FixedMass):
            total, spread = sum(values), margin * math.sqrt(width)
            if not -spread <= total <= most + spread:
                return f"{block.name} totals {total}, outside [0, {most}] plus noise"
        offset += width
    return None
