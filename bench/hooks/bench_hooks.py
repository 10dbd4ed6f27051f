"""Whole-process time of the git hook entry points on a synthetic repository.

A commit touching 3 Python files of ~500 lines (one function made worse in each):
- `python -m bmad hook pre-commit` (what the installed hook execs) with the daemon running
  (the same staged blobs again, and fresh staged content before each run: what a new commit
  costs, the target), and without it (in-process tree-sitter; content cache cold and warm);
- the installed post-commit script (notification detached) and the notification process
  itself (`python -m bmad.hooks.notify post-commit`, daemon running, repository registered);
- floors measured in the same run: `python -c pass`, `python -m bmad --version`, and
  `git diff --cached --raw`.

CPU is user + system time of the measured process (and the children it waits for; not the
daemon's). Run: .venv/bin/python bench/hooks/bench_hooks.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def function(name: str, depth: int) -> str:
    lines = [f"def {name}(items, limit, flag):", "    total = 0"]
    indent = "    "
    for level in range(depth):
        lines.append(f"{indent}for item_{level} in items:")
        indent += "    "
        lines.append(f"{indent}if item_{level} > limit and flag:")
        indent += "    "
        lines.append(f"{indent}total += item_{level}")
    lines.append("    return total")
    return "\n".join(lines) + "\n\n\n"


def module(index: int, worse: bool = False) -> str:
    parts = [f'"""Module {index}."""\n\n\n']
    for number in range(38):
        depth = 3 if number % 5 else 1
        if worse and number == 7:
            depth = 6
        parts.append(function(f"handler_{index}_{number}", depth))
    return "".join(parts)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system of the process and its waited-for children) in ms."""
    cpu = children_cpu()
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000, (children_cpu() - cpu) * 1000


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[max(0, int(len(ordered) * 0.9) - 1)], 1),
        "min_ms": round(ordered[0], 1),
    }


