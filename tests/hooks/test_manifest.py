"""The pre-commit framework accepts .pre-commit-hooks.yaml (its own validator and loader)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
CANDIDATES = (
    Path(sys.executable).parent / "pre-commit",
    ROOT / "bench" / "_work" / "precommit-venv" / "bin" / "pre-commit",
)


def pre_commit() -> Path:
    for candidate in CANDIDATES:
        if candidate.exists():
            return candidate
    pytest.skip("pre-commit is not installed (add `pre-commit>=3` to the test extra)")


def test_manifest_validates() -> None:
    completed = subprocess.run(
        [str(pre_commit()), "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_manifest_declares_the_hook_as_specified() -> None:
    python = pre_commit().parent / "python"
    script = (
        "import json, sys\n"
        "from pre_commit.clientlib import load_manifest\n"
        "print(json.dumps(load_manifest(sys.argv[1])))\n"
    )
    output = subprocess.run(
        [str(python), "-c", script, str(MANIFEST)], capture_output=True, text=True, check=True
    ).stdout
    (hook,) = json.loads(output)
    assert hook["id"] == "bmad-anti-patterns"
    assert hook["language"] == "python"
    assert hook["entry"] == "bmad hook pre-commit"
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True
    assert hook["verbose"] is True
