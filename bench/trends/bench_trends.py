"""Cost of mining a repository's technology history against ``git log --name-only``.

Usage: .venv/bin/python bench/trends/bench_trends.py REPO [REPO ...] [--repeat 3]

REPO is a work tree or a bare mirror (``/work/.mirror/pallets+flask/repo``). Per repository:
the cold mining into a fresh store (every commit diffed against its first parent, changed
technology files parsed once per blob), a warm run (nothing new: reads the stored states
back and builds the history), and the anchor: ``git log --name-only --format=%H`` over the
same commits (first-parent diffs of non-merge commits only, as git prints them), read
entirely. Medians of ``--repeat`` runs, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bmad.scanning.trends import mine_technology_history, open_trends_store


def cold_and_warm(repo: Path) -> tuple[float, float, int, int, int]:
    with (
        tempfile.TemporaryDirectory() as folder,
        open_trends_store(Path(folder) / "store.sqlite3") as store,
    ):
        started = time.perf_counter()
        update, _ = mine_technology_history(store, repo)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        _, history = mine_technology_history(store, repo)
        warm = time.perf_counter() - started
    technologies = len(history.presence) if history is not None else 0
    return cold, warm, update.new_commits, update.blobs_parsed, technologies


def git_log(repo: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["git", "-C", str(repo), "log", "--name-only", "--format=%H"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    print("| repository | commits | blobs parsed | technologies | cold s | warm s | git log s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for repo in arguments.repos:
        runs = [cold_and_warm(repo) for _ in range(arguments.repeat)]
        anchor = statistics.median(git_log(repo) for _ in range(arguments.repeat))
        cold = statistics.median(run[0] for run in runs)
        warm = statistics.median(run[1] for run in runs)
        _, _, commits, blobs, technologies = runs[0]
        print(
            f"| {repo} | {commits} | {blobs} | {technologies} | {cold:.2f} | {warm:.2f} "
            f"| {anchor:.2f} |"
        )


if __name__ == "__main__":
    main()
