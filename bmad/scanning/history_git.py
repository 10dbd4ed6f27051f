"""All of history mining's git access (pygit2): open, resolve, walk, and diff commits.

pygit2 is imported inside the functions so that importing this module stays cheap.

Speed: per commit one tree-to-tree diff with no context lines; the per-file line counts come
from each patch's ``line_stats`` (``Diff.stats`` only has totals). Strict hash verification
of every object read is switched off for the mining process: it cost ~25% of the time, and
the objects are only read. Large walks are split over worker processes (2 cores gave ~1.5x).
With rename following a merge is also diffed against its other parents (names only, rename
detection only when a diff both adds and deletes files), for the renames a branch brings in.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.config import require_int
from bmad.errors import BmadError
from bmad.extractors.history import CommitRecord, FileChange, MergeRename

if TYPE_CHECKING:
    import pygit2

CHUNK_SIZE = 100


@dataclass(frozen=True, slots=True)
class RepositoryInfo:
    git_dir: str  # resolved path of the repository's git directory: the store's key
    work_tree: str | None
    bare: bool
    shallow: bool
    head_detached: bool
    head_unborn: bool  # empty repository or HEAD naming a branch with no commit yet
    head: str  # what HEAD points at: a branch name, "(detached)" or "(unborn <name>)"

    def notes(self) -> list[str]:
        found = []
        if self.shallow:
            found.append(
                "shallow clone: history stops at the grafted commits, whose changes are not counted"
            )
        if self.head_detached:
            found.append("HEAD is detached: mining the history of the checked-out commit")
        if self.head_unborn:
            found.append(f"no commits yet on {self.head}")
        return found


@dataclass(frozen=True, slots=True)
class MiningSettings:
    follow_renames: bool = True
    max_files_per_commit: int = 5_000  # beyond this, files count as revisions without lines
    jobs: int = 0  # worker processes; 0: one per CPU
    parallel_from: int = 400  # fewer commits are read in this process (a pool costs ~0.2 s)

    @classmethod
    def from_settings(
        cls, history: Mapping[str, Any], follow_renames: bool = True
    ) -> MiningSettings:
        """From a ``[history]`` settings section (wrong types or ranges are configuration
        errors)."""
        return cls(
            follow_renames=follow_renames,
            max_files_per_commit=require_int("history", history, "max_files_per_commit", 1),
            jobs=require_int("history", history, "jobs", 0),
        )


def open_repository(path: Path) -> pygit2.Repository:
    """The repository at or above ``path``; exit code 2 when there is none."""
    import pygit2

    if not path.exists():
        raise BmadError(f"{path}: no such file or directory")
    try:
        location = pygit2.discover_repository(str(path))
    except pygit2.GitError as exc:
        raise BmadError(f"{path}: not a git repository ({exc})") from exc
    if location is None:
        raise BmadError(f"{path}: not a git repository")
    try:
        return pygit2.Repository(location)
    except pygit2.GitError as exc:
        raise BmadError(f"{path}: cannot open the git repository: {exc}") from exc


def describe(repository: pygit2.Repository) -> RepositoryInfo:
    import pygit2

    detached = unborn = False
    try:
        unborn = repository.head_is_unborn
        detached = repository.head_is_detached
        head_ref = repository.references.get("HEAD")
        target = head_ref.target if head_ref is not None else "HEAD"
        name = str(target).removeprefix("refs/heads/") if isinstance(target, str) else "HEAD"
    except pygit2.GitError:
        unborn, name = True, "HEAD"
    if detached:
        head = "(detached)"
    elif unborn:
        head = f"(unborn {name})"
    else:
        head = name
    return RepositoryInfo(
        git_dir=str(Path(repository.path).resolve()),
        work_tree=None if repository.workdir is None else str(Path(repository.workdir).resolve()),
        bare=repository.is_bare,
        shallow=repository.is_shallow,
        head_detached=detached,
        head_unborn=unborn,
        head=head,
    )


def resolve_tip(repository: pygit2.Repository, rev: str | None) -> str | None:
    """The commit id to mine from: ``rev`` or HEAD. None when HEAD has no commit yet."""
    import pygit2

    if rev is None:
        if repository.head_is_unborn:
            return None
        rev = "HEAD"
    try:
        commit = repository.revparse_single(rev).peel(pygit2.Commit)
    except KeyError as exc:  # its text is only the revision again
        raise BmadError(f"{rev!r} does not name a commit in this repository") from exc
    except (ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise BmadError(f"{rev!r} does not name a commit in this repository: {exc}") from exc
    return str(commit.id)


def is_ancestor(repository: pygit2.Repository, ancestor: str, descendant: str) -> bool:
    """True when ``ancestor`` is still in ``descendant``'s history (False if it is gone)."""
    import pygit2

    if ancestor == descendant:
        return True
    try:
        repository[ancestor]
        return bool(repository.descendant_of(descendant, ancestor))
    except (KeyError, ValueError, pygit2.GitError):
        return False


