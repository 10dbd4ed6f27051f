"""Range proofs and input proofs on their own: complete for values in range, sound against the
natural ways to lie about one outside it, bound to their context."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.federation.governance import VERIFY_INPUTS_UP_TO
from bmad.federation.secagg.curve import (
    IDENTITY,
    ORDER,
    G,
    H,
    decode_point,
    subtract,
    total,
)
from bmad.federation.secagg.range_proofs import (
    BIT_PROOF_BYTES,
    Range,
    commit,
    prove_range,
    random_scalar,
    verify_range,
    weighted_h,
)
from bmad.federation.secagg.round_bounds import round_input_bounds
from bmad.federation.secagg.validity import (
    NOISE_BOUND_DEVIATIONS,
    BlockTotal,
    InputBounds,
    InvalidInput,
    VectorCap,
    bounds_for_layout,
    input_commitments,
    prove_input,
    verify_input,
)
from bmad.federation.wire import round_schema
from bmad.privacy.accounting import rho_budget
from bmad.privacy.bounding import BinCap, Block, ContributionSchema, FixedMass, NormBall
from bmad.privacy.noise import plan_distributed_gaussian
from bmad.privacy.schemas import schema_for
from bmad.privacy.units import unit_for
from tests.federation.secagg.forgery import forged_bit, forged_range_proof

PROOF_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TAG = b"t" * 32


def test_the_second_generator_is_a_valid_point_unrelated_to_the_first() -> None:
    assert decode_point(H) == H
    assert H not in (G, IDENTITY)
    with pytest.raises(BmadError, match="prime-order group"):
        decode_point(IDENTITY)  # small order
    with pytest.raises(BmadError, match="prime-order group"):
        decode_point(b"\xff" * 32)


@PROOF_SETTINGS
@given(
    low=st.integers(-(2**20), 2**20),
    width=st.integers(0, 2**20),
    where=st.floats(0, 1),
)
def test_every_value_in_range_has_a_proof_that_verifies(low: int, width: int, where: float) -> None:
    bounds = Range(low, low + width)
    value = low + round(where * width)
    blinding = random_scalar()
    commitment = commit(value, blinding)
    proof = prove_range(b"ctx", commitment, value, blinding, bounds)
    assert len(proof) == bounds.proof_bytes
    assert verify_range(b"ctx", commitment, bounds, proof)


@PROOF_SETTINGS
@given(
    low=st.integers(-1000, 1000),
    width=st.integers(1, 2**12),
    beyond=st.integers(1, 2**12),
    above=st.booleans(),
)
def test_a_value_out_of_range_has_no_proof_honest_or_forged(
    low: int, width: int, beyond: int, above: bool
) -> None:
    bounds = Range(low, low + width)
    value = bounds.high + beyond if above else bounds.low - beyond
    blinding = random_scalar()
    commitment = commit(value, blinding)
    with pytest.raises(BmadError, match="outside"):
        prove_range(b"ctx", commitment, value, blinding, bounds)
    forged = forged_range_proof(b"ctx", commitment, value, blinding, bounds)
    assert len(forged) == bounds.proof_bytes
    assert not verify_range(b"ctx", commitment, bounds, forged)
    # ...and the forgery's bits do add up to the commitment: only the first bit's proof fails.
    bit_points = [forged[k : k + 32] for k in range(0, len(forged), BIT_PROOF_BYTES)]
    assert total(bit_points) == subtract(commitment, weighted_h(bounds.low))


def test_a_proof_is_bound_to_its_context_and_commitment() -> None:
    bounds = Range(0, 100)
    blinding = random_scalar()
    commitment = commit(42, blinding)
    proof = prove_range(b"round 1, participant 2", commitment, 42, blinding, bounds)
    assert verify_range(b"round 1, participant 2", commitment, bounds, proof)
    assert not verify_range(b"round 2, participant 2", commitment, bounds, proof)
    assert not verify_range(b"round 1, participant 3", commitment, bounds, proof)
    assert not verify_range(b"round 1, participant 2", commitment, Range(0, 101), proof)
    other = commit(42, random_scalar())
    assert not verify_range(b"round 1, participant 2", other, bounds, proof)


def test_a_damaged_proof_is_refused_not_raised() -> None:
    bounds = Range(-5, 5)
    blinding = random_scalar()
    commitment = commit(3, blinding)
    proof = bytearray(prove_range(b"c", commitment, 3, blinding, bounds))
    assert not verify_range(b"c", commitment, bounds, bytes(proof[:-1]))
    flipped = bytearray(proof)
    flipped[40] ^= 1  # a challenge of the first bit
    assert not verify_range(b"c", commitment, bounds, bytes(flipped))
    proof[:32] = IDENTITY  # a small-order bit commitment
    assert not verify_range(b"c", commitment, bounds, bytes(proof))
    proof[:32] = b"\xff" * 32  # not a point
    assert not verify_range(b"c", commitment, bounds, bytes(proof))
    unreduced = bytearray(prove_range(b"c", commitment, 3, blinding, bounds))
    unreduced[32:64] = (int.from_bytes(unreduced[32:64], "little") + ORDER).to_bytes(32, "little")
    assert not verify_range(b"c", commitment, bounds, bytes(unreduced))


def test_a_single_allowed_value_is_a_schnorr_proof() -> None:
    blinding = random_scalar()
    proof = prove_range(b"c", commit(7, blinding), 7, blinding, Range(7, 7))
    assert verify_range(b"c", commit(7, blinding), Range(7, 7), proof)
    assert not verify_range(b"c", commit(8, blinding), Range(7, 7), proof)
    assert not verify_range(b"c", commit(7, blinding), Range(7, 7), proof[:-1])


def test_a_bit_proof_holds_for_zero_and_one_only() -> None:
    for bit in (0, 1):
        blinding = random_scalar()
        commitment = commit(bit, blinding)
        assert verify_range(
            b"c", commitment, Range(0, 1), prove_range(b"c", commitment, bit, blinding, Range(0, 1))
        )
    for multiple in (2, -1, 5):
        blinding = random_scalar()
        commitment = commit(multiple, blinding)
        statement = Range(0, 1).encode() + commitment
        forged = forged_bit(b"c", statement, 0, multiple, blinding)
        assert forged[:32] == commitment
        assert not verify_range(b"c", commitment, Range(0, 1), forged)


def _input_bounds() -> InputBounds:
    return InputBounds(
        (Range(0, 10),) * 3 + (Range(-4, 4),) * 2, 20, (BlockTotal(0, 3, Range(0, 10)),)
    )


def test_an_input_proof_verifies_and_opens_to_the_sum_of_contribution_and_noise() -> None:
    bounds = _input_bounds()
    contribution, noise = [3, 0, 7, -4, 4], [20, -20, 0, 1, -1]
    blindings = [random_scalar() for _ in range(5)]
    proof = prove_input(TAG, 9, bounds, contribution, noise, blindings)
    assert len(proof) == bounds.proof_bytes
    commitments = verify_input(TAG, 9, bounds, proof)
    for j, point in enumerate(commitments):
        assert point == commit(contribution[j] + noise[j], blindings[j])
    with pytest.raises(InvalidInput, match="coordinate 0"):
        verify_input(TAG, 8, bounds, proof)  # made for participant 9
    with pytest.raises(InvalidInput, match="coordinate 0"):
        verify_input(b"u" * 32, 9, bounds, proof)  # made for another round


def test_a_replayed_proof_gives_back_the_commitments_it_was_accepted_with() -> None:
    bounds = _input_bounds()
    blindings = [random_scalar() for _ in range(5)]
    proof = prove_input(TAG, 2, bounds, [1, 2, 3, 0, 0], [5, -5, 0, 1, 1], blindings)
    assert input_commitments(bounds, proof) == verify_input(TAG, 2, bounds, proof)
    with pytest.raises(InvalidInput, match="must be"):
        input_commitments(bounds, proof[:-1])


def test_an_input_over_its_bounds_has_no_honest_proof() -> None:
    bounds = _input_bounds()
    blindings = [random_scalar() for _ in range(5)]
    with pytest.raises(BmadError, match="outside"):
        prove_input(TAG, 1, bounds, [11, 0, 0, 0, 0], [0] * 5, blindings)
    with pytest.raises(BmadError, match="outside"):
        prove_input(TAG, 1, bounds, [0] * 5, [0, 0, 21, 0, 0], blindings)
    with pytest.raises(BmadError, match="outside"):  # each bin fits, the block's total does not
        prove_input(TAG, 1, bounds, [4, 4, 4, 0, 0], [0] * 5, blindings)


def test_bounds_follow_the_layout_and_the_unit_cap() -> None:
    layout = ContributionSchema(
        "example",
        1,
        (
            Block("histogram", ("a", "b"), FixedMass(100)),
            Block("counts", ("c",), BinCap(10)),
            Block("gradient", ("d", "e"), NormBall(50)),
        ),
    )
    bounds = bounds_for_layout(layout, 3, 40)
    assert bounds.contribution == (
        Range(0, 300),
        Range(0, 300),
        Range(0, 30),
        Range(-150, 150),
        Range(-150, 150),
    )
    assert bounds.block_totals == (BlockTotal(0, 2, Range(0, 300)),)
    assert bounds.noise == 40
    assert bounds.max_abs_entry == 340
    bounds.check_round(1000, 5, 32)
    with pytest.raises(BmadError, match="overflow"):
        bounds.check_round(10_000_000, 5, 32)
    with pytest.raises(BmadError, match="cover 5 coordinates"):
        bounds.check_round(10, 6, 32)


def test_rounds_up_to_the_rules_length_prove_their_inputs_and_longer_ones_do_not() -> None:
    rho = rho_budget(1.0, 1e-5)
    up_to = VERIFY_INPUTS_UP_TO
    workflow = unit_for("workflow_patterns", "organisation")
    bounds = round_input_bounds("workflow_patterns", workflow, rho, 5, 10, up_to)
    assert bounds is not None and bounds.length == 60
    layout = round_schema(schema_for("workflow_patterns"), workflow)
    share = plan_distributed_gaussian(rho, 5, layout.l2_sensitivity, layout.dim).scale
    assert bounds.noise == math.ceil(NOISE_BOUND_DEVIATIONS * share)
    assert round_input_bounds("workflow_patterns", workflow, rho, 3, 10, up_to) != bounds
    assert round_input_bounds("workflow_patterns", workflow, rho, 5, 10, 59) is None
    assert round_input_bounds("workflow_patterns", workflow, rho, 5, 10, 0) is None
    code = unit_for("code_patterns", "organisation")
    assert round_input_bounds("code_patterns", code, rho, 5, 10, up_to) is None  # 1,980 entries
    proved = round_input_bounds("code_patterns", code, rho, 5, 10, None)  # rules say "all"
    assert proved is not None and proved.length == 1980
    records = unit_for("risk_model", "record")  # up to 5,000 gradients of norm 2,000 each
    assert round_input_bounds("risk_model", records, rho, 5, 10, up_to) is not None
    assert round_input_bounds("risk_model", records, rho, 5, 300, None) is None  # overflow


def test_a_layout_capped_across_its_blocks_is_proved_against_the_caps() -> None:
    layout = ContributionSchema(
        "example", 1, (Block("a", ("a1", "a2"), BinCap(8)), Block("b", ("b1",), FixedMass(8)))
    )
    bounds = bounds_for_layout(layout, 2, 40, VectorCap(3, total=3, cell=1))
    assert bounds.contribution == (Range(0, 2),) * 3
    assert bounds.block_totals == (BlockTotal(2, 3, Range(0, 16)), BlockTotal(0, 3, Range(0, 6)))
    blindings = [random_scalar() for _ in range(3)]
    verify_input(TAG, 1, bounds, prove_input(TAG, 1, bounds, [2, 2, 2], [0] * 3, blindings))
    tighter = bounds_for_layout(layout, 1, 40, VectorCap(3, total=2, cell=1))
    with pytest.raises(BmadError, match="outside"):  # every cell fits, the whole does not
        prove_input(TAG, 1, tighter, [1, 1, 1], [0] * 3, blindings)


def test_the_trend_types_prove_their_whole_vector_cap() -> None:
    rho = rho_budget(1.0, 1e-5)
    survival = unit_for("technology_survival", "organisation")
    layout = round_schema(schema_for("technology_survival"), survival)
    bounds = round_input_bounds("technology_survival", survival, rho, 5, 10, VERIFY_INPUTS_UP_TO)
    assert bounds is not None and bounds.length == layout.dim
    assert BlockTotal(0, layout.dim, Range(0, 3)) in bounds.block_totals
    assert all(cell.high <= 1 for cell in bounds.contribution)
