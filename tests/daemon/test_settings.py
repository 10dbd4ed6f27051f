"""[daemon] settings: read through the real loader; bad values are errors naming the key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bmad import config
from bmad.daemon.service import DaemonSettings
from bmad.errors import BmadError


def settings() -> DaemonSettings:
    loaded = config.load()
    return DaemonSettings.from_config(loaded.section("daemon"), 1024)


def test_defaults_and_environment_values(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings().workers == 1
    monkeypatch.setenv("BMAD_DAEMON__THROTTLE_MS", "250")
    monkeypatch.setenv("BMAD_DAEMON__CONNECTION_TIMEOUT", "2")
    read = settings()
    assert read.miner.throttle_seconds == 0.25
    assert read.limits.connection_timeout == 2.0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("workers", "'two'", "[daemon] workers must be an integer >= 1, got 'two'"),
        ("workers", "0", "[daemon] workers must be an integer >= 1, got 0"),
        ("nice", "1.5", "[daemon] nice must be an integer >= 0, got 1.5"),
        ("max_message_bytes", "true", "[daemon] max_message_bytes must be an integer >= 1024"),
        ("poll_interval", "'fast'", "[daemon] poll_interval must be a number in [0.05, inf]"),
        ("backoff_max", "-1", "[daemon] backoff_max must be a number in [0.1, inf], got -1"),
    ],
)
def test_a_bad_value_names_its_setting(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"BMAD_DAEMON__{key.upper()}", value)
    with pytest.raises(BmadError) as raised:
        settings()
    assert message in raised.value.message


def test_the_daemon_refuses_to_start_with_a_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMAD_DAEMON__WORKERS", "many")
    result = subprocess.run(
        [sys.executable, "-m", "bmad", "daemon", "start", "--foreground"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "[daemon] workers must be an integer >= 1, got 'many'" in result.stderr
    assert "Traceback" not in result.stderr
