"""Fixtures: real repositories driven through the git CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hooks.hookrepo import git, write


@pytest.fixture
def new_repo(tmp_path: Path) -> Callable[..., Path]:
    def factory(name: str = "repo", files: dict[str, str] | None = None) -> Path:
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        if files:
            write(repo, files)
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "initial")
        return repo

    return factory
