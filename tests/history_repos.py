"""Fixture git repositories with known histories, built with the git CLI.

Every commit gets fixed author and committer dates so numbers are reproducible.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
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


PATH_POOL = ("a.txt", "b.txt", "c.txt", "lib/d.txt", "lib/e.txt")


@dataclass(frozen=True)
class Operation:
    """One step of a generated history. ``kind``: ``change`` (add the path, or change it,
    or with ``flag`` delete it), ``rename`` (path to ``other``), ``branch`` (a new branch
    from the current one, then a change there), ``switch`` (to branch ``other``), ``merge``
    (branch ``other`` into the current one; ``flag`` chooses, bit by bit over the paths,
    whether a one-sided path stays, and for a path the sides hold in two versions, which
    one the merge takes or whether it resolves them into a third)."""

    kind: str
    path: int
    other: int
    flag: int


@dataclass
class _Branch:
    head: str
    files: dict[str, bytes]


@dataclass
class DagBuilder:
    """Writes commits straight into the object database with pygit2 (no work tree, no
    subprocess): a generated history of dozens of commits takes milliseconds."""

    path: Path
    branches: dict[str, _Branch] = field(default_factory=dict)
    current: str = "main"
    created: int = 0  # file contents made so far: each new file's lines are unique
    commits: int = 0

    def __post_init__(self) -> None:
        import pygit2

        self.repository = pygit2.init_repository(str(self.path), initial_head="main")

    def _content(self) -> bytes:
        self.created += 1
        return "".join(f"file {self.created} line {n}\n" for n in range(6)).encode()

    def _commit(self, files: dict[str, bytes], parents: list[str], subject: str) -> str:
        import pygit2

        index = pygit2.Index()
        for name, data in files.items():
            blob = self.repository.create_blob(data)
            index.add(pygit2.IndexEntry(name, blob, pygit2.enums.FileMode.BLOB))
        tree = index.write_tree(self.repository)
        self.commits += 1
        name, email = AUTHORS["alice" if self.commits % 2 else "bob"]
        when = pygit2.Signature(name, email, EPOCH + self.commits * 3600, 0)
        commit = self.repository.create_commit(None, when, when, subject, tree, parents)
        return str(commit)

    def start(self) -> None:
        files = {PATH_POOL[0]: self._content(), PATH_POOL[3]: self._content()}
        self.branches["main"] = _Branch(self._commit(files, [], "start"), files)

    def apply(self, operation: Operation) -> None:
        branch = self.branches[self.current]
        names = sorted(self.branches)
        if operation.kind == "branch":
            name = f"b{len(self.branches)}"
            self.branches[name] = _Branch(branch.head, dict(branch.files))
            self.current = name
            self.apply(Operation("change", operation.path, 0, 0))
        elif operation.kind == "switch":
            self.current = names[operation.other % len(names)]
        elif operation.kind == "merge":
            self._merge(names[operation.other % len(names)], operation.flag)
        elif operation.kind == "rename":
            old, new = PATH_POOL[operation.path], PATH_POOL[operation.other]
            if old in branch.files and new not in branch.files:
                files = dict(branch.files)
                files[new] = files.pop(old)
                self._advance(files, f"rename {old} to {new}")
        else:
            files = dict(branch.files)
            path = PATH_POOL[operation.path]
            if path not in files:
                files[path] = self._content()
            elif operation.flag % 2 and len(files) > 1:
                del files[path]
            else:
                files[path] += f"change {self.commits}\n".encode()
            self._advance(files, f"change {path}")

    def _advance(self, files: dict[str, bytes], subject: str) -> None:
        branch = self.branches[self.current]
        branch.head = self._commit(files, [branch.head], subject)
        branch.files = files

    def _merge(self, other_name: str, flag: int) -> None:
        ours, theirs = self.branches[self.current], self.branches[other_name]
        if other_name == self.current or ours.head == theirs.head:
            return
        files: dict[str, bytes] = {}
        for bit, path in enumerate(sorted(set(ours.files) | set(theirs.files))):
            mine, other = ours.files.get(path), theirs.files.get(path)
            if mine is None or other is None:
                chosen = (mine or other) if flag >> (bit + 8) & 1 else None
            elif mine == other:
                chosen = mine
            elif flag >> (bit + 16) & 1:
                chosen = mine + b"resolved\n"  # a resolution unlike either side
            else:
                chosen = other if flag >> bit & 1 else mine
            if chosen is not None:
                files[path] = chosen
        if not files:
            files = dict(ours.files)
        ours.head = self._commit(files, [ours.head, theirs.head], f"merge {other_name}")
        ours.files = files

    def finish(self) -> str:
        """Points the branches and HEAD (the current branch) at their commits; HEAD's id."""
        for name, branch in self.branches.items():
            self.repository.references.create(f"refs/heads/{name}", branch.head, force=True)
        self.repository.set_head(f"refs/heads/{self.current}")
        return self.branches[self.current].head


