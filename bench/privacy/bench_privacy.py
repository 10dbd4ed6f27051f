"""Cost of the privacy layer: exact samplers, a full release, the ledger.

Anchor for the samplers: numpy's float normal / Laplace rounded to integers (what bmad refuses
to use: not exact, not a CSPRNG); the ratio shows what exactness costs. Sampler costs are CPU
time of one thread (process time), which a loaded machine inflates less than wall time.
Where a draw's cost goes:

- ``opendp_call_overhead_us``: one measurement call on a 1-element vector (per-call cost);
- ``opendp_gaussian_list_input_us_per_draw``: one call on a Python list of zeros (OpenDP type-checks
  each element in Python), the form noise.py used before;
- ``opendp_*_us_per_draw``: noise.py as it is (one call on an int64 array).

With ``--audit`` it runs the empirical privacy audits of tests/privacy/test_noise_statistics.py
once more (same parameters, same helpers) and prints their sample counts, the lower bounds on
epsilon against the claimed ones, and the CPU seconds the draws took.

    .venv/bin/python bench/privacy/bench_privacy.py [--draws 200000] [--audit]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def _timed(function, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def _cpu(function, *args):  # type: ignore[no-untyped-def]
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def _opendp_gaussian(scale):  # type: ignore[no-untyped-def]
    import opendp.prelude as dp

    dp.enable_features("contrib")
    domain = dp.vector_domain(dp.atom_domain(T="i64"))
    return dp.m.make_gaussian(domain, dp.l2_distance(T="i64"), scale=scale)


def _call_overhead_us(scale, calls=2000):  # type: ignore[no-untyped-def]
    measurement = _opendp_gaussian(scale)
    return _cpu(lambda: [measurement([0]) for _ in range(calls)]) / calls * 1e6


def _rounded(sample, scale, size):  # type: ignore[no-untyped-def]
    import numpy as np

    return np.rint(sample(0, scale, size))


def _audits() -> dict[str, object]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bmad.privacy import accounting, noise
    from tests.privacy.stats import audit_epsilon, parallel_draws
    from tests.privacy.test_noise_statistics import (
        ALPHA,
        AUDIT_SAMPLES,
        GOF_SAMPLES,
        distributed_audit_plan,
        laplace_audit_plan,
    )

    laplace = laplace_audit_plan()
    cpu = time.process_time()
    draws = parallel_draws(noise.discrete_laplace_noise, laplace.scale, AUDIT_SAMPLES)
    laplace_cpu = time.process_time() - cpu
    half = len(draws) // 2
    small = draws[:GOF_SAMPLES]
    report: dict[str, object] = {
        "laplace_one_bin_plus_one": {
            "samples": len(draws),
            "draws_cpu_seconds": round(laplace_cpu, 1),
            "lower_bound": round(audit_epsilon(draws[half:] + 1, draws[:half], 0.0, ALPHA), 4),
            "claimed_epsilon": laplace.epsilon,
            "lower_bound_on_100k": round(
                audit_epsilon(small[len(small) // 2 :] + 1, small[: len(small) // 2], 0.0, ALPHA),
                4,
            ),
        }
    }
    delta = 1e-6
    plan = distributed_audit_plan()
    cpu = time.process_time()
    shares = parallel_draws(
        noise.discrete_gaussian_noise, plan.scale, AUDIT_SAMPLES * plan.participants
    )
    gaussian_cpu = time.process_time() - cpu
    sums = shares.reshape(-1, plan.participants).sum(axis=1)
    half = len(sums) // 2
    report["distributed_gaussian_one_participant_removed"] = {
        "samples": len(sums),
        "share_draws": len(shares),
        "share_scale": plan.scale,
        "draws_cpu_seconds": round(gaussian_cpu, 1),
        "lower_bound": round(audit_epsilon(sums[:half] + 1, sums[half:], delta, ALPHA), 4),
        "claimed_epsilon": round(accounting.zcdp_to_epsilon(plan.rho, delta), 4),
        "delta": delta,
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=200_000)
    parser.add_argument("--audit", action="store_true", help="also run the privacy audits")
    arguments = parser.parse_args()
    draws = arguments.draws
    os.environ["BMAD_HOME"] = tempfile.mkdtemp(prefix="bmad-bench-privacy-")

    import numpy as np

    from bmad.extractors.metrics import FileMetrics, FunctionMetrics
    from bmad.privacy import noise, schemas, sharing
    from bmad.privacy.accounting import Spend, rho_budget
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.ledger import Budget, Ledger
    from bmad.privacy.summaries import LocalStatistics

    report: dict[str, object] = {"draws": draws}
    import_seconds, _ = _timed(noise.discrete_laplace_noise, 1.0, 1)
    report["opendp_first_call_seconds"] = round(import_seconds, 3)
    generator = np.random.default_rng()
    report["opendp_call_overhead_us"] = round(_call_overhead_us(3.0), 1)
    for scale in (1.0007216, 1.5000000072, 3.0, 2236.0):
        list_input = _cpu(_opendp_gaussian(scale), [0] * draws)
        gauss = _cpu(noise.discrete_gaussian_noise, scale, draws)
        laplace = _cpu(noise.discrete_laplace_noise, scale, draws)
        numpy_gauss = _cpu(_rounded, generator.normal, scale, draws)
        numpy_laplace = _cpu(_rounded, generator.laplace, scale, draws)
        report[f"scale_{scale:g}"] = {
            "opendp_gaussian_list_input_us_per_draw": round(list_input / draws * 1e6, 2),
            "opendp_gaussian_us_per_draw": round(gauss / draws * 1e6, 2),
            "opendp_laplace_us_per_draw": round(laplace / draws * 1e6, 2),
            "numpy_gaussian_us_per_draw": round(numpy_gauss / draws * 1e6, 4),
            "numpy_laplace_us_per_draw": round(numpy_laplace / draws * 1e6, 4),
            "gaussian_ratio_opendp_over_numpy": round(gauss / numpy_gauss, 1),
            "laplace_ratio_opendp_over_numpy": round(laplace / numpy_laplace, 1),
        }

    function = FunctionMetrics("f", "f", 1, 20, 15, 20, 4, 5, 2, 3, 1, 90)
    files = [FileMetrics("python", 30, 25, 2, 3, False, (function,) * 20)] * 500
    stats = LocalStatistics(files=files)
    settings = sharing.settings_for()
    bound_seconds, contribution = _timed(schemas.bounded_contribution, "code_patterns", stats)
    plan = settings.noise_plan("code_patterns")
    release_seconds, _ = _timed(noise.add_noise, contribution.vector, plan)
    report["code_patterns_10000_functions"] = {
        "bound_ms": round(bound_seconds * 1e3, 1),
        "noise_770_bins_ms": round(release_seconds * 1e3, 1),
    }

    conversion, _ = _timed(rho_budget.__wrapped__, 1.0, 1e-5)
    report["rho_budget_conversion_ms"] = round(conversion * 1e3, 2)
    store = open_privacy_store(Path(os.environ["BMAD_HOME"]) / "bench.sqlite3")
    ledger = Ledger(store, Budget(1e6, 1e-5), Budget(1e6, 1e-5))
    rounds = 500
    start = time.perf_counter()
    for _ in range(rounds):
        ledger.commit(ledger.reserve("/repo", "org", "code_patterns", Spend(1e-6)).id)
    report["ledger_reserve_commit_ms"] = round((time.perf_counter() - start) / rounds * 1e3, 3)
    if arguments.audit:
        report["audits"] = _audits()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
