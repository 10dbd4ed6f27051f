"""Contribution bounding worked by hand: Hamilton rounding to a fixed mass, bin caps, and
sensitivities that are both upper bounds and reached by a worst-case pair of participants."""

from __future__ import annotations

import math

import pytest

from bmad.errors import BmadError
from bmad.privacy.bounding import (
    BinCap,
    Block,
    ContributionSchema,
    FixedMass,
    block_l1_sensitivity,
    block_l2_squared_sensitivity,
    cap_bins,
    normalise_to_mass,
)


@pytest.mark.parametrize(
    ("counts", "mass", "expected"),
    [
        # 10/3 each: floors 3, 3, 3; the one missing unit goes to the lowest index of the tie.
        ([1, 1, 1], 10, [4, 3, 3]),
        # shares 1.25, 1.25, 2.5: floors 1, 1, 2; the largest remainder (0.5) gets the unit.
        ([1, 1, 2], 5, [1, 1, 3]),
        # exact shares need no rounding
        ([1, 2], 3, [1, 2]),
        ([0, 0, 0], 7, [0, 0, 0]),
        # shares 0.6, 2.4 (from 0.2 and 0.8, exactly as decimals): floors 0, 2, the unit to 0.6.
        ([0.2, 0.8], 3, [1, 2]),
        # two units missing: remainders 0.75, 0.75, 0.5 -> the two 0.75s.
        ([3, 3, 2], 2, [1, 1, 0]),
        ([5], 4, [4]),
    ],
)
def test_hamilton_rounding_to_a_fixed_mass(
    counts: list[float], mass: int, expected: list[int]
) -> None:
    assert normalise_to_mass(counts, mass) == expected
    if any(counts):
        assert sum(expected) == mass


def test_caps_clip_each_bin_and_truncate_fractions() -> None:
    assert cap_bins([0, 2.9, 5, 7], 5) == [0, 2, 5, 5]


@pytest.mark.parametrize("bound", [FixedMass(4), BinCap(4)])
def test_negative_counts_are_refused(bound: FixedMass | BinCap) -> None:
    block = Block("b", ("x", "y"), bound)
    with pytest.raises(BmadError, match=r"^histogram counts cannot be negative$"):
        block.apply([1, -0.5])
    assert block.apply([0, 0]) == [0, 0]


def distance(a: list[int], b: list[int]) -> tuple[int, int]:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)), sum(
        (x - y) ** 2 for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("width", [1, 2, 5])
def test_fixed_mass_sensitivity_is_reached_by_two_disjoint_histograms(width: int) -> None:
    mass = 6
    block = Block("b", tuple(str(i) for i in range(width)), FixedMass(mass))
    first = block.apply([1] + [0] * (width - 1))
    # With one bin the other participant can only have nothing (all zeros).
    second = block.apply([0] * width if width == 1 else [0, 1] + [0] * (width - 2))
    l1, l2_squared = distance(first, second)
    assert block_l1_sensitivity(FixedMass(mass), width) == l1
    assert block_l2_squared_sensitivity(FixedMass(mass), width) == l2_squared
    assert (l1, l2_squared) == ((mass, mass**2) if width == 1 else (2 * mass, 2 * mass**2))


@pytest.mark.parametrize("width", [1, 3])
def test_bin_cap_sensitivity_is_reached_by_full_against_empty(width: int) -> None:
    block = Block("b", tuple(str(i) for i in range(width)), BinCap(4))
    l1, l2_squared = distance(block.apply([9] * width), block.apply([0] * width))
    assert block_l1_sensitivity(BinCap(4), width) == l1 == 4 * width
    assert block_l2_squared_sensitivity(BinCap(4), width) == l2_squared == 16 * width


def test_schema_sensitivities_add_over_blocks() -> None:
    schema = ContributionSchema(
        "demo",
        1,
        (Block("sizes", ("s", "m", "l"), FixedMass(10)), Block("flags", ("a", "b"), BinCap(3))),
    )
    assert schema.labels == ("sizes/s", "sizes/m", "sizes/l", "flags/a", "flags/b")
    assert schema.dim == 5
    assert schema.l1_sensitivity == 2 * 10 + 3 * 2
    assert schema.l2_squared_sensitivity == 2 * 100 + 9 * 2
    assert schema.l2_sensitivity == math.sqrt(218)
    # sizes: shares 2.5, 2.5, 5 -> floors 2, 2, 5, the missing unit to the first tie; flags: 5 -> 3.
    assert schema.bound([[1, 1, 2], [5, 1]]) == (3, 2, 5, 3, 1)


def test_a_layout_mismatch_names_what_was_expected() -> None:
    schema = ContributionSchema("demo", 1, (Block("sizes", ("s", "m"), FixedMass(10)),))
    with pytest.raises(BmadError, match=r"^demo expects 1 blocks, got 2$"):
        schema.bound([[1, 1], [1]])
    with pytest.raises(BmadError, match=r"^block 'sizes' expects 2 counts, got 3$"):
        schema.bound([[1, 1, 1]])
