"""Whole-process time of the git hook entry points on a synthetic repository.

A commit touching 3 Python files of ~500 lines (one function made worse in each):
- `python -m bmad hook pre-commit` (what the installed hook execs) with the daemon running
  (fresh staged content before each run: what a new commit costs, the target; the same with
  a user config file to read, as a repository's pyproject.toml would be; and the same blobs
  checked again), and without it (`[hooks] use_daemon = false`: in-process tree-sitter,
  content cache warm, and empty before each run);
- the installed post-commit script (notification detached) and the notification process
  itself (`python -m bmad.daemon.notify post-commit`, daemon running, repository registered);
- floors measured in the same run: `python -c pass`, `python -m bmad --version`, and
  `git diff --cached --raw`.

All entry points are measured round-robin (run r of each before run r + 1 of any), so load
from neighbours lands on all alike; each line also gives its p50 over `bmad --version`'s and
over `python -c pass`'s.
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
from collections.abc import Callable
from dataclasses import dataclass, field
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
    completed = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{cmd} exited {completed.returncode}: {completed.stderr.decode()}")
    return (time.perf_counter() - start) * 1000, (children_cpu() - cpu) * 1000


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[max(0, int(len(ordered) * 0.9) - 1)], 1),
        "min_ms": round(ordered[0], 1),
    }


@dataclass
class EntryPoint:
    label: str
    cmd: list[str]
    env: dict[str, str]
    before: Callable[[], None] | None = None
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def measure_interleaved(entry_points: list[EntryPoint], cwd: Path, runs: int) -> None:
    """Round-robin: run r of every entry point before run r + 1 of any, so a neighbour's
    burst of load lands on all of them alike (this machine's load swings 2x within minutes)."""
    for _ in range(runs):
        for entry in entry_points:
            if entry.before is not None:
                entry.before()
            wall, used = run(entry.cmd, cwd, entry.env)
            entry.wall.append(wall)
            entry.cpu.append(used)


def report(entry: EntryPoint, version: EntryPoint, interpreter: EntryPoint) -> dict[str, float]:
    result = summary(entry.wall)
    result["cpu_p50_ms"] = round(statistics.median(entry.cpu), 1)
    result["over_version_floor"] = round(result["p50_ms"] / statistics.median(version.wall), 2)
    result["over_python_floor"] = round(result["p50_ms"] / statistics.median(interpreter.wall), 2)
    print(
        f"{entry.label:58} p50 {result['p50_ms']:7.1f} ms  p90 {result['p90_ms']:7.1f}  "
        f"min {result['min_ms']:7.1f}  cpu p50 {result['cpu_p50_ms']:7.1f}  "
        f"x{result['over_version_floor']:.2f} --version  x{result['over_python_floor']:.2f} pass",
        flush=True,
    )
    return result


def bmad(env: dict[str, str], *arguments: str, cwd: Path | None = None) -> str:
    """``python -m bmad ARGUMENTS``' stdout; fails the bench when it fails."""
    return subprocess.run(
        [sys.executable, "-m", "bmad", *arguments],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def wait_until_mined(python: str, repo: Path, env: dict[str, str], head: str) -> None:
    """The daemon answers, has the repository registered and has mined HEAD (its first pass
    holds the analysis lock)."""
    for _ in range(200):
        answered = subprocess.run(
            [python, "-m", "bmad", "daemon", "status", "--json"],
            env=env,
            capture_output=True,
            check=False,
        )
        if answered.returncode == 0:
            break
        time.sleep(0.1)
    bmad(env, "repo", "add", str(repo))
    for _ in range(600):
        status = json.loads(bmad(env, "daemon", "status", "--json"))
        if any(row.get("last_mined_commit") == head for row in status["repositories"]):
            break
        time.sleep(0.2)


def _stat_fields(pid: int | str) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def busy_ms(pid: int) -> float:
    """CPU ms of the daemon, of its children it reaped, and of its live children (detection
    passes, multiprocessing's resource tracker)."""
    fields = _stat_fields(pid)
    total = sum(int(fields[index]) for index in (11, 12, 13, 14))
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            child = _stat_fields(entry.name)
        except OSError:
            continue
        if int(child[1]) == pid:
            total += int(child[11]) + int(child[12])
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def wait_until_idle(
    pid: int, quiet_ms: float = 20.0, window: float = 1.0, give_up: float = 300.0
) -> float:
    """Seconds until the daemon and its children used < quiet_ms of CPU in a window: mining
    and the detection child it spawns after a pass hold the analysis lock the check needs."""
    start = time.monotonic()
    before = busy_ms(pid)
    while time.monotonic() - start < give_up:
        time.sleep(window)
        now = busy_ms(pid)
        if now - before < quiet_ms:
            break
        before = now
    return time.monotonic() - start


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
        # mining passes only when notified: the post-commit lines are measured last
        "BMAD_DAEMON__POLL_INTERVAL": "600",
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

    def git(*arguments: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["git", *arguments], cwd=repo, env=env, check=True, capture_output=True
        )

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
    bmad(env, "scan", str(repo), "--json")
    check = json.loads(bmad(env, "hook", "pre-commit", "--json", cwd=repo))
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
    errors = (work / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [python, "-m", "bmad", "daemon", "start", "--foreground"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        wait_until_mined(python, repo, env, git("rev-parse", "HEAD").stdout.decode().strip())
        engine = json.loads(bmad(env, "hook", "pre-commit", "--json", cwd=repo))["engine"]
        assert engine == "daemon", engine
        bmad(env, "hooks", "install", str(repo))
        edits = iter(range(1, 100_000))

        def stage_fresh_content() -> None:
            edit = next(edits)
            for index in range(3):
                path = repo / f"pkg/mod_{index}.py"
                path.write_text(module(index, worse=True) + f"# edit {edit}\n")
            git("add", "pkg")

        no_daemon = {**env, "BMAD_HOOKS__USE_DAEMON": "false"}
        # a settings file to read (as a pyproject.toml with [tool.bmad] would be): tomllib
        user_config = work / "config.toml"
        user_config.write_text("[hooks]\nstrict = false\n")
        with_file = {**env, "BMAD_CONFIG": str(user_config)}
        cold_cache = work / "cold-cache"
        cold = {**no_daemon, "BMAD_CACHE_DIR": str(cold_cache)}
        version = EntryPoint(
            "floor: python -m bmad --version", [python, "-m", "bmad", "--version"], env
        )
        interpreter = EntryPoint("floor: python -c pass", [python, "-c", "pass"], env)
        entry_points = [
            interpreter,
            version,
            EntryPoint("floor: git diff --cached --raw", ["git", "diff", "--cached", "--raw"], env),
            EntryPoint(
                "pre-commit, daemon running, fresh staged blobs (target)",
                hook_cmd,
                env,
                before=stage_fresh_content,
            ),
            EntryPoint(
                "pre-commit, daemon, fresh staged blobs, a config file",
                hook_cmd,
                with_file,
                before=stage_fresh_content,
            ),
            EntryPoint("pre-commit, daemon running, same staged blobs again", hook_cmd, env),
            EntryPoint("pre-commit, no daemon, warm content cache", hook_cmd, no_daemon),
            EntryPoint(
                "pre-commit, no daemon, empty content cache",
                hook_cmd,
                cold,
                before=lambda: shutil.rmtree(cold_cache, ignore_errors=True),
            ),
        ]
        results["daemon_idle_wait_s"] = round(wait_until_idle(daemon.pid), 1)
        print(f"daemon idle after {results['daemon_idle_wait_s']} s", flush=True)
        measure_interleaved(entry_points, repo, args.runs)
        # each notification starts a mining pass in the daemon: measured after the checks
        notifications = [
            EntryPoint(
                "post-commit hook script (notify detached)",
                [str(repo / ".git" / "hooks" / "post-commit")],
                env,
            ),
            EntryPoint(
                "notify process (python -m bmad.daemon.notify)",
                [python, "-m", "bmad.daemon.notify", "post-commit"],
                env,
            ),
            EntryPoint(
                "bmad hook post-commit (through click)",
                [python, "-m", "bmad", "hook", "post-commit"],
                env,
            ),
        ]
        measure_interleaved(notifications, repo, args.runs)
        for entry in [*entry_points, *notifications]:
            results[entry.label] = report(entry, version, interpreter)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        errors.close()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)
    results["loadavg_end"] = os.getloadavg()
    out = Path(__file__).resolve().parent.parent / "_work" / "hooks-results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
