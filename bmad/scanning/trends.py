"""Mine a repository's technology history with pygit2 and keep it in the store.

Each commit's state is its first parent's state patched by one tree diff against that parent
(names and blob ids only: no patch text, no rename detection, no binary check), so a merge
brings its branch's changes in one step. A state is the technology files' blob ids by path
(``bmad.extractors.technology.file_kind``) and the number of files per language; only a
changed technology file's blob is read, and each blob is parsed once (``trend_blobs``, keyed
by blob id, file kind and ``TECHNOLOGY_VERSION``). States are stored once each
(``trend_states``, keyed by a digest of their content) and every commit points at its state
(``trend_commits``), so a later run mines only the commits after the stored tip and a
rewritten history (stored tip no longer an ancestor) is mined again.

The tables are this component's ("trends") in the data store; the SQL is portable (``?``
placeholders, explicit keys, ``ON CONFLICT``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.errors import BmadError
from bmad.extractors.technology import (
    TECHNOLOGY_VERSION,
    FileTechnologies,
    Technology,
    file_kind,
    language,
    path_language,
    technologies_in_file,
)
from bmad.extractors.technology_trends import (
    ABANDONED_KINDS,
    DeclaredEpisode,
    TechnologyCommit,
    TechnologyHistory,
    changes_along,
    episodes,
    naming_line,
    technology_history,
)
from bmad.scanning.history_git import (
    commits_between,
    describe,
    is_ancestor,
    open_repository,
    resolve_tip,
)
from bmad.store.connection import Store, data_store_path, open_store

if TYPE_CHECKING:
    import pygit2

COMPONENT = "trends"
MIGRATIONS: list[str] = [
    """
    CREATE TABLE trend_sources (
        git_dir TEXT PRIMARY KEY,
        tip TEXT,
        version INTEGER NOT NULL,
        updated_at BIGINT
    );
    CREATE TABLE trend_states (
        git_dir TEXT NOT NULL,
        state_key TEXT NOT NULL,
        files TEXT NOT NULL,
        languages TEXT NOT NULL,
        PRIMARY KEY (git_dir, state_key)
    );
    CREATE TABLE trend_commits (
        git_dir TEXT NOT NULL,
        seq BIGINT NOT NULL,
        commit_id TEXT NOT NULL,
        first_parent TEXT NOT NULL,
        author_time BIGINT NOT NULL,
        state_key TEXT NOT NULL,
        PRIMARY KEY (git_dir, seq)
    );
    CREATE UNIQUE INDEX trend_commits_id ON trend_commits (git_dir, commit_id);
    CREATE TABLE trend_blobs (
        blob_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        technologies TEXT NOT NULL,
        problem TEXT,
        PRIMARY KEY (blob_id, kind, version)
    );
    """,
]
MAX_BLOB_BYTES = 1024 * 1024
BATCH_SIZE = 1000
_IDS_PER_QUERY = 500  # bound variables per statement: old SQLite builds allow 999


@dataclass(frozen=True, slots=True)
class _State:
    files: tuple[tuple[str, str], ...]  # (path, blob id) of technology files, sorted
    languages: tuple[tuple[str, int], ...]  # (language, files), sorted, counts > 0

    @property
    def key(self) -> str:
        text = json.dumps([self.files, self.languages], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


_EMPTY = _State((), ())


@dataclass(frozen=True, slots=True)
class TrendsUpdate:
    git_dir: str
    name: str  # the work tree's folder name (the git directory's for a bare repository)
    tip: str | None  # None: no commit yet
    new_commits: int
    blobs_parsed: int
    rewritten: bool
    seconds: float


def open_trends_store(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


def update_trends(store: Store, repository_path: Path, rev: str | None = None) -> TrendsUpdate:
    """Bring the stored technology history of ``rev`` (default HEAD) up to date."""
    started = time.perf_counter()
    repository = open_repository(repository_path)
    info = describe(repository)
    git_dir, name = info.git_dir, Path(info.work_tree or info.git_dir).name
    tip = resolve_tip(repository, rev)
    if tip is None:
        return TrendsUpdate(git_dir, name, None, 0, 0, False, time.perf_counter() - started)
    stored_tip, version = _source(store, git_dir)
    rewritten = False
    hide = stored_tip
    if stored_tip is not None and (
        version != TECHNOLOGY_VERSION or not is_ancestor(repository, stored_tip, tip)
    ):
        _forget(store, git_dir)
        rewritten, hide = True, None
    new_commits = parsed = 0
    if hide != tip:
        pending = commits_between(repository, tip, hide)
        miner = _Miner(store, repository, git_dir)
        new_commits = len(pending)
        for start in range(0, len(pending), BATCH_SIZE):
            miner.mine(pending[start : start + BATCH_SIZE])
        parsed = miner.blobs_parsed
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO trend_sources (git_dir, tip, version, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (git_dir) DO UPDATE SET tip = excluded.tip, "
                "version = excluded.version, updated_at = excluded.updated_at",
                (git_dir, tip, TECHNOLOGY_VERSION, int(time.time())),
            )
    return TrendsUpdate(
        git_dir, name, tip, new_commits, parsed, rewritten, time.perf_counter() - started
    )


def _source(store: Store, git_dir: str) -> tuple[str | None, int]:
    row = store.connection.execute(
        "SELECT tip, version FROM trend_sources WHERE git_dir = ?", (git_dir,)
    ).fetchone()
    return (None, TECHNOLOGY_VERSION) if row is None else (row[0], int(row[1]))


def _forget(store: Store, git_dir: str) -> None:
    with store.transaction() as tx:
        for table in ("trend_commits", "trend_states", "trend_sources"):
            tx.execute(f"DELETE FROM {table} WHERE git_dir = ?", (git_dir,))  # noqa: S608 - fixed names


class _Miner:
    def __init__(self, store: Store, repository: pygit2.Repository, git_dir: str) -> None:
        self.store = store
        self.repository = repository
        self.git_dir = git_dir
        self.states: dict[str, _State] = {}  # commit id -> state, for this run's commits
        self.known_blobs: set[tuple[str, str]] = set()
        self.blobs_parsed = 0

    def mine(self, ids: Sequence[str]) -> None:
        import pygit2
        from pygit2.enums import DiffOption

        rows: list[tuple[object, ...]] = []
        new_states: dict[str, _State] = {}
        blobs: list[tuple[str, str, int, str, str | None]] = []
        for commit_id in ids:
            commit = self.repository[commit_id]
            assert isinstance(commit, pygit2.Commit)
            parent_id = str(commit.parent_ids[0]) if commit.parent_ids else None
            before = _EMPTY if parent_id is None else self._state_of(parent_id)
            if commit.parents:
                diff = commit.parents[0].tree.diff_to_tree(
                    commit.tree, flags=DiffOption.SKIP_BINARY_CHECK
                )
            else:
                diff = commit.tree.diff_to_tree(swap=True, flags=DiffOption.SKIP_BINARY_CHECK)
            state = _patched(before, diff.deltas, blobs, self)
            self.states[commit_id] = state
            new_states.setdefault(state.key, state)
            rows.append((commit_id, parent_id or "", _author_time(commit), state.key))
        self._store(rows, new_states, blobs)

    def _state_of(self, commit_id: str) -> _State:
        found = self.states.get(commit_id)
        if found is not None:
            return found
        row = self.store.connection.execute(
            "SELECT s.files, s.languages FROM trend_commits AS c JOIN trend_states AS s "
            "ON s.git_dir = c.git_dir AND s.state_key = c.state_key "
            "WHERE c.git_dir = ? AND c.commit_id = ?",
            (self.git_dir, commit_id),
        ).fetchone()
        if row is None:
            raise BmadError(f"the technology history lacks commit {commit_id[:12]}: run it again")
        state = _State(
            tuple(tuple(item) for item in json.loads(row[0])),
            tuple(tuple(item) for item in json.loads(row[1])),
        )
        self.states[commit_id] = state
        return state

    def parse_blob(
        self,
        blob_id: str,
        path: str,
        kind: str,
        pending: list[tuple[str, str, int, str, str | None]],
    ) -> None:
        """Parse a technology file's blob once per (blob, kind) across runs."""
        key = (blob_id, kind)
        if key in self.known_blobs:
            return
        self.known_blobs.add(key)
        stored = self.store.connection.execute(
            "SELECT 1 FROM trend_blobs WHERE blob_id = ? AND kind = ? AND version = ?",
            (blob_id, kind, TECHNOLOGY_VERSION),
        ).fetchone()
        if stored is not None:
            return
        try:
            blob = self.repository[blob_id]
        except KeyError:
            found = FileTechnologies(frozenset(), "missing object")
        else:
            if getattr(blob, "size", 0) > MAX_BLOB_BYTES:
                found = FileTechnologies(frozenset(), f"larger than {MAX_BLOB_BYTES} bytes")
            else:
                found = technologies_in_file(path, blob.read_raw())
        self.blobs_parsed += 1
        keys = "\n".join(sorted(t.key for t in found.technologies))
        pending.append((blob_id, kind, TECHNOLOGY_VERSION, keys, found.problem))

    def _store(
        self,
        rows: list[tuple[object, ...]],
        states: dict[str, _State],
        blobs: list[tuple[str, str, int, str, str | None]],
    ) -> None:
        with self.store.transaction() as tx:
            (last,) = tx.execute(
                "SELECT COALESCE(MAX(seq), -1) FROM trend_commits WHERE git_dir = ?",
                (self.git_dir,),
            ).fetchone()
            tx.executemany(
                "INSERT INTO trend_blobs (blob_id, kind, version, technologies, problem) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (blob_id, kind, version) DO NOTHING",
                blobs,
            )
            tx.executemany(
                "INSERT INTO trend_states (git_dir, state_key, files, languages) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (git_dir, state_key) DO NOTHING",
                (
                    (self.git_dir, key, json.dumps(state.files), json.dumps(state.languages))
                    for key, state in states.items()
                ),
            )
            tx.executemany(
                "INSERT INTO trend_commits (git_dir, seq, commit_id, first_parent, author_time, "
                "state_key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (git_dir, commit_id) DO NOTHING",
                ((self.git_dir, last + 1 + offset, *row) for offset, row in enumerate(rows)),
            )