def tree_paths(repository: pygit2.Repository, commit_id: str) -> frozenset[str]:
    """Every path in the commit's tree as diffs name them (files, symlinks, submodules)."""
    import pygit2

    index = pygit2.Index()
    try:
        index.read_tree(repository[commit_id].peel(pygit2.Tree))
    except (KeyError, pygit2.GitError) as exc:
        raise BmadError(f"cannot read the tree of {commit_id[:12]}: {exc}") from exc
    return frozenset(entry.path for entry in index)


def grafted_commits(repository: pygit2.Repository) -> frozenset[str]:
    """Commits whose parents a shallow clone cut off (listed in ``.git/shallow``)."""
    if not repository.is_shallow:
        return frozenset()
    try:
        text = (Path(repository.path) / "shallow").read_text(encoding="ascii")
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def commits_between(repository: pygit2.Repository, tip: str, hide: str | None) -> list[str]:
    """Ids of the commits reachable from ``tip`` but not from ``hide``, parents first."""
    import pygit2
    from pygit2.enums import SortMode

    walker = repository.walk(tip, SortMode.TOPOLOGICAL | SortMode.REVERSE)
    if hide is not None:
        walker.hide(hide)
    ids: list[str] = []
    try:
        for commit in walker:
            ids.append(str(commit.id))
    except pygit2.GitError as exc:
        raise BmadError(f"cannot walk the history from {tip[:12]}: {exc}") from exc
    return ids


def read_commits(
    git_dir: str, ids: Sequence[str], settings: MiningSettings, grafted: frozenset[str]
) -> Iterator[CommitRecord]:
    """One :class:`CommitRecord` per id, in the given order."""
    jobs = settings.jobs if settings.jobs > 0 else (os.cpu_count() or 1)
    bare = not _work_tree_sets_diff_attributes(git_dir)
    if jobs < 2 or len(ids) < settings.parallel_from:
        reader = _Reader(git_dir, settings, grafted, bare)
        for commit_id in ids:
            yield reader.read(commit_id)
        return
    chunks = [list(ids[i : i + CHUNK_SIZE]) for i in range(0, len(ids), CHUNK_SIZE)]
    with _pool_context().Pool(
        jobs, initializer=_init_worker, initargs=(git_dir, settings, grafted, bare)
    ) as pool:
        for records in pool.imap(_read_chunk, chunks):
            yield from records


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork when this process runs no other thread (the CLI): a forked worker starts at once,
    with pygit2 already loaded, where a spawned one first spends ~0.25 s CPU starting Python
    and importing it. spawn otherwise (the daemon runs threads, whose locks a fork could copy
    held), and off Linux."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _work_tree_sets_diff_attributes(git_dir: str) -> bool:
    """Whether a ``.gitattributes`` of the work tree or the index mentions ``diff`` or
    ``binary``, which would change what counts as a binary file (as for ``git log``).

    When none does, the diffs are read through a bare view of the repository: libgit2 then
    skips the per-file attribute lookups in the work tree (a stat and a realpath for every
    changed file, ~30% of the diff time), and the line counts are the same. An untracked
    ``.gitattributes`` below the top folder is not looked at."""
    import pygit2

    repository = pygit2.Repository(git_dir)
    if repository.workdir is None:
        return False
    paths = {".gitattributes"}
    texts: list[bytes] = []
    try:
        for entry in repository.index:
            if entry.path.rsplit("/", 1)[-1] == ".gitattributes":
                paths.add(entry.path)
                texts.append(repository[entry.id].read_raw())
    except (KeyError, pygit2.GitError):
        return True
    for path in paths:
        with contextlib.suppress(OSError):
            texts.append((Path(repository.workdir) / path).read_bytes())
    return any(b"diff" in text or b"binary" in text for text in texts)


_worker: _Reader | None = None


def _init_worker(
    git_dir: str, settings: MiningSettings, grafted: frozenset[str], bare: bool
) -> None:
    global _worker  # noqa: PLW0603 - one reader per worker process
    _worker = _Reader(git_dir, settings, grafted, bare)


def _read_chunk(ids: list[str]) -> list[CommitRecord]:
    assert _worker is not None
    return [_worker.read(commit_id) for commit_id in ids]


