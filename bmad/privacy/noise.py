"""Discrete noise from OpenDP's exact samplers, calibrated from a privacy budget.

Only OpenDP's samplers (exact discrete Gaussian and discrete Laplace of Canonne, Kamath and
Steinke 2020, drawing from the OS CSPRNG) produce noise here; no float sampler, no ``random``.
OpenDP takes 1-2 s to import, so it is imported inside the sampling functions only.

Calibration (``scale`` is OpenDP's: the discrete Gaussian N_Z(0, scale^2) has mass proportional
to exp(-x^2 / (2 scale^2)); the discrete Laplace has mass proportional to exp(-|x| / scale)):

- discrete Gaussian, L2 sensitivity D2: rho-zCDP with rho = D2^2 / (2 scale^2);
- discrete Laplace, L1 sensitivity D1: epsilon-DP with epsilon = D1 / scale.

Distributed noise (secure aggregation): each participant adds a discrete Gaussian share with
scale ``s``; the aggregator only sees the sum of the shares of the survivors. The sum of n
discrete Gaussians is not exactly a discrete Gaussian, so we rely on Kairouz, Liu and Steinke
2021, "The Distributed Discrete Gaussian Mechanism for Federated Learning with Secure
Aggregation" (ICML, arXiv:2102.06387), Theorem 1 / Proposition 14: for s >= 1/2, n shares and
any integer shift with L2 norm D2 in dimension d, the sum satisfies (eps^2 / 2)-zCDP with

    eps = D2 / (sqrt(n) s) + tau sqrt(d),   tau = 10 * sum_{k=1}^{n-1} exp(-2 pi^2 s^2 k / (k+1)).

(This is the second term of the theorem's minimum, so it is valid whichever term is smaller.)
Shares are sized for the minimum number of honest survivors ``n_min``: a round with more
survivors adds further data-independent noise, which is post-processing of the n_min-share sum,
so its guarantee is at least as strong; a round with fewer survivors must be aborted by the
federation before unmasking. The share scale is at least 1 (tau < 6e-4 there), found by
bisection so that the bound above meets the target rho.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bmad.errors import BmadError

Mechanism = Literal["gaussian", "laplace"]

MIN_SHARE_SCALE = 1.0
_BISECTION_STEPS = 200


@dataclass(frozen=True, slots=True)
class NoisePlan:
    """How much noise one release gets, and what it costs."""

    mechanism: Mechanism
    scale: float
    rho: float  # zCDP cost (for "laplace": eps^2 / 2, the zCDP implied by eps-DP)
    epsilon: float | None  # pure-DP cost, "laplace" only
    participants: int = 1  # number of shares whose sum carries the noise (distributed DP)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mechanism": self.mechanism,
            "scale": self.scale,
            "rho": self.rho,
            "epsilon": self.epsilon,
            "participants": self.participants,
        }


def _require_positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise BmadError(f"{name} must be a positive finite number, got {value!r}")


def gaussian_scale_for_rho(rho: float, l2_sensitivity: float) -> float:
    _require_positive("rho", rho)
    _require_positive("L2 sensitivity", l2_sensitivity)
    return l2_sensitivity / math.sqrt(2 * rho)


def gaussian_rho(scale: float, l2_sensitivity: float) -> float:
    _require_positive("scale", scale)
    return l2_sensitivity**2 / (2 * scale**2)


def laplace_scale_for_epsilon(epsilon: float, l1_sensitivity: float) -> float:
    _require_positive("epsilon", epsilon)
    _require_positive("L1 sensitivity", l1_sensitivity)
    return l1_sensitivity / epsilon


def laplace_epsilon(scale: float, l1_sensitivity: float) -> float:
    _require_positive("scale", scale)
    return l1_sensitivity / scale


def distributed_tau(share_scale: float, participants: int) -> float:
    """KLS21's tau: how far a sum of ``participants`` discrete Gaussians is from one."""
    return 10 * sum(
        math.exp(-2 * math.pi**2 * share_scale**2 * k / (k + 1)) for k in range(1, participants)
    )


