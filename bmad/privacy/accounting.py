"""zCDP accounting: composition and conversion to (epsilon, delta).

- rho-zCDP composes by addition; epsilon-DP implies (epsilon^2 / 2)-zCDP (Bun and Steinke 2016,
  Proposition 1.4); pure-DP spends compose by adding their epsilons.
- rho-zCDP -> (epsilon, delta): Canonne, Kamath and Steinke 2020, "The Discrete Gaussian for
  Differential Privacy", Corollary 13 (the conversion OpenDP implements):

      epsilon(delta) = inf_{a > 1}  a rho + (ln(1/delta) + (a - 1) ln(1 - 1/a) - ln a) / (a - 1)

  It is never larger than the classic closed form rho + 2 sqrt(rho ln(1/delta)) (Bun and
  Steinke 2016, Proposition 1.3), kept here as a looser cross-check.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

from bmad.errors import BmadError

_SEARCH_STEPS = 200


def _check_delta(delta: float) -> None:
    if not 0 < delta < 1:
        raise BmadError(f"delta must be in (0, 1), got {delta!r}")


def _check_rho(rho: float) -> None:
    if not (rho >= 0 and math.isfinite(rho)):
        raise BmadError(f"rho must be a non-negative finite number, got {rho!r}")


def epsilon_closed_form(rho: float, delta: float) -> float:
    """Bun-Steinke 2016: rho-zCDP implies (rho + 2 sqrt(rho ln(1/delta)), delta)-DP."""
    _check_rho(rho)
    _check_delta(delta)
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


def _cks_epsilon_at(alpha: float, rho: float, log_inv_delta: float) -> float:
    return alpha * rho + (
        log_inv_delta + (alpha - 1) * math.log1p(-1 / alpha) - math.log(alpha)
    ) / (alpha - 1)


def zcdp_to_epsilon(rho: float, delta: float) -> float:
    """The smallest epsilon such that rho-zCDP implies (epsilon, delta)-DP (CKS20, Cor. 13).

    The objective is convex in log(alpha - 1) over the range searched, so a golden-section
    search on that coordinate finds the infimum; the result is capped by the closed form.
    """
    _check_rho(rho)
    _check_delta(delta)
    if rho == 0:
        return 0.0
    log_inv_delta = math.log(1 / delta)
    optimum = 1 + math.sqrt(log_inv_delta / rho)  # minimiser of the closed-form relaxation
    low, high = math.log(1e-9), math.log(max(optimum * 100, 1e3))

    def objective(x: float) -> float:
        return _cks_epsilon_at(1 + math.exp(x), rho, log_inv_delta)

    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = objective(a), objective(b)
    for _ in range(_SEARCH_STEPS):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = objective(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = objective(b)
        if high - low < 1e-12:
            break
    return max(0.0, min(fa, fb, epsilon_closed_form(rho, delta)))


@functools.lru_cache(maxsize=128)
def rho_budget(epsilon: float, delta: float) -> float:
    """The largest rho whose (epsilon, delta) conversion stays within ``epsilon``."""
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise BmadError(f"epsilon must be a positive finite number, got {epsilon!r}")
    _check_delta(delta)
    low, high = 0.0, epsilon
    while zcdp_to_epsilon(high, delta) <= epsilon:
        high *= 2
    for _ in range(_SEARCH_STEPS):
        middle = (low + high) / 2
        if zcdp_to_epsilon(middle, delta) <= epsilon:
            low = middle
        else:
            high = middle
        if high - low <= high * 1e-13:
            break
    return low


def pure_to_zcdp(epsilon: float) -> float:
    """epsilon-DP implies (epsilon^2 / 2)-zCDP."""
    if not (epsilon >= 0 and math.isfinite(epsilon)):
        raise BmadError(f"epsilon must be a non-negative finite number, got {epsilon!r}")
    return epsilon**2 / 2


@dataclass(frozen=True, slots=True)
class Spend:
    """One release's cost: its zCDP rho, and its pure-DP epsilon when it has one."""

    rho: float
    epsilon: float | None = None


@dataclass(frozen=True, slots=True)
class Guarantee:
    rho: float
    epsilon: float  # at ``delta``
    delta: float
    pure_epsilon: float | None  # set when every spend was pure DP


def compose(spends: Iterable[Spend], delta: float) -> Guarantee:
    """The guarantee of running every spend: rhos add; if all are pure, epsilons add too."""
    rho = 0.0
    pure: float | None = 0.0
    for spend in spends:
        _check_rho(spend.rho)
        rho += spend.rho
        pure = None if pure is None or spend.epsilon is None else pure + spend.epsilon
    epsilon = zcdp_to_epsilon(rho, delta)
    if pure is not None:
        epsilon = min(epsilon, pure)
    return Guarantee(rho=rho, epsilon=epsilon, delta=delta, pure_epsilon=pure)


def parse_budget(text: str) -> tuple[float, float]:
    """``"epsilon=1.0,delta=1e-5"`` -> (1.0, 1e-05)."""
    values: dict[str, float] = {}
    for part in text.split(","):
        key, sep, raw = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in {"epsilon", "delta"} or key in values:
            raise BmadError(f"privacy budget must look like 'epsilon=1.0,delta=1e-5', got {text!r}")
        try:
            values[key] = float(raw)
        except ValueError:
            raise BmadError(f"privacy budget value {raw.strip()!r} is not a number") from None
    if set(values) != {"epsilon", "delta"}:
        raise BmadError(f"privacy budget must give both epsilon and delta, got {text!r}")
    epsilon, delta = values["epsilon"], values["delta"]
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise BmadError(f"epsilon must be a positive finite number, got {epsilon!r}")
    _check_delta(delta)
    return epsilon, delta
