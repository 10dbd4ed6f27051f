"""Cost of the privacy layer: exact samplers, a full release, the ledger.

Anchor for the samplers: numpy's float normal / Laplace rounded to integers (what bmad refuses
to use: not exact, not a CSPRNG); the ratio shows what exactness costs.

    .venv/bin/python bench/privacy/bench_privacy.py [--draws 200000]
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


def _rounded(sample, scale, size):  # type: ignore[no-untyped-def]
    import numpy as np

    return np.rint(sample(0, scale, size))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=200_000)
    draws = parser.parse_args().draws
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
    for scale in (3.0, 2236.0):
        gauss, _ = _timed(noise.discrete_gaussian_noise, scale, draws)
        laplace, _ = _timed(noise.discrete_laplace_noise, scale, draws)
        numpy_gauss, _ = _timed(_rounded, generator.normal, scale, draws)
        numpy_laplace, _ = _timed(_rounded, generator.laplace, scale, draws)
        report[f"scale_{scale:g}"] = {
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
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
