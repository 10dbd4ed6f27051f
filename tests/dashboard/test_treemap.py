"""The squarified treemap: areas proportional to sizes, inside the bounds, no overlaps."""

from __future__ import annotations

import itertools

import pytest

from bmad.dashboard.treemap import Rect, squarify


def overlap(a: Rect, b: Rect) -> float:
    width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    return max(0.0, width) * max(0.0, height)


@pytest.mark.parametrize(
    ("sizes", "bounds"),
    [
        ([6, 6, 4, 3, 2, 2, 1], Rect(0, 0, 6, 4)),  # the paper's example
        ([500, 120, 80, 80, 33, 9, 5, 1, 1, 1], Rect(10, 20, 300, 900)),
        ([1] * 40, Rect(0, 0, 1200, 680)),
    ],
)
def test_each_area_is_its_share_of_the_bounds_and_nothing_overlaps(
    sizes: list[float], bounds: Rect
) -> None:
    rects = squarify(sizes, bounds)
    total = sum(sizes)
    for size, rect in zip(sizes, rects, strict=True):
        assert rect.width * rect.height == pytest.approx(
            bounds.width * bounds.height * size / total, rel=1e-9
        )
        assert bounds.x - 1e-9 <= rect.x and rect.x + rect.width <= bounds.x + bounds.width + 1e-9
        assert bounds.y - 1e-9 <= rect.y and rect.y + rect.height <= bounds.y + bounds.height + 1e-9
    for a, b in itertools.combinations(rects, 2):
        assert overlap(a, b) < 1e-6


def test_the_papers_example_keeps_aspect_ratios_low() -> None:
    rects = squarify([6, 6, 4, 3, 2, 2, 1], Rect(0, 0, 6, 4))
    worst = max(max(r.width / r.height, r.height / r.width) for r in rects)
    assert worst < 3.0  # slice-and-dice lays the 1 as a 6 x 0.17 sliver (ratio 36)


def test_zero_sizes_get_empty_rectangles_and_keep_their_places() -> None:
    rects = squarify([0, 5, 0, 5], Rect(0, 0, 10, 10))
    assert [r.width * r.height for r in rects] == pytest.approx([0, 50, 0, 50])
    assert squarify([0, 0], Rect(0, 0, 10, 10)) == [Rect(0, 0, 0, 0), Rect(0, 0, 0, 0)]
