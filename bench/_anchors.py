"""Shared set-up for benchmarks: the anchors' venv and timing helpers."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "_work"
ANCHOR_VENV = WORK / "venv"
ANCHOR_PACKAGES = ("lizard",)
STDLIB = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"


def anchor_python() -> Path:
    """The bench-only venv holding the anchors (lizard), created on first use."""
    python = ANCHOR_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANCHOR_VENV)], check=True)
    missing = subprocess.run(
        [str(python), "-c", "import lizard"], capture_output=True, check=False
    ).returncode
    if missing:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *ANCHOR_PACKAGES], check=True)
    return python


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def process_seconds(command: Sequence[str], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return samples


# Runs inside the anchor venv: analyse each file, timing the analysis only (no interpreter
# start), as wall time and as this process's CPU time (steadier on a shared machine).
LIZARD_SCRIPT = r"""
import json, sys, time
import lizard
paths = json.load(open(sys.argv[1]))
out = {}
wall, cpu = time.perf_counter(), time.process_time()
for path in paths:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            code = handle.read()
        info = lizard.analyze_file.analyze_source_code(path, code)
    except Exception as error:  # lizard's own failures are reported, not fatal
        out[path] = {"error": repr(error)}
        continue
    out[path] = [[f.start_line, f.name, f.cyclomatic_complexity] for f in info.function_list]
result = {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}
json.dump({**result, "files": out}, open(sys.argv[2], "w"))
"""


@dataclass(frozen=True)
class LizardRun:
    seconds: float
    cpu_seconds: float
    functions: dict[str, object]  # path -> [[start_line, name, ccn], ...] or {"error": ...}


def run_lizard(paths: Sequence[Path]) -> LizardRun:
    with tempfile.TemporaryDirectory() as scratch:
        paths_file, out_file = Path(scratch, "paths.json"), Path(scratch, "out.json")
        paths_file.write_text(json.dumps([str(path) for path in paths]))
        command = [str(anchor_python()), "-c", LIZARD_SCRIPT, str(paths_file), str(out_file)]
        subprocess.run(command, check=True)
        data = json.loads(out_file.read_text())
    return LizardRun(data["seconds"], data["cpu_seconds"], data["files"])
