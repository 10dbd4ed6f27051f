"""Calibration of the noise and the distributed-share sizing (fast tests)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.privacy import noise


def test_gaussian_calibration_matches_opendps_privacy_map() -> None:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    plan = noise.plan_gaussian(rho=0.05, l2_sensitivity=3)
    measurement = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T="i64"), scale=plan.scale
    )
    assert measurement.map(3) == pytest.approx(0.05, rel=1e-9)
    assert plan.rho == pytest.approx(0.05)


def test_laplace_calibration_matches_opendps_privacy_map() -> None:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    plan = noise.plan_laplace(epsilon=0.5, l1_sensitivity=4)
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"), scale=plan.scale
    )
    assert measurement.map(4) == pytest.approx(0.5, rel=1e-9)
    assert plan.epsilon == pytest.approx(0.5)
    assert plan.rho == pytest.approx(0.125)


def test_tau_golden_value() -> None:
    # KLS21: tau = 10 * sum_{k=1}^{n-1} exp(-2 pi^2 s^2 k/(k+1)); n = 3, s = 1
    expected = 10 * (math.exp(-(math.pi**2)) + math.exp(-4 * math.pi**2 / 3))
    assert noise.distributed_tau(1.0, 3) == pytest.approx(expected, rel=1e-12)
    assert noise.distributed_tau(1.0, 1) == 0


@given(
    rho=st.floats(min_value=1e-4, max_value=5),
    survivors=st.integers(min_value=1, max_value=200),
    l2=st.floats(min_value=0.5, max_value=5000),
    dim=st.integers(min_value=1, max_value=5000),
)
def test_distributed_shares_meet_the_target_at_the_minimum_survivors(
    rho: float, survivors: int, l2: float, dim: int
) -> None:
    plan = noise.plan_distributed_gaussian(rho, survivors, l2, dim)
    assert plan.scale >= noise.MIN_SHARE_SCALE
    assert plan.rho <= rho * (1 + 1e-9)
    assert noise.distributed_rho(plan.scale, survivors, l2, dim) <= rho * (1 + 1e-9)
    if plan.scale > noise.MIN_SHARE_SCALE:  # tight: a slightly smaller share would overspend
        assert noise.distributed_rho(plan.scale * 0.999, survivors, l2, dim) > rho
    # the shares' total variance is at least the central mechanism's
    central = noise.gaussian_scale_for_rho(rho, l2)
    assert plan.scale**2 * survivors >= central**2 * (1 - 1e-9)


def test_noise_vectors_have_the_right_length_and_integers() -> None:
    plan = noise.plan_gaussian(rho=0.5, l2_sensitivity=1)
    noisy = noise.add_noise([10, 20, 30], plan)
    assert len(noisy) == 3
    assert all(isinstance(value, int) for value in noisy)
    assert noise.discrete_laplace_noise(2.0, 0) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda: noise.plan_gaussian(0, 1),
        lambda: noise.plan_gaussian(1, -1),
        lambda: noise.plan_laplace(math.inf, 1),
        lambda: noise.discrete_gaussian_noise(0, 3),
        lambda: noise.discrete_laplace_noise(1, -1),
        lambda: noise.plan_distributed_gaussian(0.1, 0, 1, 1),
        lambda: noise.distributed_rho(0.1, 2, 1, 1),
    ],
)
def test_bad_parameters_are_refused(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BmadError):
        call()


# The random module, numpy's generators and any float sampler are out; secrets (a CSPRNG,
# e.g. secrets.SystemRandom().shuffle) is allowed for choices that are not noise.
FORBIDDEN = re.compile(
    r"^\s*(import\s+random\b|from\s+random\s+import)"
    r"|numpy\.random|np\.random|\bdefault_rng\b|\bRandomState\b|(?<!secrets\.)\bSystemRandom\b"
    r"|\brandom\.Random\("
    r"|\.(random|uniform|gauss|normalvariate|expovariate|lognormvariate|betavariate"
    r"|gammavariate|paretovariate|weibullvariate|vonmisesvariate|triangular)\(",
    re.MULTILINE,
)


@pytest.mark.parametrize(
    ("line", "bad"),
    [
        ("import random", True),
        ("from random import gauss", True),
        ("noise = np.random.normal(0, 1)", True),
        ("rng = default_rng()", True),
        ("random.SystemRandom().gauss(0, 1)", True),
        ("value = generator.uniform(0, 1)", True),
        ("secrets.SystemRandom().shuffle(items)", False),
        ("nonce = secrets.token_bytes(12)", False),
    ],
)
def test_the_forbidden_pattern(line: str, bad: bool) -> None:
    assert bool(FORBIDDEN.search(line)) is bad


def test_privacy_code_draws_no_noise_outside_opendp_and_secrets() -> None:
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "bmad"
    folders = [root / "privacy", root / "federation"]
    checked = 0
    for folder in folders:
        for path in folder.rglob("*.py") if folder.is_dir() else ():
            checked += 1
            text = path.read_text(encoding="utf-8")
            assert not FORBIDDEN.search(text), f"{path} uses a non-OpenDP random source"
    assert checked >= 15  # bmad/privacy's modules (and bmad/federation's, once it exists)