def _author_time(commit: pygit2.Commit) -> int:
    """libgit2 refuses some real signatures (an empty name or e-mail): the committer's time
    stands in then."""
    import pygit2

    try:
        return int(commit.author.time)
    except pygit2.GitError:
        return int(commit.commit_time)


def _patched(
    before: _State,
    deltas: Iterable[pygit2.DiffDelta],
    blobs: list[tuple[str, str, int, str, str | None]],
    miner: _Miner,
) -> _State:
    files: dict[str, str] | None = None
    languages: dict[str, int] | None = None
    for delta in deltas:
        status = delta.status_char()
        for side, sign in ((delta.old_file, -1), (delta.new_file, 1)):
            if (sign < 0 and status == "A") or (sign > 0 and status == "D"):
                continue
            path = side.path
            found = path_language(path)
            if found is not None and status in ("A", "D"):
                languages = dict(before.languages) if languages is None else languages
                languages[found] = languages.get(found, 0) + sign
            kind = file_kind(path)
            if kind is None:
                continue
            files = dict(before.files) if files is None else files
            if sign < 0:
                files.pop(path, None)
            else:
                blob_id = str(side.id)
                files[path] = blob_id
                miner.parse_blob(blob_id, path, kind, blobs)
    if files is None and languages is None:
        return before
    return _State(
        tuple(sorted((files if files is not None else dict(before.files)).items())),
        tuple(
            sorted(
                (name, count)
                for name, count in (
                    languages if languages is not None else dict(before.languages)
                ).items()
                if count > 0
            )
        ),
    )


