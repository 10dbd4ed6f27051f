"""Squarified treemap layout (Bruls, Huizing, van Wijk 2000): pure, sizes in, rectangles out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


def _worst_ratio(total: float, largest: float, smallest: float, side: float) -> float:
    """The largest aspect ratio in a row of areas (their sum, largest and smallest) laid along
    a side of length ``side``."""
    return max(side * side * largest / (total * total), total * total / (side * side * smallest))


def squarify(sizes: Sequence[float], bounds: Rect) -> list[Rect]:
    """One rectangle per size, in the same order, tiling ``bounds`` with areas proportional to
    the sizes. Sizes should be sorted largest first (the algorithm's premise); zero and negative
    sizes get empty rectangles."""
    total = sum(size for size in sizes if size > 0)
    result = [Rect(bounds.x, bounds.y, 0.0, 0.0) for _ in sizes]
    if total <= 0 or bounds.width <= 0 or bounds.height <= 0:
        return result
    scale = bounds.width * bounds.height / total
    pending = [(index, size * scale) for index, size in enumerate(sizes) if size > 0]
    x, y, width, height = bounds.x, bounds.y, bounds.width, bounds.height
    start = 0
    while start < len(pending):
        side = min(width, height)
        end = start + 1
        row_area = largest = smallest = pending[start][1]
        ratio = _worst_ratio(row_area, largest, smallest, side)
        while end < len(pending):
            area = pending[end][1]
            widened = _worst_ratio(row_area + area, max(largest, area), min(smallest, area), side)
            if widened > ratio:
                break
            row_area, largest, smallest, ratio = (
                row_area + area,
                max(largest, area),
                min(smallest, area),
                widened,
            )
            end += 1
        if width >= height:  # lay the row as a column on the left
            column = row_area / height
            offset = y
            for index, area in pending[start:end]:
                extent = area / column
                result[index] = Rect(x, offset, column, extent)
                offset += extent
            x, width = x + column, width - column
        else:  # lay the row along the top
            band = row_area / width
            offset = x
            for index, area in pending[start:end]:
                extent = area / band
                result[index] = Rect(offset, y, extent, band)
                offset += extent
            y, height = y + band, height - band
        start = end
    return result
