"""``bmad hooks install|uninstall`` outside a repository name the folder they looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_a_folder_outside_git_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "not-a-repo"
    folder.mkdir()

    result = CliRunner().invoke(cli, ["hooks", action, str(folder)])

    assert result.exit_code == 2
    assert result.stderr.startswith(f"bmad: error: {folder}: git rev-parse: ")
    assert "not a git repository" in result.stderr
