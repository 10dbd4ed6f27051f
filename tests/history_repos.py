"""Fixture git repositories with known histories, built with the git CLI.

Every commit gets fixed author and committer dates so numbers are reproducible.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

DAY = 86_400
# 2024-01-01T00:00:00Z: the fixture histories start here
EPOCH = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())

AUTHORS = {
    "alice": ("Alice Doe", "alice@example.com"),
    "bob": ("Bob Roe", "bob@example.com"),
    "bobby": ("bobby", "Bob@Old.example.com"),  # Bob's old identity, mapped by .mailmap
    "carol": ("Carol Poe", "carol@example.com"),
    "dave": ("Dave Hoe", "dave@example.com"),
}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**_base_env(), **(env or {})},
    )
    return completed.stdout


def _base_env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR", "LANG")}
    return {
        **keep,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Fixture",
        "GIT_AUTHOR_EMAIL": "fixture@example.com",
        "GIT_COMMITTER_NAME": "Fixture",
        "GIT_COMMITTER_EMAIL": "fixture@example.com",
    }


@dataclass
class RepoBuilder:
    path: Path
    day: int = 0
    ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, path: Path, bare: bool = False) -> RepoBuilder:
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "-q", "-b", "main", *(["--bare"] if bare else []), str(path)],
            check=True,
            env=_base_env(),
        )
        return cls(path)

    def write(self, relative: str, text: str | bytes) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)

    def lines(self, relative: str, count: int, tag: str = "line") -> None:
        self.write(relative, "".join(f"{tag} {i}\n" for i in range(count)))

    def commit(self, author: str, subject: str, label: str = "", days: int = 1) -> str:
        self.day += days
        name, email = AUTHORS[author]
        stamp = f"{EPOCH + self.day * DAY} +0000"
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", subject, env=env)
        commit_id = git(self.path, "rev-parse", "HEAD").strip()
        if label:
            self.ids[label] = commit_id
        return commit_id

    def merge(self, author: str, branch: str, subject: str, label: str = "") -> str:
        self.day += 1
        name, email = AUTHORS[author]
        stamp = f"{EPOCH + self.day * DAY} +0000"
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        git(self.path, "merge", "-q", "--no-ff", "-m", subject, branch, env=env)
        commit_id = git(self.path, "rev-parse", "HEAD").strip()
        if label:
            self.ids[label] = commit_id
        return commit_id

    def time_of(self, day: int) -> int:
        return EPOCH + day * DAY


def numstat(repo: Path, *extra: str) -> dict[str, list[tuple[str, int, int]]]:
    """``git log --numstat`` parsed: commit id -> [(path, added, deleted)] (binary as 0, 0)."""
    out = git(repo, "log", "--numstat", "--format=@%H", *extra)
    result: dict[str, list[tuple[str, int, int]]] = {}
    current = ""
    for line in out.splitlines():
        if line.startswith("@"):
            current = line[1:]
            result[current] = []
        elif line.strip():
            added, deleted, path = line.split("\t", 2)
            result[current].append(
                (path, 0 if added == "-" else int(added), 0 if deleted == "-" else int(deleted))
            )
    return result


def build_team_repo(path: Path) -> RepoBuilder:
    """The main fixture: four people, a .mailmap, a rename, a merge, a revert, co-changes,
    a binary file, and an author (dave) who stopped a year before the end."""
    repo = RepoBuilder.create(path)
    repo.write(".mailmap", "Bob Roe <bob@example.com> bobby <Bob@Old.example.com>\n")
    repo.lines("core.py", 10, "core")
    repo.lines("legacy.c", 40, "legacy")
    repo.commit("dave", "Initial import", "root")
    repo.lines("legacy.c", 44, "legacy")
    repo.commit("dave", "Extend legacy", "legacy2")
    repo.day += 400  # dave leaves
    for i in range(6):
        repo.lines("core.py", 10 + 2 * (i + 1), "core")
        repo.lines("util.py", 3 * (i + 1), "util")
        subject = "Fix bug in core" if i % 2 else "Grow core and util"
        repo.commit("alice" if i < 4 else "bobby", subject, f"pair{i}")
    repo.lines("solo.py", 20, "solo")
    repo.commit("carol", "Add solo", "solo")
    repo.lines("solo.py", 25, "solo")
    repo.commit("carol", "Patch solo", "solo2")
    git(repo.path, "mv", "util.py", "helpers.py")
    repo.commit("bob", "Rename util to helpers", "rename")
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    repo.commit("alice", "Add logo", "binary")
    git(repo.path, "checkout", "-q", "-b", "topic")
    repo.lines("helpers.py", 30, "util")
    repo.commit("bob", "Topic: grow helpers", "topic1")
    git(repo.path, "checkout", "-q", "main")
    repo.lines("core.py", 30, "core")
    repo.commit("alice", "Main: grow core", "main1")
    repo.merge("alice", "topic", "Merge branch topic", "merge")
    repo.lines("core.py", 31, "core")
    repo.commit("alice", "Oops", "oops")
    repo.lines("core.py", 30, "core")
    repo.commit("carol", 'Revert "Oops"', "revert")
    return repo
