"""k-participants on noisy counts, l-diversity and t-closeness with known values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.privacy import anonymity


def test_cells_are_released_on_noisy_counts() -> None:
    assert anonymity.released_cells([4.6, 5, 7, -1], 5) == [False, True, True, False]
    assert anonymity.suppress([10, 20, 30], [5, 4, 6], 5) == [10, None, 30]
    with pytest.raises(BmadError):
        anonymity.released_cells([1], 0)
    with pytest.raises(BmadError):
        anonymity.suppress([1, 2], [5], 5)


@pytest.mark.parametrize("l_value", [2, 3, 4, 5, 7, 10, 20])
def test_uniform_groups_have_entropy_l_exactly_l(l_value: int) -> None:
    # pycanon's int(e**H) reports l - 1 for some of these; the tolerance must not
    groups = [[1] * l_value, [3] * l_value]
    assert anonymity.entropy_l(groups) == pytest.approx(l_value, rel=1e-12)
    assert anonymity.is_entropy_l_diverse(groups, l_value)
    assert not anonymity.is_entropy_l_diverse(groups, l_value + 0.01)
    assert anonymity.is_distinct_l_diverse(groups, l_value)


def test_distinct_and_entropy_l_on_a_skewed_group() -> None:
    groups = [[8, 1, 1], [5, 5, 0], [0, 0, 0]]  # the empty group is ignored
    assert anonymity.distinct_l(groups) == 2
    h = -(0.8 * math.log(0.8) + 2 * 0.1 * math.log(0.1))
    assert anonymity.entropy_l(groups) == pytest.approx(math.exp(h))  # about 1.92 < 2
    assert not anonymity.is_entropy_l_diverse(groups, 2)


def test_t_closeness_golden_values() -> None:
    # Li et al. 2007's salary example: overall uniform over 9 values; a group holding the
    # three lowest (3k, 4k, 5k) has ordinal EMD 0.375, one holding 3k, 5k, 9k has 0.167.
    whole = [[1, 1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1, 0, 0, 0], [0] * 6 + [1, 1, 1]]
    assert anonymity.emd([1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0, 0, 0], [1 / 9] * 9, "ordinal") == (
        pytest.approx(0.375)
    )
    assert anonymity.emd([1 / 3, 0, 1 / 3, 0, 0, 0, 1 / 3, 0, 0], [1 / 9] * 9, "ordinal") == (
        pytest.approx(1 / 6)
    )
    assert anonymity.closeness_t(whole, "ordinal") == pytest.approx(0.375)
    # equal distance: 3 of 9 values at 1/3 against 1/9 each: 0.5 * (3 * 2/9 + 6 * 1/9) = 2/3
    assert anonymity.closeness_t(whole, "equal") == pytest.approx(2 / 3)
    assert anonymity.is_t_close(whole, 0.375, "ordinal")
    assert not anonymity.is_t_close(whole, 0.37, "ordinal")


def test_combined_check() -> None:
    groups = [[3, 3, 3], [2, 2, 2]]
    result = anonymity.check_table(
        groups, min_distinct_l=3, min_entropy_l=3, max_t=0.0, distance="equal"
    )
    assert result.passed
    assert result.t == pytest.approx(0, abs=1e-12)
    failing = anonymity.check_table(
        [[9, 0, 0], [0, 1, 1]], min_distinct_l=2, min_entropy_l=1, max_t=1, distance="ordinal"
    )
    assert not failing.passed


@given(st.lists(st.lists(st.integers(0, 50), min_size=4, max_size=4), min_size=1, max_size=6))
def test_measures_stay_in_their_ranges(groups: list[list[int]]) -> None:
    assert 0 <= anonymity.distinct_l(groups) <= 4
    assert 0 <= anonymity.entropy_l(groups) <= 4 * (1 + 1e-9)
    for distance in ("ordinal", "equal"):
        assert 0 <= anonymity.closeness_t(groups, distance) <= 1 + 1e-9  # type: ignore[arg-type]


@pytest.mark.parametrize("groups", [[], [[1, 2], [1]], [[]]])
def test_malformed_tables_are_refused(groups: list[list[int]]) -> None:
    with pytest.raises(BmadError):
        anonymity.distinct_l(groups)