class _Reader:
    def __init__(
        self, git_dir: str, settings: MiningSettings, grafted: frozenset[str], bare: bool
    ) -> None:
        import pygit2
        from pygit2.enums import RepositoryOpenFlag

        pygit2.settings.enable_strict_hash_verification(False)
        repository = pygit2.Repository(git_dir)
        self.settings = settings
        self.grafted = grafted
        try:
            # from the repository as it is (work tree .mailmap), before any bare view
            self.mailmap: pygit2.Mailmap | None = pygit2.Mailmap.from_repository(repository)
        except pygit2.GitError:
            self.mailmap = None
        self.repository = (
            pygit2.Repository(git_dir, RepositoryOpenFlag.BARE) if bare else repository
        )

    def read(self, commit_id: str) -> CommitRecord:
        import pygit2

        commit = self.repository[commit_id]
        assert isinstance(commit, pygit2.Commit)
        name, email, when = self._author(commit)
        parents = tuple(str(parent) for parent in commit.parent_ids)
        changes: tuple[FileChange, ...] = ()
        renames: tuple[MergeRename, ...] = ()
        if commit_id in self.grafted:
            note = "shallow clone boundary: parents missing, changes not counted"
        else:
            try:
                if len(parents) > 1:
                    (changes, renames), note = self._merge_changes(commit), ""
                else:
                    changes, note = self._diff_changes(commit)
            except (KeyError, pygit2.GitError) as exc:
                changes, note = (), f"missing objects, changes not counted ({exc})"
        return CommitRecord(
            id=commit_id,
            parents=parents,
            author_name=name,
            author_email=email,
            author_time=when,
            subject=commit.raw_message.split(b"\n", 1)[0].decode(errors="replace").strip(),
            changes=changes,
            note=note,
            merge_renames=renames,
        )

    def _author(self, commit: pygit2.Commit) -> tuple[str, str, int]:
        """Mailmapped author; libgit2 refuses signatures with an empty name or e-mail
        (``Name <> 1618252420 -0700`` exists in real histories), so those are read raw."""
        import pygit2

        try:
            author = commit.author
            name, email, when = author.name, author.email, author.time
        except pygit2.GitError:
            name, email, when = _raw_author(self.repository.odb.read(commit.id)[1])
        if self.mailmap is not None:
            # no mapping applies to a signature libgit2 cannot represent
            with contextlib.suppress(pygit2.GitError):
                name, email = self.mailmap.resolve(name, email)
        return name, email, when

    def _merge_changes(
        self, commit: pygit2.Commit
    ) -> tuple[tuple[FileChange, ...], tuple[MergeRename, ...]]:
        """Files the merge changed against every parent: its own work, without churn; and,
        with rename following, its renames against each parent.

        For the changes, one tree diff against the first parent; the other parents are asked
        only about the paths it found (an entry lookup each), not diffed whole."""
        tree = commit.tree
        parents = commit.parents
        follow = self.settings.follow_renames
        keeps_a_parent = any(parent.tree_id == commit.tree_id for parent in parents)
        if keeps_a_parent and not follow:
            return (), ()
        diffs = [parent.tree.diff_to_tree(tree) for parent in (parents if follow else parents[:1])]
        changed: set[str] = set()
        if not keeps_a_parent:
            changed = {delta.new_file.path for delta in diffs[0].deltas}
            for parent in parents[1:]:
                other = parent.tree
                changed = {path for path in changed if _entry(tree, path) != _entry(other, path)}
        changes = tuple(FileChange(path, "M") for path in sorted(changed))
        if not follow:
            return changes, ()
        return changes, tuple(
            rename for index, diff in enumerate(diffs) for rename in _renames(diff, index)
        )

    def _diff_changes(self, commit: pygit2.Commit) -> tuple[tuple[FileChange, ...], str]:
        if commit.parents:
            diff = commit.parents[0].tree.diff_to_tree(commit.tree, context_lines=0)
        else:
            diff = commit.tree.diff_to_tree(swap=True, context_lines=0)
        if self.settings.follow_renames:
            diff.find_similar()
        if len(diff) > self.settings.max_files_per_commit:
            changes = tuple(_change(delta, 0, 0) for delta in diff.deltas)
            note = (
                f"{len(changes)} files changed (more than "
                f"{self.settings.max_files_per_commit}): line counts not computed"
            )
            return changes, note
        found = []
        for patch in diff:
            if patch is None:
                continue
            _, added, deleted = patch.line_stats
            found.append(_change(patch.delta, added, deleted))
        return tuple(found), ""


_AUTHOR_LINE = re.compile(rb"^author (.*?) ?<([^>]*)> (\d+)", re.MULTILINE)


def _raw_author(raw: bytes) -> tuple[str, str, int]:
    header = raw.split(b"\n\n", 1)[0]
    found = _AUTHOR_LINE.search(header)
    if found is None:
        return "", "", 0
    name, email, when = found.groups()
    return name.decode(errors="replace"), email.decode(errors="replace"), int(when)


def _renames(diff: pygit2.Diff, parent: int) -> list[MergeRename]:
    """The renames in a merge's diff against one parent (rename detection runs only when the
    diff both adds and deletes files: on most merges it does not)."""
    statuses = {delta.status_char() for delta in diff.deltas}
    if not {"A", "D"} <= statuses:
        return []
    diff.find_similar()
    return [
        MergeRename(parent, delta.old_file.path, delta.new_file.path)
        for delta in diff.deltas
        if delta.status_char() == "R"
    ]


def _entry(tree: pygit2.Tree, path: str) -> tuple[pygit2.Oid, int] | None:
    """What a tree holds at ``path`` as a diff compares it: object id and file mode."""
    try:
        found = tree[path]
    except KeyError:
        return None
    return found.id, found.filemode


def _change(delta: pygit2.DiffDelta, added: int, deleted: int) -> FileChange:
    status = delta.status_char()
    renamed = status in ("R", "C")
    return FileChange(
        path=delta.new_file.path if status != "D" else delta.old_file.path,
        status="R" if status == "R" else ("A" if status == "C" else status),
        added=added,
        deleted=deleted,
        old_path=delta.old_file.path if renamed and status == "R" else None,
        binary=bool(delta.is_binary),
    )
