"""Contribution bounding: from raw local counts to integer vectors with known sensitivity.

A contribution vector is a concatenation of labelled blocks. Each block is bounded one of two
ways, so the change one participant can make to it is a constant:

- ``FixedMass(m)``: the block is the participant's histogram rescaled to exactly ``m`` (integer
  largest-remainder rounding), or all zeros when the participant has nothing to count. Two such
  blocks differ by at most 2m in L1 and m*sqrt(2) in L2 (m and m for a one-bin block).
- ``BinCap(c)``: every bin is clipped to [0, c]; two blocks of width w differ by at most c*w in L1
  and c*sqrt(w) in L2.
- ``NormBall(r)``: a signed block (a gradient) scaled down to L2 norm at most r and truncated
  towards zero; two such blocks differ by at most 2r in L2 and 2r*sqrt(w) in L1.

The sensitivities below are for replacing one participant's data by any other (which also
covers adding or removing a participant, whose vector is one of the two). Over the whole
vector, L1 adds across blocks and L2 is the root of the summed squares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from bmad.errors import BmadError


@dataclass(frozen=True, slots=True)
class FixedMass:
    mass: int


@dataclass(frozen=True, slots=True)
class BinCap:
    cap: int


@dataclass(frozen=True, slots=True)
class NormBall:
    norm: int


Bound = FixedMass | BinCap | NormBall


def normalise_to_mass(counts: Sequence[float], mass: int) -> list[int]:
    """Rescale non-negative counts to integers summing to exactly ``mass`` (Hamilton rounding).

    Ties in the remainders go to the lower index so the result is deterministic. All-zero input
    stays all zero.
    """
    exact = [Fraction(value) for value in counts]
    if any(value < 0 for value in exact):
        raise BmadError("histogram counts cannot be negative")
    total = sum(exact, Fraction(0))
    if total == 0:
        return [0] * len(exact)
    shares = [value * mass / total for value in exact]
    floors = [math.floor(share) for share in shares]
    missing = mass - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for index in order[:missing]:
        floors[index] += 1
    return floors


def cap_bins(counts: Sequence[float], cap: int) -> list[int]:
    if any(value < 0 for value in counts):
        raise BmadError("histogram counts cannot be negative")
    return [min(int(value), cap) for value in counts]


def clip_to_norm(values: Sequence[float], norm: int) -> list[int]:
    """``values`` scaled down to L2 norm at most ``norm`` when longer, truncated towards zero
    (so truncation never lengthens it)."""
    length = math.sqrt(sum(value * value for value in values))
    # A hair under the norm, so that float rounding cannot carry a clipped vector above it.
    limit = norm * (1 - 1e-9)
    shrink = limit / length if length > limit else 1.0
    return [math.trunc(value * shrink) for value in values]


def block_l1_sensitivity(bound: Bound, width: int) -> int:
    if isinstance(bound, FixedMass):
        return bound.mass if width == 1 else 2 * bound.mass
    if isinstance(bound, NormBall):
        return math.ceil(2 * bound.norm * math.sqrt(width))
    return bound.cap * width


def block_l2_squared_sensitivity(bound: Bound, width: int) -> int:
    if isinstance(bound, FixedMass):
        return bound.mass**2 if width == 1 else 2 * bound.mass**2
    if isinstance(bound, NormBall):
        return (2 * bound.norm) ** 2
    return bound.cap**2 * width


@dataclass(frozen=True, slots=True)
class Block:
    name: str
    labels: tuple[str, ...]
    bound: Bound

    def apply(self, counts: Sequence[float]) -> list[int]:
        if len(counts) != len(self.labels):
            raise BmadError(
                f"block {self.name!r} expects {len(self.labels)} counts, got {len(counts)}"
            )
        if isinstance(self.bound, FixedMass):
            return normalise_to_mass(counts, self.bound.mass)
        if isinstance(self.bound, NormBall):
            return clip_to_norm(counts, self.bound.norm)
        return cap_bins(counts, self.bound.cap)


@dataclass(frozen=True, slots=True)
class ContributionSchema:
    """A versioned vector layout for one learning type; the version changes with any layout,
    bound or definition change, so the aggregator never sums incompatible vectors."""

    learning_type: str
    version: int
    blocks: tuple[Block, ...]
    definitions: tuple[tuple[str, str], ...] = ()  # (term, meaning) shown to users

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f"{block.name}/{label}" for block in self.blocks for label in block.labels)

    @property
    def dim(self) -> int:
        return sum(len(block.labels) for block in self.blocks)

    @property
    def l1_sensitivity(self) -> int:
        return sum(block_l1_sensitivity(b.bound, len(b.labels)) for b in self.blocks)

    @property
    def l2_squared_sensitivity(self) -> int:
        return sum(block_l2_squared_sensitivity(b.bound, len(b.labels)) for b in self.blocks)

    @property
    def l2_sensitivity(self) -> float:
        return math.sqrt(self.l2_squared_sensitivity)

    def bound(self, raw_blocks: Sequence[Sequence[float]]) -> tuple[int, ...]:
        """Bound raw per-block counts into the schema's vector."""
        if len(raw_blocks) != len(self.blocks):
            raise BmadError(
                f"{self.learning_type} expects {len(self.blocks)} blocks, got {len(raw_blocks)}"
            )
        vector: list[int] = []
        for block, counts in zip(self.blocks, raw_blocks, strict=True):
            vector.extend(block.apply(counts))
        return tuple(vector)
