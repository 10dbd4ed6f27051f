"""Which rounds prove their inputs, and against which bounds: derived, never received.

Members and the aggregator each derive a group's ``InputBounds`` from the round's terms (its
learning type, unit of privacy and rho) and the group's size, so an aggregator cannot loosen
them: a different value changes the session tag and every proof fails. Which rounds prove is
the consortium's signed rule ``Governance.verify_inputs_up_to``: a round vector longer than it
keeps the plausibility envelope only (``bmad.federation.plausibility``), as does a group whose
bounded sum could overflow the modulus. A layout capped across its blocks (the trend types'
``TotalCappedSchema``: every cell at most ``cell``, all together at most ``total`` per unit)
is proved against those caps too, so a liar cannot spread more than ``total`` over the vector.
"""

from __future__ import annotations

from bmad.federation.secagg.validity import (
    InputBounds,
    VectorCap,
    bounds_for_layout,
    noise_bound,
)
from bmad.federation.wire import PARTICIPATION_PREFIX, round_schema
from bmad.privacy.bounding import ContributionSchema
from bmad.privacy.noise import plan_distributed_gaussian
from bmad.privacy.schemas import schema_for
from bmad.privacy.trend_schemas import TotalCappedSchema
from bmad.privacy.units import Unit

MODULUS_BITS = 32


def round_input_bounds(
    learning_type: str,
    unit: Unit,
    rho: float,
    noise_shares: int,
    participants: int,
    verify_inputs_up_to: int | None,
) -> InputBounds | None:
    """The bounds every input of a group of ``participants`` must be proved within, or None
    when the round keeps the plausibility envelope only: its vector is longer than the rules'
    ``verify_inputs_up_to`` (None: every length proves) or its sum could overflow.

    The noise bound is ``NOISE_BOUND_DEVIATIONS`` times the share every member derives for
    ``noise_shares`` honest survivors (``plan_distributed_gaussian``)."""
    layout = round_schema(schema_for(learning_type), unit)
    if verify_inputs_up_to is not None and layout.dim > verify_inputs_up_to:
        return None
    plan = plan_distributed_gaussian(rho, noise_shares, layout.l2_sensitivity, layout.dim)
    bounds = bounds_for_layout(layout, unit.cap, noise_bound(plan.scale), vector_cap(layout))
    if participants * bounds.max_abs_entry >= 2 ** (MODULUS_BITS - 1):
        return None
    return bounds


def vector_cap(layout: ContributionSchema) -> VectorCap | None:
    """The cap a ``TotalCappedSchema`` puts on a unit's whole contribution (its participation
    bits, when the round adds them after it, are outside it), or None for other layouts."""
    if not isinstance(layout, TotalCappedSchema):
        return None
    stop = sum(
        len(block.labels)
        for block in layout.blocks
        if not block.name.startswith(PARTICIPATION_PREFIX)
    )
    return VectorCap(stop, layout.total, layout.cell)
