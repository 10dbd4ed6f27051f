"""All of the scan pipeline's git access: finding work trees and listing their files.

pygit2 is imported inside the functions so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from bmad.errors import BmadError

if TYPE_CHECKING:
    import pygit2

MODE_SYMLINK = 0o120000
MODE_GITLINK = 0o160000  # a submodule's commit


@dataclass(frozen=True, slots=True)
class TreeFile:
    path: str  # posix path relative to the work-tree root
    mode: int
    blob_id: str | None  # None for untracked files
    # For index entries: git's own stat check says the work-tree file still has these bytes.
    matches_work_tree: bool = False


def find_work_tree(path: Path) -> pygit2.Repository | None:
    """The non-bare repository whose work tree holds ``path``; None outside git, and None when
    that repository ignores ``path`` (a virtualenv or an installed tree inside a clone is a
    plain folder, not part of the repository)."""
    import pygit2

    start = path if path.is_dir() else path.parent
    try:
        location = pygit2.discover_repository(str(start))
        if location is None:
            return None
        repository = pygit2.Repository(location)
        if repository.is_bare or repository.workdir is None:
            return None
        relative = path.resolve().relative_to(Path(repository.workdir).resolve()).as_posix()
        if relative != "." and repository.path_is_ignored(relative):
            return None
    except (pygit2.GitError, ValueError):
        return None
    return repository


def open_repository(path: Path) -> pygit2.Repository:
    """The repository at or above ``path``; a clear usage error when there is none."""
    import pygit2

    if not path.exists():
        raise BmadError(f"{path}: no such file or directory")
    try:
        location = pygit2.discover_repository(str(path))
        if location is None:
            raise BmadError(f"{path}: not a git repository")
        return pygit2.Repository(location)
    except pygit2.GitError as exc:
        raise BmadError(f"{path}: cannot open the git repository: {exc}") from exc


def work_tree_root(repository: pygit2.Repository) -> Path:
    assert repository.workdir is not None
    return Path(repository.workdir).resolve()


def work_tree_files(repository: pygit2.Repository, under: str = "") -> Iterator[TreeFile]:
    """Tracked files (from the index) and untracked files that .gitignore does not exclude.

    ``under`` limits the listing to a folder, given relative to the work-tree root.
    """
    import pygit2

    status = pygit2.enums.FileStatus
    changed_in_work_tree = (
        status.WT_MODIFIED | status.WT_DELETED | status.WT_TYPECHANGE | status.WT_RENAMED
    ) | status.CONFLICTED
    prefix = f"{under.rstrip('/')}/" if under else ""
    try:
        statuses = repository.status(untracked_files="all", ignored=False)
        index = repository.index
        for entry in index:
            if entry.path.startswith(prefix):
                unchanged = not statuses.get(entry.path, 0) & changed_in_work_tree
                yield TreeFile(entry.path, entry.mode, str(entry.id), unchanged)
    except pygit2.GitError as exc:
        raise BmadError(f"cannot read the git index of {repository.workdir}: {exc}") from exc
    for path, flags in sorted(statuses.items()):
        if flags & status.WT_NEW and path.startswith(prefix):
            yield TreeFile(path, 0, None)


def commit_tree_files(repository: pygit2.Repository, revision: str) -> Iterator[TreeFile]:
    """Every blob in the tree of ``revision`` (a commit id, branch or tag)."""
    import pygit2

    try:
        commit = repository.revparse_single(revision).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError) as exc:
        raise BmadError(f"unknown revision {revision!r}") from exc
    stack: list[tuple[PurePosixPath, pygit2.Tree]] = [(PurePosixPath(), commit.tree)]
    while stack:
        base, tree = stack.pop()
        for item in tree:
            name = item.name or ""
            if item.filemode == pygit2.enums.FileMode.TREE:
                stack.append((base / name, repository[item.id].peel(pygit2.Tree)))
            else:
                yield TreeFile(str(base / name), int(item.filemode), str(item.id))


def read_blob(repository: pygit2.Repository, blob_id: str) -> bytes:
    import pygit2

    try:
        blob = repository[blob_id]
    except (KeyError, ValueError) as exc:
        raise BmadError(f"missing git object {blob_id}") from exc
    if not isinstance(blob, pygit2.Blob):
        raise BmadError(f"git object {blob_id} is not a blob")
    return bytes(blob.data)


def blob_id_of(data: bytes) -> str:
    """The git blob id of ``data``: equal to the index's id when the file is unchanged."""
    import pygit2

    return str(pygit2.hash(data))
