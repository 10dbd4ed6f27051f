"""Scan throughput of `bmad scan` against lizard on the same files, in the same run.

Measures, per corpus: lizard (single process), bmad cold with 1 job, bmad cold with all
cores, and bmad warm (every file in the content cache; the median of --warm-repeat runs).
Single-process comparisons are made on CPU time, which a loaded machine disturbs far less
than wall time. CCN agreement is bench/agreement.py's job.

Run:  .venv/bin/python bench/scan.py [CORPUS ...] [--jobs N] [--warm-repeat 9]
Default corpus: this interpreter's standard library. Anchor: lizard (bench/_work/venv).
Targets: cold 1-job >= 3x lizard's throughput; warm >= 20x faster than cold.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _anchors import STDLIB, run_lizard

from bmad.scanning import ScanOptions, ScanResult, scan_paths
from bmad.scanning.discovery import discover


def timed_scan(corpus: Path, options: ScanOptions) -> tuple[float, float, ScanResult]:
    """Wall seconds, CPU seconds of this process (workers excluded) and the result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = scan_paths([corpus], options)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_corpus(corpus: Path, jobs: int, warm_repeat: int) -> None:
    discovery = discover([corpus])
    files = [candidate.location for candidate in discovery.candidates]
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    print(f"\n== {corpus}: {len(files)} files, {megabytes:.1f} MB")
    lizard = run_lizard(files)
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) / "cache.sqlite3"
        cold_one, cold_one_cpu, result = timed_scan(corpus, ScanOptions(jobs=1, use_cache=False))
        cold_all, _, _ = timed_scan(corpus, ScanOptions(jobs=jobs, cache_path=cache))
        warm_runs = []
        for _ in range(warm_repeat):
            # Only the last result stays alive: a real `bmad scan` holds one, and every
            # result kept (60k functions each) makes the garbage collector's passes longer.
            del result
            seconds, cpu, result = timed_scan(corpus, ScanOptions(jobs=jobs, cache_path=cache))
            assert result.analysed == 0, "warm scan parsed files"
            warm_runs.append((seconds, cpu, result.files_read))
    warm = statistics.median(seconds for seconds, _, _ in warm_runs)
    warm_cpu = statistics.median(cpu for _, cpu, _ in warm_runs)
    print(f"{'':28} {'wall s':>8} {'CPU s':>8} {'files/s':>9} {'MB/s':>7}  (rates from wall)")
    rows = [
        ("lizard, 1 process (anchor)", lizard.seconds, lizard.cpu_seconds),
        ("bmad cold, 1 job", cold_one, cold_one_cpu),
        (f"bmad cold, {jobs} jobs", cold_all, float("nan")),
        (f"bmad warm (median of {warm_repeat})", warm, warm_cpu),
    ]
    for label, seconds, cpu in rows:
        print(
            f"{label:28} {seconds:8.2f} {cpu:8.2f} {len(files) / seconds:9.0f}"
            f" {megabytes / seconds:7.2f}"
        )
    print(
        f"cold 1-job vs lizard: {lizard.cpu_seconds / cold_one_cpu:.1f}x by CPU time, "
        f"{lizard.seconds / cold_one:.1f}x by wall time (target >= 3x)"
    )
    print(
        f"warm vs cold 1-job:   {cold_one_cpu / warm_cpu:.1f}x by CPU time, "
        f"{cold_one / warm:.1f}x by wall time (target >= 20x)"
    )
    functions = sum(len(f.metrics.functions) for f in result.files)
    print(
        f"skipped: {len(result.skipped)}; functions: {functions}; files a warm scan read: "
        f"{warm_runs[-1][2]} (skipped files are read again: only analyses are cached); "
        f"warm CPU s min/max: {min(cpu for _, cpu, _ in warm_runs):.3f}/"
        f"{max(cpu for _, cpu, _ in warm_runs):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpora", nargs="*", type=Path, default=[STDLIB])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--warm-repeat", type=int, default=9)
    args = parser.parse_args()
    for corpus in args.corpora:
        bench_corpus(corpus.resolve(), args.jobs, args.warm_repeat)


if __name__ == "__main__":
    main()
