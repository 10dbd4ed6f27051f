"""The incremental history miner the CLI, the analysis and the daemon call.

:func:`update_history` mines only the commits after the tip a source was mined up to, or
everything again when that tip is no longer in the revision's history (force-push, rebase,
amended commits), and appends them to the history store in batches.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bmad.errors import BmadError
from bmad.extractors.history import CommitRecord, FileChange, MergeRename, TipTree
from bmad.scanning.history_git import (
    MiningSettings,
    RepositoryInfo,
    commits_between,
    describe,
    grafted_commits,
    is_ancestor,
    open_repository,
    read_commits,
    resolve_tip,
    tree_paths,
)
from bmad.store.history import CommitRows, HistoryStore

BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class UpdateResult:
    info: RepositoryInfo
    source_id: int | None  # None when the repository has no commit to mine
    tip: str | None
    new_commits: int
    rewritten: bool  # the previous tip had left the history: everything was mined again
    seconds: float
    tip_paths: frozenset[str] = frozenset()  # every path in the tip's tree

    @property
    def tip_tree(self) -> TipTree:
        """The analysed revision (no commit and no path when there is none)."""
        return TipTree(self.tip or "", self.tip_paths)

    def notes(self) -> list[str]:
        found = self.info.notes()
        if self.rewritten:
            found.append(
                "history was rewritten since the last run (previous tip unreachable): re-mined"
            )
        return found


def update_history(
    store: HistoryStore,
    repository_path: Path,
    rev: str | None = None,
    settings: MiningSettings | None = None,
    batch_size: int = BATCH_SIZE,
) -> UpdateResult:
    """Bring the stored history of ``rev`` (default HEAD) up to date; mine only what is new."""
    settings = settings or MiningSettings()
    started = time.perf_counter()
    repository = open_repository(repository_path)
    info = describe(repository)
    tip = resolve_tip(repository, rev)
    if tip is None:
        return UpdateResult(info, None, None, 0, False, time.perf_counter() - started)
    source = store.source(info.git_dir, rev or "HEAD", settings.follow_renames)
    rewritten = False
    hide = source.tip
    if source.tip is not None and not is_ancestor(repository, source.tip, tip):
        store.reset(source.id)
        rewritten, hide = True, None
    new_commits = 0
    if source.tip != tip:
        ids = commits_between(repository, tip, hide)
        known = store.stored_ids(source.id)
        pending = [commit_id for commit_id in ids if commit_id not in known]
        new_commits = len(pending)
        try:
            for batch in _batches(
                read_commits(info.git_dir, pending, settings, grafted_commits(repository)),
                batch_size,
            ):
                store.append(source.id, [commit_rows(commit) for commit in batch])
        except sqlite3.Error as exc:
            raise BmadError(f"cannot store the mined history: {exc}") from exc
        store.set_tip(source.id, tip)
    paths = tree_paths(repository, tip)
    seconds = time.perf_counter() - started
    return UpdateResult(info, source.id, tip, new_commits, rewritten, seconds, paths)


def _batches(commits: Iterable[CommitRecord], size: int) -> Iterable[list[CommitRecord]]:
    batch: list[CommitRecord] = []
    for commit in commits:
        batch.append(commit)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def commit_rows(commit: CommitRecord) -> CommitRows:
    """A commit record as the history tables hold it."""
    return CommitRows(
        (
            commit.id,
            " ".join(commit.parents),
            commit.author_name,
            commit.author_email,
            commit.author_time,
            commit.subject,
            commit.note,
        ),
        tuple(
            (c.path, c.status, c.added, c.deleted, c.old_path, int(c.binary))
            for c in commit.changes
        ),
        tuple((r.parent, r.old_path, r.new_path) for r in commit.merge_renames),
    )


def commit_record(rows: CommitRows) -> CommitRecord:
    commit_id, parents, author_name, author_email, author_time, subject, note = rows.commit
    return CommitRecord(
        id=commit_id,
        parents=tuple(parents.split()),
        author_name=author_name,
        author_email=author_email,
        author_time=author_time,
        subject=subject,
        changes=tuple(
            FileChange(path, status, added, deleted, old_path, bool(binary))
            for path, status, added, deleted, old_path, binary in rows.changes
        ),
        note=note,
        merge_renames=tuple(MergeRename(*rename) for rename in rows.renames),
    )


def stored_commits(store: HistoryStore, source_id: int) -> list[CommitRecord]:
    """Every stored commit of the source as records, oldest first (parents before children)."""
    return [commit_record(rows) for rows in store.commits(source_id)]
