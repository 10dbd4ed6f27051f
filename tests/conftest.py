"""Every test runs with its own BMAD_HOME so no test reads or writes the real user folders;
fixtures for private bmad dirs and real git repositories shared by the daemon and store tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_bmad_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("bmad-home")
    monkeypatch.setenv("BMAD_HOME", str(home))
    for name in (
        "BMAD_CACHE_DIR",
        "BMAD_DATA_DIR",
        "BMAD_RUNTIME_DIR",
        "BMAD_LOG_DIR",
        "BMAD_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return result.stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def python_function(index: int) -> str:
    return (
        f"def function_{index}(value):\n"
        f"    if value > {index}:\n"
        f"        return value - {index}\n"
        f"    for item in range(value):\n"
        f"        if item % 2:\n"
        f"            value += item\n"
        f"    return value\n"
    )


GitRunner = Callable[..., str]
Committer = Callable[..., str]


@pytest.fixture
def run_git() -> GitRunner:
    return git


@pytest.fixture
def commit() -> Committer:
    return commit_files


@pytest.fixture(name="python_function")
def python_function_fixture() -> Callable[[int], str]:
    return python_function


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    def factory(name: str = "project", files: dict[str, str] | None = None) -> Path:
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        commit_files(repo, files or {"app.py": python_function(1)}, "initial")
        return repo

    return factory


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    """A short runtime dir: AF_UNIX paths are limited to ~107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="bmad-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def bmad_home(tmp_path: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "bmad-home"
    monkeypatch.setenv("BMAD_HOME", str(home))
    monkeypatch.setenv("BMAD_RUNTIME_DIR", str(runtime_dir / "run"))
    return home
