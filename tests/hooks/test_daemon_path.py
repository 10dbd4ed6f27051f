"""With a real daemon running: the pre-commit check asks it, and post-commit pokes it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bmad.daemon.client import DaemonUnavailable, call
from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, bmad, git, head, write

DEADLINE = 60.0


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def pre_commit_with_imports(repo: Path, watched: list[str]) -> tuple[dict[str, Any], list[str]]:
    """`bmad hook pre-commit --json`'s document, and which of ``watched`` it imported (told by
    an exit handler: with one registered, the hook ends through SystemExit, not os._exit)."""
    script = (
        "import atexit, json, sys\n"
        "from bmad.cli.entry import main\n"
        f"atexit.register(lambda: print(json.dumps([name for name in {watched!r} "
        "if name in sys.modules]), file=sys.stderr))\n"
        "sys.argv = ['bmad', 'hook', 'pre-commit', '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=True
    )
    document: dict[str, Any] = json.loads(completed.stdout)
    imported: list[str] = json.loads(completed.stderr.strip().splitlines()[-1])
    return document, imported


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    runtime = Path(tempfile.mkdtemp(prefix="bmad-", dir="/tmp"))  # AF_UNIX path limit
    # the folder a user's XDG_RUNTIME_DIR=runtime names too (the daemon runs under BMAD_HOME)
    monkeypatch.setenv("BMAD_RUNTIME_DIR", str(runtime / "bmad"))
    monkeypatch.setenv("BMAD_DAEMON__POLL_INTERVAL", "30")  # only notify wakes it up
    errors = (tmp_path / "daemon.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bmad", "daemon", "start", "--foreground"],
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )

    def answers() -> bool:
        assert process.poll() is None, (tmp_path / "daemon.log").read_text()
        try:
            call("status", timeout=2.0)
        except DaemonUnavailable:
            return False
        return True

    try:
        wait_for(answers, "the daemon to answer")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()
        shutil.rmtree(runtime, ignore_errors=True)


def test_pre_commit_asks_the_daemon(
    daemon: subprocess.Popen[bytes], new_repo: Callable[..., Path]
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    document = json.loads(bmad(repo, "hook", "pre-commit", "--json").stdout)
    assert document["engine"] == "daemon"
    assert [item["function"] for item in document["regressions"]] == ["parse_args"]
    without = json.loads(
        bmad(repo, "hook", "pre-commit", "--json", BMAD_HOOKS__USE_DAEMON="false").stdout
    )
    assert without["engine"] == "in-process"
    assert without["regressions"] == document["regressions"]


def test_a_users_hook_finds_its_folders_and_settings_without_heavy_imports(
    daemon: subprocess.Popen[bytes],
    new_repo: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No bmad variables but a [daemon] setting: XDG folders, as platformdirs names them."""
    runtime = Path(os.environ["BMAD_RUNTIME_DIR"]).parent
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    for name in ("BMAD_HOME", "BMAD_RUNTIME_DIR"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    for name, folder in [
        ("CONFIG", "config"),
        ("CACHE", "cache"),
        ("DATA", "data"),
        ("STATE", "state"),
    ]:
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / folder))
    (tmp_path / "config" / "bmad").mkdir(parents=True)
    (tmp_path / "config" / "bmad" / "config.toml").write_text("[hooks]\nstrict = true\n")
    slow = ["platformdirs", "tomllib", "dataclasses", "copy", "click"]
    document, imported = pre_commit_with_imports(repo, slow)
    assert document["engine"] == "daemon"
    assert document["strict"] is True
    assert imported == ["tomllib"]  # to read the user's config.toml the first time
    document, imported = pre_commit_with_imports(repo, slow)
    assert (document["engine"], document["strict"], imported) == ("daemon", True, [])
    (tmp_path / "config" / "bmad" / "config.toml").unlink()
    document, imported = pre_commit_with_imports(repo, slow)
    assert (document["engine"], document["strict"], imported) == ("daemon", False, [])