def stored_history(store: Store, git_dir: str, name: str) -> TechnologyHistory | None:
    """The stored technology history of a mined repository, or None when never mined."""
    tip, _ = _source(store, git_dir)
    if tip is None:
        return None
    connection = store.connection
    states = [
        (state_key, json.loads(files), json.loads(languages))
        for state_key, files, languages in connection.execute(
            "SELECT state_key, files, languages FROM trend_states WHERE git_dir = ?", (git_dir,)
        )
    ]
    blob_technologies = _blob_technologies(
        store, {blob_id for _, files, _ in states for _, blob_id in files}
    )
    state_technologies: dict[str, frozenset[str]] = {}
    for state_key, files, languages in states:
        found: set[str] = set()
        for path, blob_id in files:
            kind = file_kind(path)
            if kind is not None:
                found |= blob_technologies.get((blob_id, kind), frozenset())
        found.update(language(name).key for name, count in languages if count > 0)
        state_technologies[state_key] = frozenset(found)
    commits = [
        TechnologyCommit(commit_id, first_parent or None, int(author_time), state_technologies[key])
        for commit_id, first_parent, author_time, key in connection.execute(
            "SELECT commit_id, first_parent, author_time, state_key FROM trend_commits "
            "WHERE git_dir = ? ORDER BY seq",
            (git_dir,),
        )
    ]
    return technology_history(name, commits, tip)


