"""Whole-process start time of `bmad --version` and `bmad --help`, against `python -c pass`.

Target: `bmad --version` under 150 ms. Run: .venv/bin/python bench/startup.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from _anchors import process_seconds

BMAD = str(Path(sys.executable).parent / "bmad")  # the console script, as users start it


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    commands = {
        "python -c pass (anchor)": [sys.executable, "-c", "pass"],
        "bmad --version": [BMAD, "--version"],
        "bmad --help": [BMAD, "--help"],
    }
    results = {}
    for label, command in commands.items():
        process_seconds(command, 3)  # warm the page cache
        samples = sorted(process_seconds(command, args.repeat))
        results[label] = samples
        p90 = samples[int(0.9 * (len(samples) - 1))]
        print(
            f"{label:28} median {statistics.median(samples) * 1000:7.1f} ms"
            f"   p90 {p90 * 1000:7.1f} ms"
        )
    anchor = statistics.median(results["python -c pass (anchor)"])
    version = statistics.median(results["bmad --version"])
    verdict = "ok" if version < 0.150 else "OVER TARGET"
    print(f"bmad --version / python -c pass = {version / anchor:.1f}x; target < 150 ms: {verdict}")


if __name__ == "__main__":
    main()
