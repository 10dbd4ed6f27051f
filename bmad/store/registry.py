"""The repository registry and each repository's mining state, in the data store.

A registered repository is a work tree: a plain clone, a linked worktree (``git worktree
add``) or a submodule checkout. Its git directory (HEAD, index) and common directory (refs)
are recorded so the watcher can poll them with ``stat`` alone.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bmad.errors import BmadError
from bmad.store.connection import Store, data_store_path, open_store

COMPONENT = "daemon"
MIGRATIONS = [
    """
    CREATE TABLE repositories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL UNIQUE,
        git_dir TEXT NOT NULL,
        common_dir TEXT NOT NULL,
        added_at REAL NOT NULL
    );
    CREATE TABLE repository_state (
        repository_id INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
        target_commit TEXT,
        last_mined_commit TEXT,
        fingerprint TEXT,
        pending INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        error_count INTEGER NOT NULL DEFAULT 0,
        mined_at REAL
    );
    CREATE TABLE repository_files (
        repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        blob_id TEXT NOT NULL,
        language TEXT NOT NULL,
        functions INTEGER NOT NULL,
        error TEXT,
        PRIMARY KEY (repository_id, path)
    ) WITHOUT ROWID;
    """,
    """
    CREATE TABLE repository_architecture (
        repository_id INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
        input_key TEXT NOT NULL,
        mined_commit TEXT,
        modules INTEGER NOT NULL,
        edges INTEGER NOT NULL,
        cycles INTEGER NOT NULL,
        graph TEXT NOT NULL,
        computed_at REAL NOT NULL
    );
    """,
    """
    ALTER TABLE repository_state ADD COLUMN detected_commit TEXT;
    """,
]


@dataclass(frozen=True, slots=True)
class WorkTree:
    root: Path
    git_dir: Path  # HEAD and index live here (per worktree)
    common_dir: Path  # refs and packed-refs live here (shared by linked worktrees)


@dataclass(frozen=True, slots=True)
class Repository:
    id: int
    name: str
    path: str
    git_dir: str
    common_dir: str
    added_at: float


@dataclass(frozen=True, slots=True)
class RepositoryStatus:
    name: str
    path: str
    exists: bool
    last_mined_commit: str | None
    target_commit: str | None
    files: int
    functions: int
    pending: int
    last_error: str | None
    error_count: int
    mined_at: float | None
    modules: int = 0  # of the stored import graph
    cycles: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def open_registry(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


def locate_work_tree(path: Path) -> WorkTree:
    """The work tree containing ``path``; a usage error for anything that is not one."""
    import pygit2

    if not path.exists():
        raise BmadError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise BmadError(f"{path}: not a directory")
    try:
        location = pygit2.discover_repository(str(path.resolve()))
        if location is None:
            raise BmadError(f"{path}: not a git repository")
        repository = pygit2.Repository(location)
    except pygit2.GitError as exc:
        raise BmadError(f"{path}: cannot open the git repository: {exc}") from exc
    if repository.is_bare or repository.workdir is None:
        raise BmadError(f"{path}: a bare repository has no work tree to analyse")
    git_dir = Path(repository.path).resolve()
    commondir_file = git_dir / "commondir"
    common_dir = git_dir
    if commondir_file.is_file():
        common_dir = (git_dir / commondir_file.read_text().strip()).resolve()
    return WorkTree(Path(repository.workdir).resolve(), git_dir, common_dir)


def _row_to_repository(row: sqlite3.Row | tuple[Any, ...]) -> Repository:
    return Repository(
        id=int(row[0]),
        name=str(row[1]),
        path=str(row[2]),
        git_dir=str(row[3]),
        common_dir=str(row[4]),
        added_at=float(row[5]),
    )


_SELECT = "SELECT id, name, path, git_dir, common_dir, added_at FROM repositories"


def list_repositories(store: Store) -> list[Repository]:
    rows = store.connection.execute(f"{_SELECT} ORDER BY name").fetchall()
    return [_row_to_repository(row) for row in rows]


def get_repository(store: Store, repository_id: int) -> Repository | None:
    row = store.connection.execute(f"{_SELECT} WHERE id = ?", (repository_id,)).fetchone()
    return _row_to_repository(row) if row else None


def add_repository(store: Store, path: Path, name: str | None = None) -> tuple[Repository, bool]:
    """Register the work tree at ``path``; returns it and whether it was new."""
    work_tree = locate_work_tree(path)
    chosen = name if name is not None else work_tree.root.name
    if not chosen.strip() or "/" in chosen:
        raise BmadError(f"invalid repository name {chosen!r} (non-empty, no '/')")
    with store.transaction() as connection:
        existing = connection.execute(
            f"{_SELECT} WHERE path = ?", (str(work_tree.root),)
        ).fetchone()
        if existing is not None:
            return _row_to_repository(existing), False
        clash = connection.execute(
            "SELECT path FROM repositories WHERE name = ?", (chosen,)
        ).fetchone()
        if clash is not None:
            raise BmadError(
                f"the name {chosen!r} is already used by {clash[0]}; choose one with --name"
            )
        cursor = connection.execute(
            "INSERT INTO repositories (name, path, git_dir, common_dir, added_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                chosen,
                str(work_tree.root),
                str(work_tree.git_dir),
                str(work_tree.common_dir),
                time.time(),
            ),
        )
        repository_id = int(cursor.lastrowid or 0)
        connection.execute(
            "INSERT INTO repository_state (repository_id) VALUES (?)", (repository_id,)
        )
    repository = get_repository(store, repository_id)
    assert repository is not None
    return repository, True


def find_repository(store: Store, key: str) -> Repository:
    """A registered repository by name, or by (a path inside) its work tree."""
    row = store.connection.execute(f"{_SELECT} WHERE name = ?", (key,)).fetchone()
    if row is not None:
        return _row_to_repository(row)
    candidate = Path(key).expanduser()
    if candidate.exists():
        resolved = candidate.resolve()
        for repository in list_repositories(store):
            root = Path(repository.path)
            if resolved == root or root in resolved.parents:
                return repository
    else:
        row = store.connection.execute(
            f"{_SELECT} WHERE path = ?", (str(candidate.absolute()),)
        ).fetchone()
        if row is not None:
            return _row_to_repository(row)
    raise BmadError(f"no registered repository named or containing {key!r}")


def remove_repository(store: Store, key: str) -> Repository:
    repository = find_repository(store, key)
    with store.transaction() as connection:
        connection.execute("DELETE FROM repositories WHERE id = ?", (repository.id,))
    return repository


def repository_status(store: Store, repository: Repository) -> RepositoryStatus:
    connection = store.connection
    state = connection.execute(
        "SELECT last_mined_commit, target_commit, pending, last_error, error_count, mined_at "
        "FROM repository_state WHERE repository_id = ?",
        (repository.id,),
    ).fetchone()
    counts = connection.execute(
        "SELECT COUNT(*), COALESCE(SUM(functions), 0) FROM repository_files "
        "WHERE repository_id = ?",
        (repository.id,),
    ).fetchone()
    graph = connection.execute(
        "SELECT modules, cycles FROM repository_architecture WHERE repository_id = ?",
        (repository.id,),
    ).fetchone()
    modules, cycles = graph or (0, 0)
    last_mined, target, pending, last_error, error_count, mined_at = state or (
        None,
        None,
        0,
        None,
        0,
        None,
    )
    return RepositoryStatus(
        name=repository.name,
        path=repository.path,
        exists=Path(repository.path).is_dir(),
        last_mined_commit=last_mined,
        target_commit=target,
        files=int(counts[0]),
        functions=int(counts[1]),
        pending=int(pending),
        last_error=last_error,
        error_count=int(error_count),
        mined_at=mined_at,
        modules=int(modules),
        cycles=int(cycles),
    )
