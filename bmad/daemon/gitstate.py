"""The daemon's view of a repository: a cheap change fingerprint and what to mine.

``fingerprint`` only calls ``stat``: the watcher runs it every few seconds per repository.
pygit2 is imported inside the functions that need it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from bmad.errors import BmadError

MODE_SYMLINK = 0o120000
MODE_GITLINK = 0o160000


@dataclass(frozen=True, slots=True)
class IndexedFile:
    path: str
    blob_id: str
    language: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    head_commit: str | None  # None while HEAD is unborn (no commit yet)
    files: tuple[IndexedFile, ...]  # supported files as staged in the index


def _stat_key(path: Path) -> tuple[str, int, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (str(path), -1, -1, -1)
    return (str(path), info.st_mtime_ns, info.st_size, info.st_ino)


def _ref_files(refs_dir: Path) -> list[Path]:
    found: list[Path] = []
    stack = [refs_dir]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                found.append(Path(entry.path))
    return found


def fingerprint(work_tree: Path, git_dir: Path, common_dir: Path) -> str | None:
    """Changes whenever HEAD, a branch or tag, or the index changes; None if the work tree
    or its git directory is gone."""
    if not work_tree.is_dir() or not (git_dir / "HEAD").is_file():
        return None
    watched = [git_dir / "HEAD", git_dir / "index", common_dir / "packed-refs"]
    watched += _ref_files(common_dir / "refs" / "heads")
    watched += _ref_files(common_dir / "refs" / "tags")
    digest = hashlib.blake2b(digest_size=16)
    for key in sorted(_stat_key(path) for path in watched):
        digest.update(repr(key).encode())
    return digest.hexdigest()


def snapshot(work_tree: Path) -> Snapshot:
    """HEAD's commit id and the supported files of the index (staged content)."""
    import pygit2

    from bmad.extractors.languages import language_for_path

    try:
        repository = pygit2.Repository(str(work_tree))
        head = None if repository.head_is_unborn else str(repository.head.target)
        files: dict[str, IndexedFile] = {}
        for entry in repository.index:
            if entry.mode in (MODE_SYMLINK, MODE_GITLINK) or entry.path in files:
                continue
            language = language_for_path(entry.path)
            if language is not None:
                files[entry.path] = IndexedFile(entry.path, str(entry.id), language)
    except pygit2.GitError as exc:
        raise BmadError(f"cannot read the repository at {work_tree}: {exc}") from exc
    return Snapshot(head, tuple(files[path] for path in sorted(files)))


def head_commit(work_tree: Path) -> str | None:
    """HEAD's commit id; None while HEAD is unborn or when the repository cannot be read."""
    import pygit2

    try:
        repository = pygit2.Repository(str(work_tree))
        return None if repository.head_is_unborn else str(repository.head.target)
    except pygit2.GitError:
        return None


def read_blobs(work_tree: Path, blob_ids: list[str]) -> dict[str, bytes]:
    """The bytes of each blob that the object database holds."""
    import pygit2

    repository = pygit2.Repository(str(work_tree))
    found: dict[str, bytes] = {}
    for blob_id in blob_ids:
        try:
            blob = repository[blob_id]
        except (KeyError, ValueError):
            continue
        if isinstance(blob, pygit2.Blob):
            found[blob_id] = bytes(blob.data)
    return found
