"""Architecture extraction on a real repository: cold and warm, against grimp.

Usage: .venv/bin/python bench/architecture/bench_architecture.py [--corpus PATH] [--package NAME]

Default corpus: bench/_work/sympy (a checkout of github:sympy/sympy, ~1,600 Python files).
bmad runs in-process with a scratch BMAD_HOME: cold (empty caches: every file parsed once by
the shared scan pipeline, then resolution and graph), warm with the architecture result cache
emptied (every file a parse-cache hit, then resolution and graph), warm (an unchanged tree: the
architecture result cache answers; best of 3), and the graph stage alone (resolution + cycles +
coupling + hubs from the scan result). Each prints wall and CPU (process) time: the machine is
shared, and CPU time is what bmad itself spent.
grimp (anchor, Python only, installed into bench/_work/archvenv) builds the same package's
import graph in a subprocess, without and with its own cache. Agreement compares the
package-internal module edges of both tools.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

BENCH = Path(__file__).resolve().parents[1]
WORK = BENCH / "_work"
ANCHOR_VENV = WORK / "archvenv"

GRIMP_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import grimp
started = time.perf_counter()
graph = grimp.build_graph(sys.argv[2], cache_dir=sys.argv[3] if sys.argv[3] else None)
seconds = time.perf_counter() - started
edges = [[m, t] for m in graph.modules for t in graph.find_modules_directly_imported_by(m)]
print(json.dumps({"seconds": seconds, "modules": len(graph.modules), "edges": edges}))
"""


def grimp_python() -> Path:
    python = ANCHOR_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANCHOR_VENV)], check=True)
    probe = [str(python), "-c", "import grimp"]
    if subprocess.run(probe, capture_output=True, check=False).returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "grimp"], check=True)
    return python


def run_grimp(corpus: Path, package: str, cache_dir: str) -> dict[str, Any]:
    output = subprocess.run(
        [str(grimp_python()), "-c", GRIMP_SCRIPT, str(corpus), package, cache_dir],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    document: dict[str, Any] = json.loads(output)
    return document


T = TypeVar("T")


def timed(run: Callable[[], T]) -> tuple[T, tuple[float, float]]:
    """The result of ``run`` and its (wall, CPU) seconds; CPU is this process's alone."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def forget_architecture_results() -> None:
    """Empty the architecture result cache, keeping the parse cache: the next run rebuilds."""
    from bmad.store.connection import cache_store_path

    with sqlite3.connect(cache_store_path()) as connection:
        connection.execute("DELETE FROM architecture_results")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=WORK / "sympy")
    parser.add_argument("--package", default="sympy", help="Python package for grimp")
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        sys.exit(f"{corpus}: fetch a repository and check it out there first")

    home = tempfile.mkdtemp(prefix="bmad-bench-arch-")
    os.environ["BMAD_HOME"] = home
    from bmad.extractors.architecture import build_architecture
    from bmad.extractors.architecture_resolve import SourceFile
    from bmad.scanning import ScanOptions, scan_repository
    from bmad.scanning.architecture import analyse_architecture, collect_project_files

    options = ScanOptions(jobs=args.jobs)
    cold, cold_times = timed(lambda: analyse_architecture(corpus, None, options))
    forget_architecture_results()
    rebuilt, rebuilt_times = timed(lambda: analyse_architecture(corpus, None, options))
    warm_runs = [timed(lambda: analyse_architecture(corpus, None, options)) for _ in range(3)]
    warm, warm_times = min(warm_runs, key=lambda run: run[1][0])
    scan = scan_repository(corpus, options)
    files = [SourceFile(f.path, f.language, f.metrics.imports) for f in scan.files]
    contents, _ = collect_project_files(scan.root)
    _, graph_times = timed(lambda: build_architecture(files, contents))
    document = cold.to_json()
    assert rebuilt.to_json() == document, "warm (graph rebuilt) differs from cold"
    assert warm.to_json() == document, "warm (cached result) differs from cold"

    grimp_cold = run_grimp(corpus, args.package, "")
    grimp_cache = tempfile.mkdtemp(prefix="grimp-cache-")
    run_grimp(corpus, args.package, grimp_cache)
    grimp_warm = run_grimp(corpus, args.package, grimp_cache)

    prefix = args.package + "."
    names = {m.id: m.name for m in cold.modules.values()}
    ours = {
        (names[e.source], names[e.target])
        for e in cold.edges
        if names[e.source].startswith(prefix) and names[e.target].startswith(prefix)
    }
    theirs = {
        (a, b) for a, b in grimp_cold["edges"] if a.startswith(prefix) and b.startswith(prefix)
    }
    summary = cold.to_json()["summary"]
    print(
        f"corpus {corpus.name}: {len(scan.files)} source files, {summary['modules']} modules, "
        f"{summary['edges']} edges, {summary['cycles']} cycles; imports {summary['imports']}"
    )
    print("                                   wall      CPU")
    print(f"bmad cold (parse + graph)      {cold_times[0]:7.2f} s {cold_times[1]:6.2f} s")
    print(f"bmad warm, graph rebuilt       {rebuilt_times[0]:7.2f} s {rebuilt_times[1]:6.2f} s")
    print(
        f"bmad warm (cached result)      {warm_times[0]:7.2f} s {warm_times[1]:6.2f} s"
        "   target < 2 s (wall); all results identical"
    )
    print(f"bmad graph stage alone         {graph_times[0]:7.2f} s {graph_times[1]:6.2f} s")
    grimp_cold_seconds = float(grimp_cold["seconds"])
    grimp_warm_seconds = float(grimp_warm["seconds"])
    print(
        f"grimp cold                     {grimp_cold_seconds:7.2f} s"
        f"            ratio bmad/grimp {cold_times[0] / grimp_cold_seconds:.2f}"
    )
    print(
        f"grimp warm (own cache)         {grimp_warm_seconds:7.2f} s"
        f"            ratio bmad/grimp {warm_times[0] / grimp_warm_seconds:.2f}"
    )
    both = len(ours & theirs)
    print(
        f"internal edges: bmad {len(ours)}, grimp {len(theirs)}, both {both}; "
        f"bmad edges grimp also has {both / max(1, len(ours)):.1%}, "
        f"grimp edges bmad also has {both / max(1, len(theirs)):.1%}"
    )
    missing = sorted(theirs - ours)[:5]
    extra = sorted(ours - theirs)[:5]
    print(f"examples only grimp: {missing}\nexamples only bmad: {extra}")


if __name__ == "__main__":
    main()
