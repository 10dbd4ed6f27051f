from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "sample"
    root.mkdir()
    (root / "main.py").write_text("def main():\n    return 1\n")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


@pytest.fixture
def short_runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No daemon runs here; a private runtime dir keeps `notify` from reaching a real one.
    monkeypatch.setenv("BMAD_RUNTIME_DIR", str(tmp_path / "run"))


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_add_list_remove_json(repo: Path, short_runtime: None) -> None:
    code, out, err = invoke("repo", "add", str(repo), "--name", "demo", "--json")
    assert code == 0, err
    added = json.loads(out)
    assert added == {
        "name": "demo",
        "path": str(repo.resolve()),
        "added": True,
        "daemon_notified": False,
    }
    code, out, _ = invoke("repo", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [item["name"] for item in listed] == ["demo"]
    assert listed[0]["exists"] and listed[0]["files"] == 0
    code, out, _ = invoke("repo", "remove", str(repo), "--json")
    assert code == 0 and json.loads(out)["removed"]
    code, out, _ = invoke("repo", "list", "--json")
    assert json.loads(out) == []


def test_human_output(repo: Path, short_runtime: None) -> None:
    code, out, err = invoke("repo", "add", str(repo))
    assert code == 0 and "sample: registered" in out
    assert "not running" in err
    code, out, _ = invoke("repo", "add", str(repo))
    assert code == 0 and "already registered" in out
    code, out, _ = invoke("repo", "list")
    assert code == 0 and "sample" in out


def test_errors_exit_2(tmp_path: Path, repo: Path, short_runtime: None) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = invoke("repo", "add", str(plain))
    assert code == 2 and "not a git repository" in err
    code, _, err = invoke("repo", "add", str(tmp_path / "absent"))
    assert code == 2 and "no such file" in err
    code, _, err = invoke("repo", "remove", "unknown")
    assert code == 2 and "no registered repository" in err
    invoke("repo", "add", str(repo), "--name", "taken")
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    code, _, err = invoke("repo", "add", str(other), "--name", "taken")
    assert code == 2 and "already used" in err
