"""The Beta distribution's CDF and quantiles, for a reputation's credible interval.

The CDF is the regularised incomplete beta function I_x(a, b), evaluated by its continued
fraction (modified Lentz; DLMF 8.17.22, as in Numerical Recipes' ``betacf``) on the side where
it converges fast, and the quantile inverts it by bisection, which the CDF's monotonicity makes
exact to the last bits. scipy is not a dependency of bmad; tests check these against closed
forms (Beta(a, 1), Beta(1, b)) and, for whole parameters, the binomial sum.
"""

from __future__ import annotations

import math

from bmad.errors import BmadError

_TINY = 1e-300
_EPSILON = 1e-15
_MAX_TERMS = 10_000
_BISECTIONS = 200


def beta_cdf(x: float, a: float, b: float) -> float:
    """P(X <= x) for X ~ Beta(a, b), with a, b > 0."""
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise BmadError(f"Beta parameters must be positive, got a={a!r}, b={b!r}")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _continued_fraction(x, a, b) / a
    return 1.0 - front * _continued_fraction(1 - x, b, a) / b


def beta_quantile(p: float, a: float, b: float) -> float:
    """The x with P(X <= x) = p for X ~ Beta(a, b)."""
    if not 0 <= p <= 1:
        raise BmadError(f"a quantile's probability must be in [0, 1], got {p!r}")
    if p in (0.0, 1.0):  # the support's ends; the CDF reaches 1.0 in floats before x = 1
        return p
    low, high = 0.0, 1.0
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if beta_cdf(middle, a, b) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _continued_fraction(x: float, a: float, b: float) -> float:
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _MAX_TERMS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= d * c
        if abs(d * c - 1.0) < _EPSILON:
            return result
    raise BmadError(f"the incomplete beta function did not converge (x={x}, a={a}, b={b})")
