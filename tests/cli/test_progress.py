"""Progress of long steps: shown on a terminal only, never on a pipe or with --json;
learn rounds give up after --timeout."""

from __future__ import annotations

import contextlib
import io
import os
import pty
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.cli.steps import RoundDisplay, on_terminal, step
from tests.federation.harness import Aggregator, running_aggregator


def read_all(primary: int) -> str:
    shown = b""
    with contextlib.suppress(OSError):  # the terminal closes with its last writer
        while chunk := os.read(primary, 65536):
            shown += chunk
    return shown.decode(errors="replace")


@contextlib.contextmanager
def terminal_as_stderr(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """sys.stderr on a real pseudo-terminal; yields the other end to read what was shown."""
    primary, secondary = pty.openpty()
    stream = io.TextIOWrapper(os.fdopen(secondary, "wb", buffering=0), write_through=True)
    monkeypatch.setattr(sys, "stderr", stream)
    try:
        yield primary
    finally:
        stream.close()
        os.close(primary)


def test_a_long_step_shows_a_spinner_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    with terminal_as_stderr(monkeypatch) as primary:
        assert on_terminal(as_json=False) and not on_terminal(as_json=True)
        with step("mining the canary", shown=True):
            time.sleep(1.4)
        sys.stderr.close()
        assert "mining the canary" in read_all(primary)


def test_a_short_step_or_a_hidden_one_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with terminal_as_stderr(monkeypatch) as primary:
        with step("quick", shown=True):
            pass
        time.sleep(1.2)  # a step that ended never shows up late
        with step("hidden", shown=False):
            pass
        sys.stderr.close()
        assert read_all(primary) == ""


def test_the_round_line_counts_organisations_and_down_to_the_deadlines() -> None:
    display = RoundDisplay(timeout=90)
    state = {
        "id": "5f0c3c1e-0000",
        "state": "enrolling",
        "phase": None,
        "organisations": {"enrolled": 2},
        "parameters": {"enrol_timeout": 60.0, "phase_timeout": 20.0},
    }
    display.update(state)
    assert str(display.__rich__()) == (
        "enrolling · 2 organisations · enrolment closes in 1:00 · gives up in 1:30"
    )
    display.update({**state, "state": "running", "phase": "masking"})
    assert str(display.__rich__()) == (
        "masking · 2 organisations · phase ends in 20 s · gives up in 1:30"
    )


def test_learn_anti_patterns_prints_no_progress_on_a_pipe_or_with_json(tmp_path: Path) -> None:
    from tests.federation.harness import make_repo, python_source

    repo = make_repo(tmp_path / "repo", python_source(3))
    for arguments in (["--json"], []):
        result = CliRunner().invoke(cli, ["learn", "anti-patterns", str(repo), *arguments])
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""


@pytest.fixture
def aggregator(tmp_path: Path) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path / "aggregator") as running:
        yield running


def admin_home(tmp_path: Path, url: str) -> dict[str, str]:
    """An admin of a federation of three organisations of which none but the admin's will enrol."""
    home = tmp_path / "admin"
    home.mkdir()
    (home / "config.toml").write_text("[federation]\npoll_interval = 0.1\n")
    environment = {**os.environ, "BMAD_HOME": str(home)}
    arguments = ["federation", "create", "--participants", "acme,globex,initech"]
    arguments += ["--privacy-level", "low", "--aggregator", url, "--k", "3", "--json"]
    created = CliRunner().invoke(cli, arguments, env=environment)
    assert created.exit_code == 0, created.stderr
    return environment


def test_a_learn_round_gives_up_after_its_timeout_and_counts_down_on_a_terminal(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    environment = admin_home(tmp_path, aggregator.url)
    command = [sys.executable, "-m", "bmad", "learn", "patterns", "--cross-project"]
    command += ["--timeout", "1.5"]

    started = time.monotonic()
    piped = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert time.monotonic() - started < 30
    assert piped.returncode == 2
    assert "still enrolling after 1.5 s" in piped.stderr
    assert "gives up in" not in piped.stderr  # the live line is for terminals only

    primary, secondary = pty.openpty()
    with subprocess.Popen(
        command, env=environment, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary
    ) as process:
        os.close(secondary)
        shown = read_all(primary)
        assert process.wait(timeout=30) == 2
    os.close(primary)
    assert "enrolment closes in" in shown and "gives up in" in shown
    assert "still enrolling after 1.5 s" in shown
