"""Ranking measures for defect prediction: ROC AUC, precision at k, and two effort-aware ones
(recall within the first 20% of lines, and Popt after Kamei et al. 2013 / Mende and Koschke
2010), all over one list of (score, label, lines)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Mann-Whitney U with mid-ranks for ties."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = sorted(s for s, y in zip(scores, labels, strict=True) if not y)
    if not positives or not negatives:
        return float("nan")
    total = 0.0
    for score in positives:
        below = bisect.bisect_left(negatives, score)
        ties = bisect.bisect_right(negatives, score) - below
        total += below + 0.5 * ties
    return total / (len(positives) * len(negatives))


def _order(keys: Sequence[str], scores: Sequence[float]) -> list[int]:
    return sorted(range(len(keys)), key=lambda i: (-scores[i], keys[i]))


def precision_at(
    keys: Sequence[str], scores: Sequence[float], labels: Sequence[bool], k: int
) -> float:
    top = _order(keys, scores)[:k]
    return sum(labels[i] for i in top) / len(top) if top else float("nan")


def recall_at_effort(
    keys: Sequence[str],
    scores: Sequence[float],
    labels: Sequence[bool],
    lines: Sequence[int],
    share: float = 0.2,
) -> float:
    """Share of the positives among the items read first within ``share`` of all lines."""
    budget = share * sum(lines)
    found = spent = 0
    for i in _order(keys, scores):
        spent += lines[i]
        if spent > budget:
            break
        found += labels[i]
    total = sum(labels)
    return found / total if total else float("nan")


def _area(order: Sequence[int], labels: Sequence[bool], lines: Sequence[int]) -> float:
    """Area under the curve of found positives (share) against lines read (share)."""
    total_lines = sum(lines) or 1
    total = sum(labels) or 1
    area = x = y = 0.0
    for i in order:
        dx = lines[i] / total_lines
        dy = labels[i] / total
        area += dx * (y + dy / 2)
        x += dx
        y += dy
    return area


def popt(
    keys: Sequence[str], scores: Sequence[float], labels: Sequence[bool], lines: Sequence[int]
) -> float:
    """1 - (optimal - model) / (optimal - worst): 1 is the best order by positives per line,
    0 the worst."""
    items = range(len(keys))

    def density(i: int) -> float:
        return labels[i] / max(lines[i], 1)

    optimal = _area(sorted(items, key=lambda i: (-density(i), lines[i])), labels, lines)
    worst = _area(sorted(items, key=lambda i: (density(i), -lines[i])), labels, lines)
    model = _area(_order(keys, scores), labels, lines)
    return 1 - (optimal - model) / (optimal - worst) if optimal > worst else float("nan")