def test_post_commit_notifies_a_registered_repository(
    daemon: subprocess.Popen[bytes], new_repo: Callable[..., Path]
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    bmad(repo, "repo", "add", str(repo))
    queued = json.loads(bmad(repo, "hook", "post-commit", "--json").stdout)
    assert queued == {"hook": "post-commit", "queued": True}

    bmad(repo, "hooks", "install")
    write(repo, {"app.py": GOOD_FUNCTION + "\n\ndef more():\n    return 1\n"})
    git(repo, "commit", "-q", "-am", "second")
    commit = head(repo)

    def mined() -> bool:
        status = call("status", timeout=2.0)
        rows = status.get("repositories", [])
        return any(row.get("last_mined_commit") == commit for row in rows)

    wait_for(mined, "the daemon to mine the new commit after the post-commit hook")


COMPLEX_CONDITION = """def parse_args(argv, a, b, c, d):
    if argv:
        return 2
    return 0


def route(a, b, c, d):
    while a and b or c and d or a:
        a -= 1
    return a
"""


def test_the_daemon_runs_the_comparison_so_the_hook_parses_nothing(
    daemon: subprocess.Popen[bytes], new_repo: Callable[..., Path]
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": COMPLEX_CONDITION})
    git(repo, "add", "app.py")
    heavy = ["tree_sitter", "bmad.hooks.check", "bmad.analysis.rules", "sqlite3"]
    document, imported = pre_commit_with_imports(repo, heavy)
    assert imported == []
    assert document["engine"] == "daemon"
    (new,) = [item for item in document["regressions"] if item["function"] == "route"]
    assert "complex-conditional" in [finding["rule_id"] for finding in new["new_findings"]]
    without = json.loads(
        bmad(repo, "hook", "pre-commit", "--json", BMAD_HOOKS__USE_DAEMON="false").stdout
    )
    assert without["engine"] == "in-process"
    assert without == {**document, "engine": "in-process"}


def test_a_request_over_the_daemon_message_limit_is_checked_in_process(
    daemon: subprocess.Popen[bytes], new_repo: Callable[..., Path]
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    small = json.loads(
        bmad(repo, "hook", "pre-commit", "--json", BMAD_DAEMON__MAX_MESSAGE_BYTES="2048").stdout
    )
    assert small["engine"] == "in-process"
    assert [item["function"] for item in small["regressions"]] == ["parse_args"]


def test_an_invalid_rules_table_is_the_same_clear_error_with_the_daemon(
    daemon: subprocess.Popen[bytes], new_repo: Callable[..., Path]
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    failed = bmad(repo, "hook", "pre-commit", check=False, BMAD_RULES__DEEP_NESTING="deep")
    assert failed.returncode == 2
    assert "deep_nesting" in failed.stderr


def test_global_standings_come_from_the_daemon_as_from_the_store(
    daemon: subprocess.Popen[bytes], new_repo: Callable[..., Path]
) -> None:
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import cache_global_insights
    from bmad.store.connection import data_store_path

    share_below = [round(0.1 * index, 1) for index in range(11)]
    entry = {"share_below": share_below, "organisations": 7, "confidence": 0.9}
    document = {"percentiles": {"cognitive": {"python": entry}}}
    with open_privacy_store(data_store_path()) as store:
        cache_global_insights(store, "code_patterns", 1, document)
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    document_daemon, imported = pre_commit_with_imports(repo, ["bmad.privacy.sharing"])
    assert imported == []
    assert document_daemon["global_insights"] == "cached federation insights"
    (regression,) = document_daemon["regressions"]
    assert regression["standing"]["global"]["organisations"] == 7
    assert "across 7 organisations" in regression["standing"]["global"]["text"]
    without = json.loads(
        bmad(repo, "hook", "pre-commit", "--json", BMAD_HOOKS__USE_DAEMON="false").stdout
    )
    assert without["engine"] == "in-process"
    assert without["regressions"] == document_daemon["regressions"]
