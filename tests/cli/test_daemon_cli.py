from __future__ import annotations

import json
import plistlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.daemon.unit import launchd_agent, systemd_unit


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BMAD_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_status_and_stop_without_a_daemon(private_dirs: Path) -> None:
    code, out, _ = invoke("daemon", "status", "--json")
    assert code == 0 and json.loads(out)["running"] is False
    code, out, _ = invoke("daemon", "status")
    assert code == 0 and "not running" in out
    code, out, _ = invoke("daemon", "stop", "--json")
    assert code == 0 and json.loads(out) == {"stopped": False, "pid": None}


def test_install_service_print_writes_nothing(private_dirs: Path) -> None:
    code, out, _ = invoke("daemon", "install-service", "--print", "--json")
    document = json.loads(out)
    assert code == 0 and document["written"] is False
    assert not Path(document["path"]).exists()
    code, out, _ = invoke("daemon", "install-service", "--print")
    assert code == 0 and out == document["text"]


def test_install_service_writes_the_definition(private_dirs: Path) -> None:
    code, out, _ = invoke("daemon", "install-service", "--json")
    document = json.loads(out)
    written = Path(document["path"])
    assert code == 0 and document["written"]
    assert written.read_text() == document["text"]
    assert private_dirs in written.parents


def test_systemd_unit_forwards_bmad_dirs(tmp_path: Path) -> None:
    environ = {"BMAD_HOME": '/data/with "quote"', "XDG_CONFIG_HOME": str(tmp_path), "OTHER": "x"}
    unit = systemd_unit("/opt/py thon/bin/python", environ, tmp_path / "home")
    assert unit.path == tmp_path / "systemd" / "user" / "bmad-daemon.service"
    lines = unit.text.splitlines()
    assert (
        'ExecStart="/opt/py thon/bin/python" -m bmad daemon start --foreground --no-stderr' in lines
    )
    assert 'Environment="BMAD_HOME=/data/with \\"quote\\""' in lines
    assert "OTHER" not in unit.text and "WantedBy=default.target" in lines


def test_launchd_agent_is_a_valid_plist(tmp_path: Path) -> None:
    agent = launchd_agent("/usr/bin/python3", {"BMAD_HOME": "/a&b"}, tmp_path)
    document = plistlib.loads(agent.text.encode())
    assert document["Label"] == "dev.bmad.daemon"
    assert document["ProgramArguments"][:4] == ["/usr/bin/python3", "-m", "bmad", "daemon"]
    assert document["EnvironmentVariables"] == {"BMAD_HOME": "/a&b"}
    assert document["RunAtLoad"] is True
    assert agent.path == tmp_path / "Library" / "LaunchAgents" / "dev.bmad.daemon.plist"


def test_service_definitions_leave_the_priority_to_the_daemon(tmp_path: Path) -> None:
    unit = systemd_unit("/usr/bin/python3", {}, tmp_path)
    agent = launchd_agent("/usr/bin/python3", {}, tmp_path)

    assert not any(line.startswith("Nice=") for line in unit.text.splitlines())
    assert "Nice" not in plistlib.loads(agent.text.encode())
