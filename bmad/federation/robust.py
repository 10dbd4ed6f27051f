"""Robust combination of group sums (Byzantine tolerance beyond bounded inputs).

With enough participants the round splits them into groups of at least k organisations, each
aggregated securely on its own. Every group sum is turned into a per-participant mean, the
means are combined coordinate-wise by the median or a trimmed mean, and the result is scaled
back to the number of surviving participants: an estimate of the total that one group of
arbitrarily bad inputs cannot drag further than the spread of the honest groups.

Threat model (what this does and does not stop):

- Stops: a minority of groups (under half for the median, under the trim fraction for the
  trimmed mean) whose sums are wild, for example because a modified client sent values far
  outside the schema's fixed mass; their influence on each coordinate is bounded by the
  honest groups' values. Honest clients cannot send such values: their vectors are bounded by
  construction (fixed mass or capped bins) before noise.
- Does not stop: a malicious participant that stays inside the bounds (plausible but false
  histograms) -- bounded inputs limit its effect to what one honest participant could do; a
  majority of groups controlled by colluders; a malicious aggregator that drops or reorders
  groups (each group still reveals only the sum of >= k masked inputs, so privacy holds, but
  the result's integrity depends on the aggregator); Sybil organisations, which the one-time
  enrolment tokens issued by the federation's admin are meant to keep out.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from bmad.errors import BmadError


def _median(values: list[Fraction]) -> Fraction:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _trimmed_mean(values: list[Fraction], trim_fraction: float) -> Fraction:
    ordered = sorted(values)
    cut = int(len(ordered) * trim_fraction)
    kept = ordered[cut : len(ordered) - cut] or ordered
    return sum(kept, Fraction(0)) / len(kept)


def combine_groups(
    sums: Sequence[Sequence[int]],
    sizes: Sequence[int],
    combiner: str = "median",
    trim_fraction: float = 0.2,
) -> list[float]:
    """An estimate of the total over all groups' participants; exact for a single group."""
    if not sums or len(sums) != len(sizes) or any(size <= 0 for size in sizes):
        raise BmadError("robust combination needs one positive size per group sum")
    if len({len(values) for values in sums}) != 1:
        raise BmadError("group sums differ in length")
    if len(sums) == 1:
        return [float(value) for value in sums[0]]
    total = sum(sizes)
    result: list[float] = []
    for coordinate in range(len(sums[0])):
        means = [Fraction(group[coordinate], size) for group, size in zip(sums, sizes, strict=True)]
        if combiner == "median":
            centre = _median(means)
        elif combiner == "trimmed_mean":
            centre = _trimmed_mean(means, trim_fraction)
        else:
            raise BmadError(f"unknown robust combiner {combiner!r}")
        result.append(float(centre * total))
    return result
