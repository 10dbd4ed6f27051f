"""Every test runs with its own BMAD_HOME so no test reads or writes the real user folders."""

from __future__ import annotations

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