def build_dag(path: Path, operations: list[Operation]) -> DagBuilder:
    dag = DagBuilder(path)
    dag.start()
    for operation in operations:
        dag.apply(operation)
    dag.finish()
    return dag


def build_branchy_repo(path: Path, on_step: Callable[[], None] = lambda: None) -> RepoBuilder:
    """Parallel branches that delete, re-create, rename and change the same paths, then merge
    (``on_step`` runs after every commit, e.g. to mine incrementally as the history grows):

    - cleanup deletes notes.txt and gone.txt; feature changes notes.txt and renames app.txt
      to core/app.txt while main changes app.txt and gone.txt;
    - main deletes old.txt and makes it again;
    - main merges cleanup (notes.txt and gone.txt go), then feature: notes.txt comes back
      with feature's change (a modify/delete conflict resolved by keeping it), app.txt's
      change on main follows the rename into core/app.txt; gone.txt stays deleted.
    """
    repo = RepoBuilder.create(path)
    repo.lines("app.txt", 12, "app")
    repo.lines("notes.txt", 6, "notes")
    repo.lines("old.txt", 5, "old")
    repo.lines("gone.txt", 4, "gone")
    repo.commit("alice", "Start", "root")
    on_step()
    git(repo.path, "checkout", "-q", "-b", "cleanup")
    (repo.path / "notes.txt").unlink()
    (repo.path / "gone.txt").unlink()
    repo.commit("bob", "Drop notes and gone", "cleanup")
    on_step()
    git(repo.path, "checkout", "-q", "-b", "feature", "main")
    repo.lines("notes.txt", 8, "notes")
    repo.commit("carol", "More notes", "feature1")
    on_step()
    (repo.path / "core").mkdir()
    git(repo.path, "mv", "app.txt", "core/app.txt")
    repo.commit("carol", "Move app into core", "move")
    on_step()
    git(repo.path, "checkout", "-q", "main")
    repo.write("app.txt", "header\n" + "".join(f"app {i}\n" for i in range(12)))
    repo.lines("gone.txt", 6, "gone")
    repo.commit("alice", "Grow app and gone", "main1")
    on_step()
    (repo.path / "old.txt").unlink()
    repo.commit("bob", "Drop old", "drop_old")
    on_step()
    repo.lines("old.txt", 3, "fresh")
    repo.commit("bob", "Old again", "old_again")
    on_step()
    _merge_resolving(
        repo, "cleanup", "Merge cleanup", "merge_cleanup", keep=(), remove=("gone.txt",)
    )
    on_step()
    _merge_resolving(repo, "feature", "Merge feature", "merge_feature", keep=("notes.txt",))
    on_step()
    repo.write("core/app.txt", (repo.path / "core/app.txt").read_text() + "footer\n")
    repo.commit("alice", "Footer", "footer")
    on_step()
    return repo


def _merge_resolving(
    repo: RepoBuilder,
    branch: str,
    subject: str,
    label: str,
    keep: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
) -> None:
    """A merge whose conflicts are resolved by keeping or removing the named paths."""
    subprocess.run(
        ["git", "-C", str(repo.path), "merge", "-q", "--no-ff", "--no-commit", branch],
        capture_output=True,
        check=False,
        env=_base_env(),
    )
    for name in keep:
        git(repo.path, "add", name)
    for name in remove:
        git(repo.path, "rm", "-q", "--cached", "--ignore-unmatch", name)
        (repo.path / name).unlink(missing_ok=True)
    repo.commit("alice", subject, label)


def git_log_paths(repo: Path, path: str, *options: str) -> list[str]:
    """The commit ids ``git log --no-renames [options] -- path`` lists."""
    out = git(repo, "log", "--no-renames", "--format=%H", *options, "--", path)
    return out.split()


def revisions_by_git(repo: Path, path: str) -> int:
    """The revisions of ``path`` without rename following, from git alone: the non-merge
    commits ``git log --full-history`` lists, plus the merges whose entry at the path
    differs from every parent's (read from the trees)."""
    import pygit2

    repository = pygit2.Repository(str(repo))

    def entry(commit: pygit2.Commit) -> tuple[pygit2.Oid, int] | None:
        try:
            found = commit.tree[path]
        except KeyError:
            return None
        return found.id, found.filemode

    merges = [
        commit
        for commit in repository.walk(repository.head.target)
        if len(commit.parents) > 1
        and all(entry(commit) != entry(parent) for parent in commit.parents)
    ]
    return len(git_log_paths(repo, path, "--full-history", "--no-merges")) + len(merges)
