"""A real daemon process, started as `python -m bmad daemon start --foreground`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.daemon.client import DaemonClient, DaemonUnavailable, RpcError, call
from bmad.daemon.paths import lock_path, log_path, pid_path, socket_path
from bmad.store.connection import data_store_path

DEADLINE = 60.0  # generous: a deadline for an event, never a speed assertion


def wait_for(predicate: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class DaemonProcess:
    def __init__(self, env: dict[str, str], errors: Path) -> None:
        self.env = env
        self.errors = errors
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> DaemonProcess:
        with self.errors.open("ab") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bmad", "daemon", "start", "--foreground"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        wait_for(self.answers, "the daemon to answer")
        return self

    def answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"daemon exited: {self.errors.read_text()}")
        try:
            call("status", timeout=2.0)
        except DaemonUnavailable:
            return False
        return True

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def daemon_env(bmad_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("BMAD_DAEMON__POLL_INTERVAL", "0.1")
    monkeypatch.setenv("BMAD_DAEMON__BACKOFF_BASE", "0.2")
    monkeypatch.setenv("BMAD_DAEMON__MAX_MESSAGE_BYTES", "65536")
    monkeypatch.setenv("BMAD_DAEMON__CONNECTION_TIMEOUT", "2.0")
    return dict(os.environ)


@pytest.fixture
def spawn(daemon_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    started: list[DaemonProcess] = []

    def factory(**settings: str) -> DaemonProcess:
        env = {**daemon_env, **{f"BMAD_DAEMON__{k.upper()}": v for k, v in settings.items()}}
        process = DaemonProcess(env, tmp_path / "daemon-stderr.log").start()
        started.append(process)
        return process

    yield factory
    for process in started:
        process.stop()


def cli_ok(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def repository_row(name: str) -> dict[str, Any] | None:
    rows = call("repos")
    return next((row for row in rows if row["name"] == name), None)


def head_of(repo: Path, run_git: Callable[..., str]) -> str:
    return run_git(repo, "rev-parse", "HEAD")


def test_private_runtime_files_and_status(spawn: Callable[..., DaemonProcess]) -> None:
    daemon = spawn()
    assert stat.S_IMODE(socket_path().parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(socket_path().stat().st_mode) == 0o600
    assert stat.S_ISSOCK(socket_path().stat().st_mode)
    assert stat.S_IMODE(pid_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(data_store_path().stat().st_mode) == 0o600
    assert daemon.process is not None
    status = call("status")
    assert status["pid"] == daemon.process.pid == int(pid_path().read_text())
    assert status["rss_bytes"] > 0 and status["uptime_seconds"] >= 0
    assert status["steps"] == [
        "code",
        "history",
        "trends",
        "architecture",
        "findings",
        "risk",
    ]
    output = json.loads(cli_ok("daemon", "status", "--json"))
    assert output["running"] and output["pid"] == daemon.process.pid


def test_a_new_commit_is_mined(
    spawn: Callable[..., DaemonProcess],
    make_repo: Callable[..., Path],
    commit: Callable[..., str],
    run_git: Callable[..., str],
    python_function: Callable[[int], str],
) -> None:
    repo = make_repo("watched", {"one.py": python_function(1)})
    spawn()
    added = json.loads(cli_ok("repo", "add", str(repo), "--json"))
    assert added["daemon_notified"]
    first = head_of(repo, run_git)
    wait_for(
        lambda: (row := repository_row("watched")) and row["last_mined_commit"] == first,
        "the first pass",
    )
    second = commit(repo, {"two.py": python_function(2) + python_function(3)})
    row = wait_for(
        lambda: (
            (row := repository_row("watched"))
            and row["last_mined_commit"] == second
            and row["state"] == "idle"
            and row
        ),
        "the new commit to be mined",
    )
    assert row["files"] == 2 and row["functions"] == 3 and row["pending"] == 0
    from bmad.store.history import open_history_store

    with open_history_store() as history:
        tips = history.store.connection.execute("SELECT tip FROM history_sources").fetchall()
    assert tips == [(second,)]

    report = call("file_report", {"path": str(repo / "two.py")})
    assert report["repository"] == "watched" and report["modified"] is False
    assert isinstance(report["findings"], list)
    assert [item["name"] for item in report["metrics"]["functions"]] == ["function_2", "function_3"]
    (repo / "two.py").write_text("changed = True\n")
    assert call("file_report", {"path": str(repo / "two.py")})["modified"] is True
    missing = call("file_report", {"path": str(repo / "absent.py")})
    assert missing["metrics"] is None
    with pytest.raises(RpcError) as outside:
        call("file_report", {"path": "/"})
    assert outside.value.code == -32004

    analysed = call("analyze_buffer", {"path": "x.py", "text": python_function(9)})
    assert analysed["language"] == "python"
    assert analysed["metrics"]["functions"][0]["ccn"] >= 3
    assert call("notify", {"repository": str(repo), "event": "post-commit"})["queued"]


def test_the_daemon_keeps_the_technology_history_for_insights_trends(
    spawn: Callable[..., DaemonProcess], tmp_path: Path, run_git: Callable[..., str]
) -> None:
    from tests.gitrepo import write_files
    from tests.technology_repos import HISTORY, dated_commit, technology_repo

    repo = technology_repo(tmp_path / "stack", steps=2)
    spawn()
    cli_ok("repo", "add", str(repo))

    def mined(head: str) -> None:
        wait_for(
            lambda: (row := repository_row("stack")) and row["last_mined_commit"] == head,
            "the daemon to mine the head",
        )

    for when, subject, files, deleted in HISTORY[2:]:  # one daemon pass per new commit
        mined(head_of(repo, run_git))
        write_files(repo, dict(files))
        for path in deleted:
            (repo / path).unlink()
        dated_commit(repo, when, subject)
    last = head_of(repo, run_git)
    mined(last)
    wait_for(lambda: (row := repository_row("stack")) and row["state"] == "idle", "detection")
    manifest = call("file_report", {"path": str(repo / "requirements.txt")})
    assert manifest["metrics"] is None  # not code, but its stored findings are served
    assert {f["evidence"]["technology"] for f in manifest["findings"]} == {
        "dependency:pypi:celery",
        "dependency:pypi:requests",
    }
    document = json.loads(
        cli_ok("insights", "trends", str(repo), "--time-window", "2023-01-01..2024-12-31", "--json")
    )
    (mined_now,) = document["mined"]
    assert (mined_now["tip"], mined_now["new_commits"]) == (last, 0)  # nothing left to mine
    assert {f["technology"] for f in document["findings"]} == {
        "dependency:pypi:celery",
        "dependency:pypi:requests",
        "tool:travis-ci",
        "tool:flake8",
    }


def raw_exchange(payload: bytes, read: bool = True) -> list[dict[str, Any]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(socket_path()))
        sock.sendall(payload)
        if not read:
            return []
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return [json.loads(line) for line in data.splitlines()]


def test_bad_input_gets_errors_and_the_daemon_carries_on(
    spawn: Callable[..., DaemonProcess],
) -> None:
    spawn()
    assert raw_exchange(b"{oops\n")[0]["error"]["code"] == -32700
    unknown = raw_exchange(b'{"jsonrpc":"2.0","id":1,"method":"no_such_method"}\n')[0]
    assert unknown["error"]["code"] == -32601 and unknown["id"] == 1
    for params in ('{"path":"a.py"}', '{"path":"a.py","text":5}', '{"path":"a.txt","text":""}'):
        request = f'{{"jsonrpc":"2.0","id":2,"method":"analyze_buffer","params":{params}}}\n'
        assert raw_exchange(request.encode())[0]["error"]["code"] == -32602
    bad_notify = b'{"jsonrpc":"2.0","id":3,"method":"notify","params":{}}\n'
    assert raw_exchange(bad_notify)[0]["error"]["code"] == -32602
    # Several requests on one connection, the second malformed: each gets its answer.
    replies = raw_exchange(
        b'{"jsonrpc":"2.0","id":1,"method":"status"}\n[]\n{"jsonrpc":"2.0","id":2,"method":"repos"}\n'
    )
    assert [reply.get("id") for reply in replies] == [1, None, 2]

    oversized = raw_exchange(b'{"jsonrpc":"2.0","id":4,"method":"status","x":"' + b"a" * 70000)
    assert oversized == [
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32001, "message": oversized[0]["error"]["message"]},
        }
    ]
    # Clients that vanish mid-request, or send half a line and stop talking.
    raw_exchange(b'{"jsonrpc":"2.0","id":5,"method":"analyze_buffer","params":{"path"', read=False)
    text = "def f():\n    return 1\n" * 1000
    request = {"jsonrpc": "2.0", "id": 6, "method": "analyze_buffer",
               "params": {"path": "big.py", "text": text}}  # fmt: skip
    raw_exchange(json.dumps(request).encode() + b"\n", read=False)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as idle:
        idle.settimeout(30)
        idle.connect(str(socket_path()))
        idle.sendall(b'{"jsonrpc":')
        assert idle.recv(100) == b""  # dropped after the connection timeout
    with DaemonClient() as client:
        assert client.call("status")["pid"] > 0
        assert client.call("repos") == []


def test_kill_9_during_mining_then_restart_resumes(
    spawn: Callable[..., DaemonProcess],
    make_repo: Callable[..., Path],
    run_git: Callable[..., str],
    python_function: Callable[[int], str],
) -> None:
    files = {f"src/m{index:03}.py": python_function(index) for index in range(300)}
    repo = make_repo("large", files)
    cli_ok("repo", "add", str(repo))
    daemon = spawn(batch_size="5", throttle_ms="20")
    reader = sqlite3.connect(f"file:{data_store_path()}?mode=ro", uri=True)

    def partially_mined() -> bool:
        files_done = reader.execute("SELECT COUNT(*) FROM repository_files").fetchone()[0]
        mined = reader.execute("SELECT last_mined_commit FROM repository_state").fetchone()[0]
        return files_done > 0 and mined is None

    wait_for(partially_mined, "mining to be under way")
    daemon.kill()
    assert socket_path().exists() and pid_path().exists()  # left behind by kill -9
    assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    done_before = reader.execute("SELECT COUNT(*) FROM repository_files").fetchone()[0]
    assert 0 < done_before < 300 and done_before % 5 == 0  # whole units only
    reader.close()

    spawn(batch_size="50")
    head = head_of(repo, run_git)
    wait_for(
        lambda: (
            (row := repository_row("large"))
            and row["last_mined_commit"] == head
            and row["state"] == "idle"
        ),
        "mining and detection to finish after the restart",
    )
    assert repository_row("large")["files"] == 300  # type: ignore[index]
    passes = re.findall(
        r"large: mined \w+ in [\d.]+ s "
        r"\(code: (\d+), history: 1, trends: 1, architecture: 300, findings: \d+, risk: \d+\)",
        log_path().read_text(),
    )
    assert passes == [str(300 - done_before)], log_path().read_text()


def test_cli_writes_while_the_daemon_mines(
    spawn: Callable[..., DaemonProcess],
    make_repo: Callable[..., Path],
    run_git: Callable[..., str],
    python_function: Callable[[int], str],
) -> None:
    repo = make_repo("busy", {f"f{index}.py": python_function(index) for index in range(80)})
    others = [make_repo(f"other{index}") for index in range(3)]
    spawn(batch_size="2", throttle_ms="5")
    cli_ok("repo", "add", str(repo))
    for _ in range(3):
        for other in others:
            cli_ok("repo", "add", str(other))
        json.loads(cli_ok("repo", "list", "--json"))
        for other in others:
            cli_ok("repo", "remove", str(other))
    head = head_of(repo, run_git)
    wait_for(
        lambda: (row := repository_row("busy")) and row["last_mined_commit"] == head,
        "mining to finish",
    )
    assert [row["name"] for row in call("repos")] == ["busy"]
    with sqlite3.connect(data_store_path()) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT COUNT(*) FROM repository_files").fetchone()[0] == 80


def test_deleted_repository_is_reported_and_others_go_on(
    spawn: Callable[..., DaemonProcess],
    make_repo: Callable[..., Path],
    commit: Callable[..., str],
    run_git: Callable[..., str],
) -> None:
    doomed, alive = make_repo("doomed"), make_repo("alive")
    cli_ok("repo", "add", str(doomed))
    cli_ok("repo", "add", str(alive))
    spawn()
    wait_for(lambda: all(row["last_mined_commit"] for row in call("repos")), "both to be mined")
    shutil.rmtree(doomed)
    row = wait_for(
        lambda: (row := repository_row("doomed")) and row["state"] == "missing" and row,
        "the deletion to be noticed",
    )
    assert not row["exists"] and "not found" in row["last_error"]
    head = commit(alive, {"later.py": "def later():\n    return 1\n"})
    wait_for(
        lambda: (row := repository_row("alive")) and row["last_mined_commit"] == head,
        "the other repository to be mined",
    )


def test_second_start_is_refused_and_stale_files_are_cleaned(
    spawn: Callable[..., DaemonProcess], daemon_env: dict[str, str]
) -> None:
    daemon = spawn()
    second = subprocess.run(
        [sys.executable, "-m", "bmad", "daemon", "start", "--foreground"],
        check=False,
        env=daemon_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2 and "already running" in second.stderr
    daemon.kill()
    assert pid_path().exists() and socket_path().exists() and lock_path().exists()
    with pytest.raises(DaemonUnavailable):
        call("status")
    status = json.loads(cli_ok("daemon", "status", "--json"))
    assert status["running"] is False
    restarted = spawn()
    assert restarted.process is not None
    assert call("status")["pid"] == restarted.process.pid


def test_detached_start_and_stop(daemon_env: dict[str, str]) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bmad", "daemon", *args],
            check=False,
            env=daemon_env,
            capture_output=True,
            text=True,
            timeout=90,
        )

    started = run("start", "--json")
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]
    try:
        assert json.loads(run("status", "--json").stdout)["pid"] == pid
        assert run("start").returncode == 2
        stopped = run("stop", "--json")
        assert stopped.returncode == 0 and json.loads(stopped.stdout) == {
            "stopped": True,
            "pid": pid,
        }
        assert not socket_path().exists() and not pid_path().exists()
        assert json.loads(run("stop", "--json").stdout)["stopped"] is False
        assert "bmad daemon" in log_path().read_text()
    finally:
        if pid_path().exists():
            os.kill(pid, signal.SIGKILL)


def test_a_detached_start_that_fails_says_why_once(daemon_env: dict[str, str]) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "bmad", "daemon", "start"],
        check=False,
        env={**daemon_env, "BMAD_SCAN__MAX_FILE_SIZE": '"big"'},
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert started.returncode == 2
    assert started.stderr == (
        "bmad: error: the bmad daemon did not start: "
        "[scan] max_file_size must be an integer >= 1, got 'big'\n"
    )


def test_repeated_errors_back_off_and_clear_once_fixed(
    spawn: Callable[..., DaemonProcess],
    make_repo: Callable[..., Path],
    commit: Callable[..., str],
) -> None:
    repo = make_repo(
        "misconfigured", {"app.py": "x = 1\n", ".bmad.toml": "[architecture]\nlayers = 5\n"}
    )
    cli_ok("repo", "add", str(repo))
    spawn()
    row = wait_for(
        lambda: (row := repository_row("misconfigured")) and row["error_count"] >= 3 and row,
        "repeated failures",
    )
    assert "invalid [architecture] settings" in row["last_error"]
    assert row["files"] == 1 and row["last_mined_commit"] is None  # whole units kept
    assert call("status")["pid"] > 0  # the daemon carries on
    head = commit(repo, {".bmad.toml": "[architecture]\nlayers = []\n"})
    row = wait_for(
        lambda: (
            (row := repository_row("misconfigured")) and row["last_mined_commit"] == head and row
        ),
        "the fixed repository to be mined",
    )
    assert row["last_error"] is None and row["error_count"] == 0


def test_insights_method_serves_the_cached_global_insights(
    spawn: Callable[..., DaemonProcess],
) -> None:
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import cache_global_insights

    spawn()
    assert call("insights") == {"insights": []}
    document = {"percentiles": {"python": {"cognitive": [1, 3, 9]}}, "organisations": 6}
    with open_privacy_store(data_store_path()) as store:
        cache_global_insights(store, "code_patterns", 1, document)

    answer = call("insights", {"learning_type": "code_patterns"})

    (entry,) = answer["insights"]
    assert (entry["learning_type"], entry["insights"]) == ("code_patterns", document)
    assert call("insights", {"learning_type": "workflow_patterns"}) == {"insights": []}


def _thread_nice_values(pid: int) -> dict[int, int]:
    """tid -> nice, from /proc (field 19 of stat, after the parenthesised command name)."""
    values = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        values[int(task.name)] = int(fields[16])
    return values


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_mining_runs_below_the_answering_threads(
    spawn: Callable[..., DaemonProcess],
    make_repo: Callable[..., Path],
    run_git: Callable[..., str],
    python_function: Callable[[int], str],
) -> None:
    repo = make_repo("niced", {"one.py": python_function(1)})
    daemon = spawn(nice="7")
    cli_ok("repo", "add", str(repo))
    first = head_of(repo, run_git)
    wait_for(
        lambda: (row := repository_row("niced")) and row["last_mined_commit"] == first,
        "the first pass",
    )
    assert daemon.process is not None
    base = os.getpriority(os.PRIO_PROCESS, 0)
    values = _thread_nice_values(daemon.process.pid)
    assert values[daemon.process.pid] == base  # the main thread, which serves the socket
    assert min(19, base + 7) in values.values()  # the miner thread (and federation)
