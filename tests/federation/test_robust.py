"""Robust combination of group sums, worked by hand: each group's sum becomes a per-participant
mean, the means are combined by the median or the trimmed mean, and the centre is scaled back to
all participants."""

from __future__ import annotations

import pytest

from bmad.errors import BmadError
from bmad.federation.robust import combine_groups


def test_one_group_is_returned_exactly() -> None:
    assert combine_groups([[3, -4, 0]], [5]) == [3.0, -4.0, 0.0]


def test_median_of_an_odd_number_of_groups_is_the_middle_mean() -> None:
    # means 1, 2, 100 (the wild group): median 2, times 3 + 3 + 3 participants = 18.
    assert combine_groups([[3], [6], [300]], [3, 3, 3]) == [18.0]


def test_median_of_an_even_number_of_groups_averages_the_two_middle_means() -> None:
    # means 1, 2, 4, 1000 -> (2 + 4) / 2 = 3, times 4 groups of 2 = 24.
    assert combine_groups([[2], [4], [8], [2000]], [2, 2, 2, 2]) == [24.0]


def test_means_use_each_groups_own_size() -> None:
    # means 10 / 2 = 5, 9 / 3 = 3, 28 / 4 = 7: median 5, times 9 participants = 45.
    assert combine_groups([[10], [9], [28]], [2, 3, 4]) == [45.0]


def test_each_coordinate_is_combined_on_its_own() -> None:
    sums = [[1, 30], [2, 10], [3, 20]]
    assert combine_groups(sums, [1, 1, 1]) == [6.0, 60.0]


def test_trimmed_mean_drops_the_fraction_at_each_end() -> None:
    # means 0, 1, 2, 3, 100: trim 0.2 of 5 = 1 at each end -> mean of 1, 2, 3 = 2, times 5.
    sums = [[0], [1], [2], [3], [100]]
    assert combine_groups(sums, [1] * 5, "trimmed_mean", 0.2) == [10.0]
    # The default trim is 0.2.
    assert combine_groups(sums, [1] * 5, "trimmed_mean") == [10.0]
    # trim 0.19 of 5 = 0.95, rounded down to 0: the plain mean 106 / 5, times 5 = 106.
    assert combine_groups(sums, [1] * 5, "trimmed_mean", 0.19) == [106.0]


def test_trimmed_mean_that_would_drop_everything_keeps_everything() -> None:
    # trim 0.5 of 2 = 1 at each end leaves nothing: the mean of both, (1 + 3) / 2, times 2.
    assert combine_groups([[1], [3]], [1, 1], "trimmed_mean", 0.5) == [4.0]


def test_fractions_are_exact_until_the_end() -> None:
    # means 1/10, 1/10, 2/10: median 1/10, times 30 = 3 exactly (0.1 * 30 is 3.0000000000000004).
    assert combine_groups([[1], [1], [2]], [10, 10, 10]) == [3.0]


@pytest.mark.parametrize(
    ("sums", "sizes"),
    [([], []), ([[1]], []), ([[1], [2]], [1]), ([[1], [2]], [1, 0]), ([[1], [2]], [-1, 2])],
)
def test_every_group_needs_one_positive_size(sums: list[list[int]], sizes: list[int]) -> None:
    with pytest.raises(
        BmadError, match=r"^robust combination needs one positive size per group sum$"
    ):
        combine_groups(sums, sizes)


def test_group_sums_must_have_one_length() -> None:
    with pytest.raises(BmadError, match=r"^group sums differ in length$"):
        combine_groups([[1, 2], [3]], [1, 1])


def test_an_unknown_combiner_is_named() -> None:
    with pytest.raises(BmadError, match=r"^unknown robust combiner 'mean'$"):
        combine_groups([[1], [2]], [1, 1], "mean")