def distributed_rho(
    share_scale: float, participants: int, l2_sensitivity: float, dim: int
) -> float:
    """zCDP of the sum of ``participants`` discrete Gaussian shares (KLS21 bound)."""
    if share_scale < 0.5:
        raise BmadError("KLS21's bound needs a share scale of at least 1/2")
    if participants < 1 or dim < 1:
        raise BmadError("participants and dimension must be at least 1")
    tau = distributed_tau(share_scale, participants)
    eps = l2_sensitivity / (math.sqrt(participants) * share_scale) + tau * math.sqrt(dim)
    return eps**2 / 2


def distributed_share_scale(
    rho: float, min_survivors: int, l2_sensitivity: float, dim: int
) -> float:
    """The smallest share scale (>= 1) whose sum over ``min_survivors`` shares is rho-zCDP."""
    _require_positive("rho", rho)
    _require_positive("L2 sensitivity", l2_sensitivity)
    if min_survivors < 1:
        raise BmadError("the minimum number of survivors must be at least 1")

    def cost(scale: float) -> float:
        return distributed_rho(scale, min_survivors, l2_sensitivity, dim)

    low = MIN_SHARE_SCALE
    if cost(low) <= rho:
        return low
    high = max(2 * low, 2 * l2_sensitivity / math.sqrt(2 * rho * min_survivors))
    while cost(high) > rho:
        high *= 2
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if cost(middle) <= rho:
            high = middle
        else:
            low = middle
        if high - low <= high * 1e-12:
            break
    return high


def plan_gaussian(rho: float, l2_sensitivity: float) -> NoisePlan:
    scale = gaussian_scale_for_rho(rho, l2_sensitivity)
    return NoisePlan("gaussian", scale, gaussian_rho(scale, l2_sensitivity), None)


def plan_laplace(epsilon: float, l1_sensitivity: float) -> NoisePlan:
    scale = laplace_scale_for_epsilon(epsilon, l1_sensitivity)
    spent = laplace_epsilon(scale, l1_sensitivity)
    return NoisePlan("laplace", scale, spent**2 / 2, spent)


def plan_distributed_gaussian(
    rho: float, min_survivors: int, l2_sensitivity: float, dim: int
) -> NoisePlan:
    """Per-participant share of a distributed discrete Gaussian whose sum is rho-zCDP."""
    scale = distributed_share_scale(rho, min_survivors, l2_sensitivity, dim)
    spent = distributed_rho(scale, min_survivors, l2_sensitivity, dim)
    return NoisePlan("gaussian", scale, spent, None, participants=min_survivors)


def _opendp() -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def discrete_gaussian_noise(scale: float, size: int) -> list[int]:
    """``size`` independent draws from N_Z(0, scale^2), OpenDP's exact sampler."""
    return _sample("gaussian", scale, size)


def discrete_laplace_noise(scale: float, size: int) -> list[int]:
    """``size`` independent draws from the discrete Laplace with parameter ``scale``."""
    return _sample("laplace", scale, size)


def _sample(mechanism: Mechanism, scale: float, size: int) -> list[int]:
    _require_positive("scale", scale)
    if size < 0:
        raise BmadError("the number of noise draws cannot be negative")
    if size == 0:
        return []
    import numpy as np

    dp = _opendp()
    domain = dp.vector_domain(dp.atom_domain(T="i64"))
    if mechanism == "gaussian":
        measurement = dp.m.make_gaussian(domain, dp.l2_distance(T="i64"), scale=scale)
    else:
        measurement = dp.m.make_laplace(domain, dp.l1_distance(T="i64"), scale=scale)
    # One measurement call noises the whole vector. An int64 array is handed to OpenDP as one
    # buffer; a list would be type-checked element by element in Python (~1 us per element).
    return [int(value) for value in measurement(np.zeros(size, dtype=np.int64))]


def sample_noise(plan: NoisePlan, size: int) -> list[int]:
    if plan.mechanism == "gaussian":
        return discrete_gaussian_noise(plan.scale, size)
    return discrete_laplace_noise(plan.scale, size)


def add_noise(vector: Sequence[int], plan: NoisePlan) -> list[int]:
    """The vector plus this participant's noise (its share, for a distributed plan)."""
    noise = sample_noise(plan, len(vector))
    return [value + draw for value, draw in zip(vector, noise, strict=True)]
