"""Where bmad keeps its files: bmad's own variables first, then platformdirs (XDG here)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bmad import dirs


def test_bmad_home_holds_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMAD_HOME", str(tmp_path))
    assert dirs.cache_dir() == tmp_path / "cache"
    assert dirs.runtime_dir() == tmp_path / "run"
    monkeypatch.setenv("BMAD_DATA_DIR", str(tmp_path / "elsewhere"))
    assert dirs.data_dir() == tmp_path / "elsewhere"


def test_without_bmad_variables_the_platform_folders_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BMAD_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    assert dirs.cache_dir() == tmp_path / "cache" / "bmad"
    assert dirs.runtime_dir() == tmp_path / "run" / "bmad"


def test_no_warning_without_xdg_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BMAD_HOME")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dirs.runtime_dir().is_absolute()