def measure(
    label: str, cmd: list[str], cwd: Path, env: dict[str, str], runs: int, before: object = None
) -> dict[str, float]:
    samples = []
    cpu = []
    for _ in range(runs):
        if callable(before):
            before()
        wall, used = run(cmd, cwd, env)
        samples.append(wall)
        cpu.append(used)
    result = summary(samples)
    result["cpu_p50_ms"] = round(statistics.median(cpu), 1)
    print(
        f"{label:58} p50 {result['p50_ms']:7.1f} ms  p90 {result['p90_ms']:7.1f}  "
        f"min {result['min_ms']:7.1f}  cpu p50 {result['cpu_p50_ms']:7.1f}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bmad-hooks-bench-"))
    runtime = Path(tempfile.mkdtemp(prefix="bmad-", dir="/tmp"))
    env = {
        **os.environ,
        **GIT_ENV,
        # a user's set-up: directories from platformdirs (XDG), not bmad's own overrides
        "XDG_CONFIG_HOME": str(work / "xdg" / "config"),
        "XDG_CACHE_HOME": str(work / "xdg" / "cache"),
        "XDG_DATA_HOME": str(work / "xdg" / "data"),
        "XDG_STATE_HOME": str(work / "xdg" / "state"),
        "XDG_RUNTIME_DIR": str(runtime / "run"),
        "BMAD_DAEMON__POLL_INTERVAL": "30",
    }
    for name in ("BMAD_SKIP", "BMAD_HOME", "BMAD_CONFIG"):
        env.pop(name, None)
    for name in [name for name in env if name.endswith("_DIR") and name.startswith("BMAD_")]:
        env.pop(name)
    # As after `pip install`: bytecode cached. With PYTHONDONTWRITEBYTECODE set (as on the CI
    # machines) every module changed since its .pyc was written compiles again on each run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            str(Path(__file__).resolve().parents[2] / "bmad"),
        ],
        env=env,
        check=True,
    )
    repo = work / "repo"
    repo.mkdir()
    python = sys.executable
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, env=env, check=True, capture_output=True)  # noqa: E731
    git("init", "-q", "-b", "main")
    for index in range(40):
        (repo / f"pkg/mod_{index}.py").parent.mkdir(exist_ok=True)
        (repo / f"pkg/mod_{index}.py").write_text(module(index))
    git("add", "-A")
    git("commit", "-q", "-m", "initial")
    for index in range(3):
        (repo / f"pkg/mod_{index}.py").write_text(module(index, worse=True))
    git("add", "-A")
    lines = [len((repo / f"pkg/mod_{i}.py").read_text().splitlines()) for i in range(3)]
    # fill the content cache for HEAD (what a scan or the daemon leaves behind)
    subprocess.run(
        [python, "-m", "bmad", "scan", str(repo), "--json"],
        env=env,
        check=True,
        capture_output=True,
    )
    check = json.loads(
        subprocess.run(
            [python, "-m", "bmad", "hook", "pre-commit", "--json"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    print(
        f"repository: 40 files; staged: 3 files of {lines} lines; "
        f"{len(check['regressions'])} regressions reported; load {os.getloadavg()[0]:.1f}"
    )
    results: dict[str, object] = {
        "staged_lines": lines,
        "runs": args.runs,
        "loadavg_start": os.getloadavg(),
    }
    hook_cmd = [python, "-m", "bmad", "hook", "pre-commit"]
    results["python_pass"] = measure(
        "floor: python -c pass", [python, "-c", "pass"], repo, env, args.runs
    )
    results["bmad_version"] = measure(
        "floor: python -m bmad --version", [python, "-m", "bmad", "--version"], repo, env, args.runs
    )
    results["git_diff"] = measure(
        "floor: git diff --cached --raw", ["git", "diff", "--cached", "--raw"], repo, env, args.runs
    )
    cache = work / "xdg" / "cache" / "bmad"
    results["pre_commit_no_daemon_warm"] = measure(
        "pre-commit, no daemon, warm content cache", hook_cmd, repo, env, args.runs
    )
    results["pre_commit_no_daemon_cold"] = measure(
        "pre-commit, no daemon, content cache deleted each run",
        hook_cmd,
        repo,
        env,
        args.runs,
        before=lambda: shutil.rmtree(cache, ignore_errors=True),
    )
    subprocess.run(
        [python, "-m", "bmad", "scan", str(repo), "--json"],
        env=env,
        check=True,
        capture_output=True,
    )
    errors = (work / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [python, "-m", "bmad", "daemon", "start", "--foreground"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        for _ in range(200):
            if (
                subprocess.run(
                    [python, "-m", "bmad", "daemon", "status", "--json"],
                    env=env,
                    capture_output=True,
                    check=False,
                ).returncode
                == 0
                and (runtime / "run" / "bmad" / "daemon.sock").exists()
            ):
                break
            time.sleep(0.1)
        subprocess.run(
            [python, "-m", "bmad", "repo", "add", str(repo)],
            env=env,
            check=True,
            capture_output=True,
        )
        head = git("rev-parse", "HEAD").stdout.decode().strip()
        for _ in range(600):  # let the first mining pass finish: it holds the analysis lock
            status = json.loads(
                subprocess.run(
                    [python, "-m", "bmad", "daemon", "status", "--json"],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            if any(row.get("last_mined_commit") == head for row in status["repositories"]):
                break
            time.sleep(0.2)
        time.sleep(3)  # and the detection child it spawns after recording the commit
        engine = json.loads(
            subprocess.run(
                [*hook_cmd, "--json"], cwd=repo, env=env, check=True, capture_output=True, text=True
            ).stdout
        )["engine"]
        assert engine == "daemon", engine
        results["pre_commit_daemon_repeat"] = measure(
            "pre-commit, daemon running, same staged blobs", hook_cmd, repo, env, args.runs
        )
        edits = iter(range(1, 10_000))

        def stage_fresh_content() -> None:
            edit = next(edits)
            for index in range(3):
                path = repo / f"pkg/mod_{index}.py"
                path.write_text(module(index, worse=True) + f"# edit {edit}\n")
            git("add", "pkg")

        results["pre_commit_daemon"] = measure(
            "pre-commit, daemon running, fresh staged blobs (target)",
            hook_cmd,
            repo,
            env,
            args.runs,
            before=stage_fresh_content,
        )
        subprocess.run(
            [python, "-m", "bmad", "hooks", "install", str(repo)],
            env=env,
            check=True,
            capture_output=True,
        )
        hook = repo / ".git" / "hooks" / "post-commit"
        results["post_commit_script"] = measure(
            "post-commit hook script (notify detached)", [str(hook)], repo, env, args.runs
        )
        results["notify_process"] = measure(
            "notify process (python -m bmad.hooks.notify)",
            [python, "-m", "bmad.hooks.notify", "post-commit"],
            repo,
            env,
            args.runs,
        )
        results["post_commit_click"] = measure(
            "bmad hook post-commit (through click)",
            [python, "-m", "bmad", "hook", "post-commit"],
            repo,
            env,
            args.runs,
        )
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        errors.close()
    results["loadavg_end"] = os.getloadavg()
    out = Path(__file__).resolve().parent.parent / "_work" / "hooks-results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(runtime, ignore_errors=True)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
