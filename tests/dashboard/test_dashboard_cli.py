"""``bmad dashboard`` as a user runs it: a real process that prints its address at once,
answers "still analysing" until its data is gathered, then serves the pages; Ctrl-C stops it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from dashboard.conftest import build_fixture_repository


def status_of(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start(arguments: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bmad", "dashboard", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BMAD_SCAN__JOBS": "1"},
    )


def test_the_command_prints_its_address_serves_the_pages_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "fixture"
    build_fixture_repository(repo)
    process = start([str(repo), "--no-open"])
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"open (http://127\.0\.0\.1:(\d+)/\?token=([\w-]+))", line)
        assert found is not None, line
        url, port, token = found.groups()
        assert len(token) >= 40  # 32 random bytes, URL-safe base64
        statuses = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, body = status_of(url)
            statuses.append(status)
            if status == 200:
                break
            assert status == 503 and b"still analysing" in body
            time.sleep(0.05)
        assert statuses[-1] == 200
        assert b"app/core/tangled.py" in body
        assert status_of(f"http://127.0.0.1:{port}/")[0] == 403
        assert status_of(url.replace("/?", "/findings?") + "&rule=deep-nesting")[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        _out, errors = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "bmad dashboard: stopped" in errors
    assert token not in errors  # the address goes to stdout once, never to the log


def test_a_busy_port_is_a_usage_error_before_any_analysis(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start([str(tmp_path), "--no-open", "--port", str(port)])
        out, errors = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in errors
    assert "findings" not in errors and out == ""
