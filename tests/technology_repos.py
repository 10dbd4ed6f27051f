"""A real git repository whose history adds, removes and replaces technologies on known dates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitrepo import GIT_ENV, write_files

# (date, subject, files to write, files to delete)
HISTORY: tuple[tuple[str, str, dict[str, str], tuple[str, ...]], ...] = (
    (
        "2023-01-10T12:00:00Z",
        "start with requests and travis",
        {
            "app/main.py": "import requests\n",
            "requirements.txt": "requests==2.31\nclick\n",
            ".travis.yml": "language: python\n",
            "setup.cfg": "[flake8]\nmax-line-length = 100\n",
        },
        (),
    ),
    (
        "2023-02-01T12:00:00Z",
        "try celery",
        {"requirements.txt": "requests==2.31\nclick\ncelery\n"},
        (),
    ),
    (
        "2023-03-01T12:00:00Z",
        "replace requests with httpx, drop celery again",
        {"requirements.txt": "httpx\nclick\n"},
        (),
    ),
    (
        "2023-06-15T12:00:00Z",
        "move CI to GitHub Actions",
        {".github/workflows/ci.yml": "on: push\n"},
        (".travis.yml",),
    ),
    (
        "2023-07-01T12:00:00Z",
        "lint with ruff via pre-commit",
        {
            ".pre-commit-config.yaml": "repos:\n- repo: r\n  hooks:\n  - id: ruff\n",
            "setup.cfg": "[metadata]\nname = app\n",
        },
        (),
    ),
    (
        "2024-02-01T12:00:00Z",
        "add a TypeScript front end",
        {
            "web/index.ts": "export const x = 1;\n",
            "package.json": '{"devDependencies": {"eslint": "9"}}',
        },
        (),
    ),
)


def dated_commit(root: Path, when: str, subject: str) -> None:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    for args in (["add", "-A"], ["commit", "-q", "-m", subject]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def technology_repo(root: Path, steps: int = len(HISTORY)) -> Path:
    """The first ``steps`` commits of ``HISTORY`` in a new repository at ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "init", "-q", "-b", "main"], cwd=root, env={**os.environ, **GIT_ENV}, check=True
    )
    for when, subject, files, deleted in HISTORY[:steps]:
        write_files(root, dict(files))
        for path in deleted:
            (root / path).unlink()
        dated_commit(root, when, subject)
    return root
