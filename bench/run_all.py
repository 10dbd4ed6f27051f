"""`make bench`: every benchmark that needs nothing but this checkout, one after another.

The benchmarks whose corpora are fetched repositories (history mining, architecture,
fix prediction) are listed with how to run them; see bench/README.md for each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SELF_CONTAINED = [
    "startup.py",
    "scan.py",
    "agreement.py",
    "daemon/bench_daemon.py",
    "hooks/bench_hooks.py",
    "lsp/bench_lsp.py",
    "privacy/bench_privacy.py",
    "secagg/bench_secagg.py",
    "secagg/bench_validity.py",
    "federation/bench_rounds.py",
]
NEEDS_A_FETCHED_REPOSITORY = [
    "history/bench_history.py REPO [REPO ...] [--pydriller]",
    "architecture/bench_architecture.py [--corpus PATH]",
    "analysis/fix_prediction.py [--repo NAME=MIRROR@T ...]",
]


def main() -> int:
    failures = 0
    for script in SELF_CONTAINED:
        print(f"\n######## {script}", flush=True)
        completed = subprocess.run([sys.executable, str(BENCH / script)], check=False)
        failures += completed.returncode != 0
    print("\nNot run (each needs a fetched repository; see bench/README.md):")
    for usage in NEEDS_A_FETCHED_REPOSITORY:
        print(f"  {sys.executable} bench/{usage}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
