"""Scan throughput of `bmad scan` against lizard on the same files, in the same run.

Measures, per corpus: lizard (single process), bmad cold with 1 job, bmad cold with all
cores, and bmad warm (every file in the content cache). Also prints CCN agreement with
lizard on functions matched by (file, start line).

Run:  .venv/bin/python bench/scan.py [CORPUS ...] [--repeat 1]
Default corpus: this interpreter's standard library. Anchor: lizard (bench/_work/venv).
Targets: cold 1-job >= 3x lizard's throughput; warm >= 20x faster than cold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from _anchors import BENCH, STDLIB, anchor_python

from bmad.scanning import ScanOptions, ScanResult, scan_paths
from bmad.scanning.discovery import discover


def run_lizard(files: list[Path]) -> dict[str, object]:
    completed = subprocess.run(
        [str(anchor_python()), str(BENCH / "_lizard.py")],
        input="\n".join(str(path) for path in files),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def timed_scan(corpus: Path, options: ScanOptions) -> tuple[float, ScanResult]:
    started = time.perf_counter()
    result = scan_paths([corpus], options)
    return time.perf_counter() - started, result


def agreement(result: ScanResult, lizard_functions: list[list[object]]) -> dict[str, str]:
    ours = {
        (str(result.root / scanned.path), function.start_line): (scanned.language, function.ccn)
        for scanned in result.files
        for function in scanned.metrics.functions
    }
    matched: Counter[str] = Counter()
    equal: Counter[str] = Counter()
    for path, start_line, ccn, _name in lizard_functions:
        mine = ours.get((str(path), int(str(start_line))))
        if mine is None:
            continue
        matched[mine[0]] += 1
        equal[mine[0]] += mine[1] == ccn
    return {
        language: f"{equal[language]}/{matched[language]} = {equal[language] / matched[language]:.1%}"
        for language in sorted(matched)
    }


def bench_corpus(corpus: Path, jobs: int) -> None:
    discovery = discover([corpus])
    files = [candidate.location for candidate in discovery.candidates]
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    print(f"\n== {corpus}: {len(files)} files, {megabytes:.1f} MB")
    lizard = run_lizard(files)
    lizard_seconds = float(str(lizard["seconds"]))
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) / "cache.sqlite3"
        cold_one, result = timed_scan(corpus, ScanOptions(jobs=1, use_cache=False))
        cold_all, _ = timed_scan(corpus, ScanOptions(jobs=jobs, cache_path=cache))
        warm, warm_result = timed_scan(corpus, ScanOptions(jobs=jobs, cache_path=cache))
    assert warm_result.analysed == 0, "warm scan parsed files"
    rows = [
        ("lizard (1 process, anchor)", lizard_seconds),
        ("bmad cold, 1 job", cold_one),
        (f"bmad cold, {jobs} jobs", cold_all),
        ("bmad warm (cache)", warm),
    ]
    for label, seconds in rows:
        print(
            f"{label:28} {seconds:8.2f} s  {len(files) / seconds:9.0f} files/s"
            f"  {megabytes / seconds:7.2f} MB/s  {lizard_seconds / seconds:6.1f}x lizard"
        )
    print(f"cold 1-job vs lizard: {lizard_seconds / cold_one:.1f}x (target >= 3x)")
    print(f"warm vs cold 1-job:   {cold_one / warm:.1f}x (target >= 20x)")
    print(f"skipped: {len(result.skipped)}; functions: {sum(len(f.metrics.functions) for f in result.files)}")
    lizard_functions = lizard["functions"]
    assert isinstance(lizard_functions, list)
    for language, share in agreement(result, lizard_functions).items():
        print(f"  CCN equal to lizard, {language:10} {share}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpora", nargs="*", type=Path, default=[STDLIB])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    for corpus in args.corpora:
        bench_corpus(corpus.resolve(), args.jobs)


if __name__ == "__main__":
    main()
