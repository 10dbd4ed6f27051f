"""Helpers: run git and bmad as separate processes, the way git runs the hooks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gitrepo import GIT_ENV, write_files

BAD_FUNCTION = """def parse_args(argv, a, b, c, d):
    for x in argv:
        if x:
            while a:
                if b:
                    for y in c:
                        if y:
                            return 1
    return 0
"""
GOOD_FUNCTION = """def parse_args(argv):
    if argv:
        return 1
    return 0
"""


def functions(count: int, prefix: str = "f") -> str:
    """``count`` one-line Python functions (cognitive complexity 0 each)."""
    return "".join(
        f"def {prefix}{index}(x):\n    return x + {index}\n\n\n" for index in range(count)
    )


def hook_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **GIT_ENV, **extra}
    env.pop("BMAD_SKIP", None)
    env.update(extra)
    return env


def run(
    cwd: Path, *args: str, check: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        list(args), cwd=cwd, env=hook_env(**extra), capture_output=True, text=True, check=False
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"{args} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    return completed


def git(
    cwd: Path, *args: str, check: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    return run(cwd, "git", *args, check=check, **extra)


def bmad(
    cwd: Path, *args: str, check: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    return run(cwd, sys.executable, "-m", "bmad", *args, check=check, **extra)


def head(repo: Path) -> str | None:
    completed = git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False)
    return completed.stdout.strip() or None


write = write_files  # the name the hook tests use


def make_repo(repo: Path, files: dict[str, str] | None = None) -> Path:
    """A repository at ``repo``, with one commit of ``files`` when given."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    if files:
        write(repo, dict(files))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "initial")
    return repo
