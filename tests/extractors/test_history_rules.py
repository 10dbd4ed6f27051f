"""Change coupling's thresholds, each pinned exactly at its boundary (code-maat's rules).

Every case is a handful of change sets whose counts are worked out in the comment above it;
the same sets are checked one step inside and one step outside each threshold.
"""

from __future__ import annotations

from bmad.extractors.history_coupling import (
    CouplingPair,
    CouplingThresholds,
    coupling_pairs,
    sum_of_coupling,
)

LOOSE = CouplingThresholds(min_revs=1, min_shared_revs=1, min_coupling=1)


def padded_sets(size: int, count: int) -> list[list[int]]:
    """``count`` change sets of exactly ``size`` files, each holding files 0 and 1 and its own
    padding files (so that no padding pair is ever shared twice)."""
    return [[0, 1, *range(100 + i * size, 100 + i * size + size - 2)] for i in range(count)]


def pair_of_0_and_1(pairs: list[CouplingPair]) -> CouplingPair | None:
    return next((pair for pair in pairs if (pair.a, pair.b) == (0, 1)), None)


def test_a_change_set_of_exactly_max_changeset_files_is_counted() -> None:
    # Five change sets of exactly 4 files: 0 and 1 share all five, degree 100.
    sets = padded_sets(size=4, count=5)
    assert all(len(change_set) == 4 for change_set in sets)
    at_limit = coupling_pairs(sets, CouplingThresholds(max_changeset=4))
    assert at_limit == [CouplingPair(0, 1, degree=100, shared=5, average_revs=5)]
    # One file over the limit: every set is dropped before counting, nothing is coupled.
    assert coupling_pairs(sets, CouplingThresholds(max_changeset=3)) == []


def test_the_limit_drops_only_the_large_change_sets() -> None:
    # 5 sets of size 2 ({0, 1}) and 3 of size 6: with max_changeset 5 only the small ones count.
    sets = padded_sets(size=2, count=5) + padded_sets(size=6, count=3)
    (pair,) = coupling_pairs(sets, CouplingThresholds(max_changeset=5))
    assert (pair.shared, pair.average_revs) == (5, 5)
    (pair,) = coupling_pairs(sets, CouplingThresholds(max_changeset=6))
    assert (pair.shared, pair.average_revs) == (8, 8)


def test_an_empty_change_set_counts_for_nothing() -> None:
    assert coupling_pairs([[], [0, 1], []], LOOSE) == [CouplingPair(0, 1, 100, 1, 1)]


def test_degree_exactly_at_min_coupling_is_kept() -> None:
    # 0 and 1 together 5 times, each alone 5 more: revs 10 and 10, mean 10,
    # degree = 100 * 5 / 10 = 50 exactly.
    sets = [[0, 1]] * 5 + [[0]] * 5 + [[1]] * 5
    (pair,) = coupling_pairs(sets, CouplingThresholds(min_coupling=50))
    assert (pair.degree, pair.shared, pair.average_revs) == (50, 5, 10)
    assert coupling_pairs(sets, CouplingThresholds(min_coupling=51)) == []


def test_mean_revisions_exactly_at_min_revs_is_kept() -> None:
    # revs 6 and 6 (together 5 times, each alone once): mean 6.
    sets = [[0, 1]] * 5 + [[0], [1]]
    (pair,) = coupling_pairs(sets, CouplingThresholds(min_revs=6))
    assert pair.average_revs == 6
    assert coupling_pairs(sets, CouplingThresholds(min_revs=7)) == []


def test_min_revs_compares_the_mean_before_rounding() -> None:
    # revs 6 and 5: mean 5.5, reported rounded up to 6, but min_revs 6 is not reached.
    sets = [[0, 1]] * 5 + [[0]]
    (pair,) = coupling_pairs(sets, CouplingThresholds(min_revs=5))
    # degree = 100 * 5 / 5.5 = 90.9..., truncated to 90
    assert (pair.degree, pair.average_revs) == (90, 6)
    assert coupling_pairs(sets, CouplingThresholds(min_revs=6)) == []


def test_shared_revisions_exactly_at_min_shared_revs_is_kept() -> None:
    sets = [[0, 1]] * 7
    (pair,) = coupling_pairs(sets, CouplingThresholds(min_shared_revs=7))
    assert pair.shared == 7
    assert coupling_pairs(sets, CouplingThresholds(min_shared_revs=8)) == []


def test_max_coupling_compares_the_truncated_degree() -> None:
    # degree 90.9... (as above): floor 90 is within max_coupling 90, outside 89.
    sets = [[0, 1]] * 5 + [[0]]
    assert len(coupling_pairs(sets, CouplingThresholds(max_coupling=90))) == 1
    assert coupling_pairs(sets, CouplingThresholds(max_coupling=89)) == []


def test_a_file_listed_twice_in_one_change_set_is_one_revision() -> None:
    (pair,) = coupling_pairs([[0, 1, 0]] * 2, LOOSE)
    assert (pair.shared, pair.average_revs, pair.degree) == (2, 2, 100)


def test_pairs_are_ordered_by_degree_then_mean_revisions_then_files() -> None:
    # (0, 1): together 2, revs 2 and 2 -> degree 100, mean 2
    # (2, 3): together 4, revs 4 and 4 -> degree 100, mean 4
    # (4, 5): together 1, revs 2 and 1 -> degree 66, mean 1.5 (reported 2)
    # (6, 7) and (8, 9): together 1 each, degree 100, mean 1
    sets = [[0, 1]] * 2 + [[2, 3]] * 4 + [[4, 5], [4], [8, 9], [6, 7]]
    pairs = coupling_pairs(sets, LOOSE)
    assert [(p.a, p.b, p.degree, p.average_revs) for p in pairs] == [
        (2, 3, 100, 4),
        (0, 1, 100, 2),
        (6, 7, 100, 1),
        (8, 9, 100, 1),
        (4, 5, 66, 2),
    ]


def test_sum_of_coupling_keeps_only_totals_above_min_revs() -> None:
    # {0, 1, 2} three times and {0, 1} once: 0 and 1 total 3*2 + 1 = 7, file 2 total 6.
    sets = [[0, 1, 2]] * 3 + [[0, 1]]
    assert sum_of_coupling(sets, min_revs=6) == {0: 7, 1: 7}
    assert sum_of_coupling(sets, min_revs=7) == {}
    # A file named twice in one change set has one partner fewer, not one more.
    assert sum_of_coupling([[0, 1, 1]], min_revs=0) == {0: 1, 1: 1}
