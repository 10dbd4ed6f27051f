"""Exact goodness-of-fit and Clopper-Pearson helpers for the sampler tests.

scipy is present through scikit-learn (a hard dependency of bmad); only its exact special
functions are used: the chi-square upper tail and the beta quantile.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import stats

Pmf = Callable[[int], float]


def discrete_gaussian_pmf(scale: float) -> Pmf:
    reach = int(scale * 40) + 10
    norm = math.fsum(math.exp(-(k * k) / (2 * scale * scale)) for k in range(-reach, reach + 1))
    return lambda x: math.exp(-(x * x) / (2 * scale * scale)) / norm


def discrete_laplace_pmf(scale: float) -> Pmf:
    decay = math.exp(-1 / scale)
    head = (1 - decay) / (1 + decay)
    return lambda x: head * decay ** abs(x)


def chi_square_pooled(
    samples: Sequence[int], pmf: Pmf, min_expected: float = 20.0
) -> tuple[float, int]:
    """Pearson's statistic over integer bins, tails pooled until each expects >= min_expected.

    Returns (statistic, degrees of freedom). The pmf must be symmetric around 0.
    """
    n = len(samples)
    counts = Counter(int(value) for value in samples)
    edge = 0
    while n * pmf(edge + 1) >= min_expected:
        edge += 1
    # bins: (-inf, -edge-1], each of -edge..edge, [edge+1, inf)
    central = sum(pmf(k) for k in range(-edge, edge + 1))
    tail = (1 - central) / 2
    expected = [n * tail] + [n * pmf(k) for k in range(-edge, edge + 1)] + [n * tail]
    observed = [sum(c for v, c in counts.items() if v < -edge)]
    observed += [counts.get(k, 0) for k in range(-edge, edge + 1)]
    observed += [sum(c for v, c in counts.items() if v > edge)]
    if expected[0] < min_expected:  # tails too thin to stand alone: fold them into the ends
        expected = [expected[0] + expected[1], *expected[2:-2], expected[-2] + expected[-1]]
        observed = [observed[0] + observed[1], *observed[2:-2], observed[-2] + observed[-1]]
    statistic = math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    return statistic, len(expected) - 1


def chi_square_rejects(samples: Sequence[int], pmf: Pmf, alpha: float) -> bool:
    statistic, dof = chi_square_pooled(samples, pmf)
    return float(stats.chi2.sf(statistic, dof)) < alpha


def clopper_pearson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """Two one-sided (1 - alpha) bounds on a binomial proportion."""
    low = 0.0 if successes == 0 else float(stats.beta.ppf(alpha, successes, trials - successes + 1))
    high = (
        1.0
        if successes == trials
        else float(stats.beta.isf(alpha, successes + 1, trials - successes))
    )
    return low, high


def epsilon_lower_bound(
    hits_in: int, trials_in: int, hits_out: int, trials_out: int, delta: float, alpha: float
) -> float:
    """(1 - 2 alpha)-confidence lower bound on eps from P[E|D] <= e^eps P[E|D'] + delta."""
    p_in_low, _ = clopper_pearson(hits_in, trials_in, alpha)
    _, p_out_high = clopper_pearson(hits_out, trials_out, alpha)
    if p_in_low - delta <= 0:
        return 0.0
    return max(0.0, math.log((p_in_low - delta) / p_out_high))


@dataclass(frozen=True)
class ThresholdEvent:
    threshold: int
    upper: bool  # E = {y >= threshold} when True, {y <= threshold} otherwise

    def count(self, outputs: np.ndarray) -> int:
        hits = outputs >= self.threshold if self.upper else outputs <= self.threshold
        return int(np.count_nonzero(hits))


def best_threshold_event(
    selection_in: np.ndarray, selection_out: np.ndarray, delta: float, alpha: float
) -> ThresholdEvent:
    """Choose E = {y >= t} or {y <= t} with the highest epsilon lower bound on the selection half.

    Ranking events by the Clopper-Pearson bound rather than by the raw empirical ratio keeps
    the choice away from thin tails, whose ratio is mostly sampling noise and whose evaluation
    on the other half would give a loose bound.
    """
    values = np.union1d(selection_in, selection_out)
    sorted_in, sorted_out = np.sort(selection_in), np.sort(selection_out)
    best = (-math.inf, ThresholdEvent(0, True))
    for upper in (True, False):
        if upper:
            hits_in = len(sorted_in) - np.searchsorted(sorted_in, values, side="left")
            hits_out = len(sorted_out) - np.searchsorted(sorted_out, values, side="left")
        else:
            hits_in = np.searchsorted(sorted_in, values, side="right")
            hits_out = np.searchsorted(sorted_out, values, side="right")
        for value, n_in, n_out in zip(values, hits_in, hits_out, strict=True):
            bound = epsilon_lower_bound(
                int(n_in), len(sorted_in), int(n_out), len(sorted_out), delta, alpha
            )
            if bound > best[0]:
                best = (bound, ThresholdEvent(int(value), upper))
    return best[1]


def audit_epsilon(
    outputs_in: np.ndarray, outputs_out: np.ndarray, delta: float, alpha: float
) -> float:
    """Lower bound on epsilon over both directions of a neighbouring pair of output samples.

    In each direction the distinguishing event is chosen on the first half of each sample and
    evaluated on the second half, so the bound holds with confidence 1 - 2 alpha per direction.
    """
    bounds = []
    for first, second in ((outputs_in, outputs_out), (outputs_out, outputs_in)):
        cut_first, cut_second = len(first) // 2, len(second) // 2
        event = best_threshold_event(first[:cut_first], second[:cut_second], delta, alpha)
        evaluation_first, evaluation_second = first[cut_first:], second[cut_second:]
        bounds.append(
            epsilon_lower_bound(
                event.count(evaluation_first),
                len(evaluation_first),
                event.count(evaluation_second),
                len(evaluation_second),
                delta,
                alpha,
            )
        )
    return max(bounds)


def parallel_draws(
    sample: Callable[[float, int], list[int]], scale: float, size: int
) -> np.ndarray:
    """Draw in two threads (OpenDP releases the GIL while sampling)."""
    half = size // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(sample, scale, half)
        second = pool.submit(sample, scale, size - half)
        return np.concatenate(
            [np.array(first.result(), dtype=np.int64), np.array(second.result(), dtype=np.int64)]
        )
