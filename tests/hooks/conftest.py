"""Fixtures: real repositories driven through the git CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hooks.hookrepo import make_repo


@pytest.fixture
def new_repo(tmp_path: Path) -> Callable[..., Path]:
    def factory(name: str = "repo", files: dict[str, str] | None = None) -> Path:
        return make_repo(tmp_path / name, files)

    return factory