def _blob_technologies(store: Store, blob_ids: set[str]) -> dict[tuple[str, str], frozenset[str]]:
    wanted = sorted(blob_ids)
    found: dict[tuple[str, str], frozenset[str]] = {}
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[start : start + _IDS_PER_QUERY]
        for blob_id, kind, keys in store.connection.execute(
            "SELECT blob_id, kind, technologies FROM trend_blobs WHERE version = ? "  # noqa: S608 - only placeholders are formatted in
            f"AND blob_id IN ({', '.join('?' * len(chunk))})",
            (TECHNOLOGY_VERSION, *chunk),
        ):
            found[(blob_id, kind)] = frozenset(keys.split("\n")) if keys else frozenset()
    return found


def mine_technology_history(
    store: Store, repository_path: Path, rev: str | None = None
) -> tuple[TrendsUpdate, TechnologyHistory | None]:
    """Update and read one repository's technology history (None without commits)."""
    update = update_trends(store, repository_path, rev)
    if update.tip is None:
        return update, None
    return update, stored_history(store, update.git_dir, update.name)


def ended_episodes(store: Store, repository_path: Path) -> tuple[DeclaredEpisode, ...]:
    """The dependencies and tools that came and went along HEAD's mainline (the technology
    history brought up to date first), each with the technology file that declared it when
    it was added and the line of that file in the work tree naming it now."""
    update, history = mine_technology_history(store, repository_path)
    if history is None:
        return ()
    found: list[DeclaredEpisode] = []
    for episode in episodes(changes_along(history.mainline)):
        technology = Technology.from_key(episode.technology)
        if episode.removed is None or technology.kind not in ABANDONED_KINDS:
            continue
        declaring = _declaring_files(store, update.git_dir, episode.added_commit, technology.key)
        if declaring:
            path = declaring[0]
            found.append(
                DeclaredEpisode(episode, path, _naming_line(repository_path / path, technology))
            )
    return tuple(found)


def technologies_by_file(store: Store, git_dir: str, commit_id: str) -> dict[str, frozenset[str]]:
    """The technology files of a mined commit and the technology keys each shows."""
    row = store.connection.execute(
        "SELECT s.files FROM trend_commits AS c JOIN trend_states AS s "
        "ON s.git_dir = c.git_dir AND s.state_key = c.state_key "
        "WHERE c.git_dir = ? AND c.commit_id = ?",
        (git_dir, commit_id),
    ).fetchone()
    if row is None:
        return {}
    files = [(str(path), str(blob_id)) for path, blob_id in json.loads(row[0])]
    shown = _blob_technologies(store, {blob_id for _, blob_id in files})
    return {
        path: shown.get((blob_id, kind), frozenset())
        for path, blob_id in files
        if (kind := file_kind(path)) is not None
    }


def _declaring_files(store: Store, git_dir: str, commit_id: str, key: str) -> list[str]:
    """The technology files at ``commit_id`` whose content shows ``key``, by path."""
    shown = technologies_by_file(store, git_dir, commit_id)
    return sorted(path for path, keys in shown.items() if key in keys)


def _naming_line(path: Path, technology: Technology) -> int:
    """The line of the work-tree file naming the technology; 1 when the file is gone."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    return naming_line(text, technology.key)
