"""Which rounds prove their inputs, and against which bounds: derived, never received.

Members and the aggregator each derive a group's ``InputBounds`` from the round's terms (its
learning type, unit of privacy and rho) and the group's size, so an aggregator cannot loosen
them: a different value changes the session tag and every proof fails. A learning type whose
round vector is longer than ``validity.VERIFY_MAX_LENGTH`` keeps the plausibility envelope
only (``bmad.federation.plausibility``), as does a group whose bounded sum could overflow the
modulus.
"""

from __future__ import annotations

from bmad.federation.secagg.validity import (
    InputBounds,
    bounds_for_layout,
    noise_bound,
    verifies,
)
from bmad.federation.wire import round_schema
from bmad.privacy.noise import plan_distributed_gaussian
from bmad.privacy.schemas import schema_for
from bmad.privacy.units import Unit

MODULUS_BITS = 32


def round_input_bounds(
    learning_type: str, unit: Unit, rho: float, noise_shares: int, participants: int
) -> InputBounds | None:
    """The bounds every input of a group of ``participants`` must be proved within, or None
    when the round keeps the plausibility envelope only.

    The noise bound is ``NOISE_BOUND_DEVIATIONS`` times the share every member derives for
    ``noise_shares`` honest survivors (``plan_distributed_gaussian``)."""
    layout = round_schema(schema_for(learning_type), unit)
    if not verifies(layout):
        return None
    plan = plan_distributed_gaussian(rho, noise_shares, layout.l2_sensitivity, layout.dim)
    bounds = bounds_for_layout(layout, unit.cap, noise_bound(plan.scale))
    if participants * bounds.max_abs_entry >= 2 ** (MODULUS_BITS - 1):
        return None
    return bounds
