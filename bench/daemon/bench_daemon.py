"""Daemon benchmark: idle RSS, `status` round trip, new-commit-to-store latency, idle CPU.

Starts a real daemon (`python -m bmad daemon start --foreground`) with a scratch BMAD_HOME,
registers a generated repository of --files source files (or a copy of --repo), and measures:

- RSS of the idle daemon before any repository is registered, and after mining;
- `status` round trips over the unix socket (one persistent connection, and a fresh
  connection per call as a git hook does), p50 / p99;
- the time from `git commit` returning to the commit being the repository's
  last_mined_commit in the store (code metrics, history, import graph), and to the
  findings being stored too (detection, run after), with a `notify` right after the commit
  (what the post-commit hook does) and with polling alone; anchor: `bmad scan --json` of
  the whole work tree with a warm cache, i.e. what a user runs without a daemon; and the
  findings step alone (from the commit being mined to the repository being idle again);
- CPU time (user + system, from /proc/PID/stat) of the idle daemon over --idle-seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout.strip()


def generated_source(index: int) -> str:
    body = [f'"""Module {index}."""', "import os", f"from pkg import m{(index * 7) % 97:04}", ""]
    for function in range(6):
        body += [
            f"def f{index}_{function}(value, other=None):",
            f"    if value > {function}:",
            "        for item in range(value):",
            "            if item % 3 == 0 and other:",
            "                value += item",
            f"    elif value < -{function}:",
            "        return os.sep",
            "    return value",
            "",
        ]
    return "\n".join(body)


def build_repository(target: Path, files: int, source: Path | None) -> Path:
    if source is not None:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".git"))
    else:
        (target / "pkg").mkdir(parents=True)
        (target / "pkg" / "__init__.py").write_text("")
        for index in range(files):
            (target / "pkg" / f"m{index:04}.py").write_text(generated_source(index))
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "initial")
    return target


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def proc_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until(predicate: Callable[[], Any], deadline: float, poll: float = 0.002) -> float:
    started = time.perf_counter()
    end = started + deadline
    while time.perf_counter() < end:
        if predicate():
            return time.perf_counter() - started
        time.sleep(poll)
    raise SystemExit("timed out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1200, help="generated repository size")
    parser.add_argument("--repo", type=Path, help="copy this folder instead of generating one")
    parser.add_argument("--calls", type=int, default=2000, help="status calls per mode")
    parser.add_argument("--commits", type=int, default=5, help="commits per latency mode")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    arguments = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bmad-bench-", dir="/tmp"))
    env = {
        **os.environ,
        "BMAD_HOME": str(scratch / "home"),
        "BMAD_RUNTIME_DIR": str(scratch / "run"),
    }
    os.environ.update(env)  # the in-process client finds the same socket
    from bmad.daemon.client import DaemonClient, call

    repo = build_repository(scratch / "repo", arguments.files, arguments.repo)
    source_files = int(git(repo, "ls-files").count("\n") + 1)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "bmad", "daemon", "start", "--foreground", "--no-stderr"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, Any] = {"tracked_files": source_files}
    try:

        def answers() -> bool:
            try:
                call("status", timeout=1.0)
            except Exception:
                return False
            return True

        results["start_seconds"] = round(wait_until(answers, 60), 3)
        time.sleep(2.0)
        results["idle_rss_mb_empty"] = round(proc_rss(daemon.pid) / 2**20, 1)

        def last_mined() -> str | None:
            rows = call("repos")
            return rows[0]["last_mined_commit"] if rows else None

        def idle() -> bool:
            rows = call("repos")
            return bool(rows) and rows[0]["state"] == "idle"

        subprocess.run(
            [sys.executable, "-m", "bmad", "repo", "add", str(repo)],
            env=env,
            check=True,
            capture_output=True,
        )
        head = git(repo, "rev-parse", "HEAD")
        results["cold_mining_seconds"] = round(
            wait_until(lambda: last_mined() == head, 1800, 0.05), 2
        )
        results["cold_mining_and_detection_seconds"] = round(
            results["cold_mining_seconds"] + wait_until(idle, 1800, 0.05), 2
        )
        results["idle_rss_mb_after_mining"] = round(proc_rss(daemon.pid) / 2**20, 1)

        with DaemonClient() as client:
            persistent = []
            for _ in range(arguments.calls):
                started = time.perf_counter()
                client.call("status")
                persistent.append((time.perf_counter() - started) * 1000)
        fresh = []
        for _ in range(arguments.calls // 4):
            started = time.perf_counter()
            call("status")
            fresh.append((time.perf_counter() - started) * 1000)
        results["status_ms_persistent"] = {
            "p50": round(percentile(persistent, 0.5), 3),
            "p99": round(percentile(persistent, 0.99), 3),
        }
        results["status_ms_fresh_connection"] = {
            "p50": round(percentile(fresh, 0.5), 3),
            "p99": round(percentile(fresh, 0.99), 3),
        }

        target = (
            sorted((repo / "pkg").glob("m*.py"))[: arguments.commits * 2]
            or sorted(path for path in repo.rglob("*.py") if ".git" not in path.parts)[
                : arguments.commits * 2
            ]
        )
        for mode in ("notify", "poll"):
            samples: list[float] = []
            detection: list[float] = []
            findings_step: list[float] = []
            for number in range(arguments.commits):
                path = target[(number * 2 + (mode == "poll")) % len(target)]
                path.write_text(
                    path.read_text() + f"\n\ndef added_{mode}_{number}():\n    return 1\n"
                )
                git(repo, "add", str(path))
                started = time.perf_counter()
                git(repo, "commit", "-q", "-m", f"{mode} {number}")
                new_head = git(repo, "rev-parse", "HEAD")
                if mode == "notify":
                    call("notify", {"repository": str(repo), "event": "post-commit"})
                wait_until(lambda new_head=new_head: last_mined() == new_head, 60)
                samples.append(time.perf_counter() - started)
                findings_step.append(wait_until(idle, 600))
                detection.append(samples[-1] + findings_step[-1])
            results[f"commit_to_store_seconds_{mode}"] = {
                "median": round(statistics.median(samples), 3),
                "max": round(max(samples), 3),
            }
            results[f"commit_to_findings_seconds_{mode}"] = {
                "median": round(statistics.median(detection), 3),
                "max": round(max(detection), 3),
            }
            results[f"findings_step_seconds_{mode}"] = {
                "median": round(statistics.median(findings_step), 3),
                "max": round(max(findings_step), 3),
            }

        scan_times = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "bmad", "scan", str(repo), "--json"],
                env=env,
                check=True,
                capture_output=True,
            )
            scan_times.append(time.perf_counter() - started)
        results["anchor_warm_scan_cli_seconds"] = round(statistics.median(scan_times), 3)
        results["ratio_warm_scan_to_notify_latency"] = round(
            results["anchor_warm_scan_cli_seconds"]
            / results["commit_to_store_seconds_notify"]["median"],
            1,
        )

        time.sleep(2.0)
        cpu_before = proc_cpu_seconds(daemon.pid)
        time.sleep(arguments.idle_seconds)
        cpu_used = proc_cpu_seconds(daemon.pid) - cpu_before
        results["idle_cpu_seconds"] = {
            "over_seconds": arguments.idle_seconds,
            "cpu_seconds": round(cpu_used, 3),
            "percent": round(100 * cpu_used / arguments.idle_seconds, 3),
        }
        results["idle_rss_mb_end"] = round(proc_rss(daemon.pid) / 2**20, 1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
