"""The daemon's findings step alone: wall time and the child process's CPU time per run.

Copies --repo (default: this repository's tracked files) into a scratch git repository and
BMAD_HOME, mines it once with the daemon's steps in this process, then runs the findings
step --runs times (each run re-detects: a spawned child fits the models over what the pass
mined and stores the findings). Anchor, measured alternately in the same run: the same
detection over a warm scan of the work tree in a spawned child (`gather`, as `bmad learn
anti-patterns` does it), which is what the step did before it read the mined state.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
REPOSITORY = Path(__file__).resolve().parents[2]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


def copy_repository(source: Path, target: Path) -> Path:
    """The tracked files of ``source`` (any folder: all of it) in a fresh one-commit repo."""
    if (source / ".git").exists():
        for name in git(source, "ls-files", "-z").split("\0"):
            if name and (source / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / name, target / name)
    else:
        shutil.copytree(source, target)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "initial")
    return target


def scanned_detection(work_tree: str, store_path: str) -> int:
    """The anchor, in a child: detection over a scan of the work tree."""
    from bmad import config
    from bmad.analysis.adapters import gather
    from bmad.analysis.store import detect_and_store

    settings = config.load(Path(work_tree))
    analysis_input, root = gather(Path(work_tree), settings)
    return len(detect_and_store(analysis_input, settings, root, Path(store_path)))


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and the CPU seconds of the child processes the run waited for."""
    cpu, started = child_cpu(), time.perf_counter()
    run()
    return time.perf_counter() - started, child_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPOSITORY, help="folder to copy")
    parser.add_argument("--runs", type=int, default=5, help="runs of each, alternating")
    arguments = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bmad-bench-", dir="/tmp"))
    os.environ["BMAD_HOME"] = str(scratch / "home")
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from bmad.daemon import gitstate
    from bmad.daemon.miner import FindingsStep, MiningContext, default_steps, mine_repository
    from bmad.store.registry import add_repository, open_registry

    try:
        repo = copy_repository(arguments.repo.resolve(), scratch / "repo")
        spawn = multiprocessing.get_context("spawn")
        with open_registry() as store:
            repository, _ = add_repository(store, repo)
            mined = mine_repository(store, repository, default_steps())
            files = mined.reports[0].items

            def step() -> None:
                store.connection.execute("UPDATE repository_state SET detected_commit = NULL")
                store.connection.commit()
                FindingsStep()(MiningContext(store, repository, gitstate.snapshot(repo)))

            def anchor() -> None:
                with ProcessPoolExecutor(1, mp_context=spawn, max_tasks_per_child=1) as child:
                    child.submit(scanned_detection, str(repo), str(store.path)).result()

            anchor()  # the scan's stat cache and the history store are warm for both
            results: dict[str, list[tuple[float, float]]] = {"step": [], "anchor": []}
            for _ in range(arguments.runs):
                results["step"].append(timed(step))
                results["anchor"].append(timed(anchor))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{files} files mined; median (min) of {arguments.runs} runs each, alternating")
    for name, label in (("step", "findings step"), ("anchor", "detection over a scan")):
        walls = [wall for wall, _cpu in results[name]]
        cpus = [cpu for _wall, cpu in results[name]]
        print(
            f"{label:22s} wall {statistics.median(walls):.2f} s ({min(walls):.2f}), "
            f"child CPU {statistics.median(cpus):.2f} s ({min(cpus):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
