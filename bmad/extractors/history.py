"""Per-commit records and per-file history, pure over data (no git access here).

The miner (:mod:`bmad.scanning.history_git`) turns commits into :class:`CommitRecord`; the
``history_*`` modules compute everything from the records of the commits reachable from the
analysed revision (the *tip*) and the paths in the tip's tree (:class:`TipTree`). The answer
is a function of that set and that graph: never of the order in which records arrive.

Conventions, after code-maat and ``git log --numstat``:

- The files are the paths in the tip's tree; a file's revisions are the commits reachable from
  the tip that changed it: a non-merge commit against its first parent, a merge against
  *every* parent (its conflict resolutions, what ``git log -c`` shows). A merge counts as a
  commit (totals, merge ratio, activity) but adds no churn: its lines were counted on the
  branch. Binary files count as revisions with zero added and deleted lines.
- Without rename following a file is its path: every change to the path counts, also before
  the path was deleted and re-created (``git log --full-history -- PATH``).
- With rename following a file also owns its earlier names, found by walking from the tip to
  the parents: a rename (a commit's against its first parent, a merge's against each parent)
  hands the file's identity from the new name to the old one. A re-created path keeps its
  older history unless a rename shows that the older file lives on under another name (a
  rename beats a re-creation). Where branches disagree about whose a name is, the claim
  ranked first wins: a file at the tip before a deleted one; a claim that never passed the
  name's creation or deletion before one that did; the name's own file before a renamed one
  (so that every file at the tip keeps at least its creation); then the smaller path.
- Changes no file at the tip claims belong to deleted files, one per path (the last path,
  with renames followed), reported only when asked for.
- Dates are author dates (when the work was done); ``--since``/``--until`` select which
  commits count, while which file a change belongs to still comes from the whole graph.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

SECONDS_PER_DAY = 86_400
SECONDS_PER_MONTH = 30.4375 * SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    status: str  # git's letter: A added, M modified, D deleted, R renamed, T type change
    added: int = 0
    deleted: int = 0
    old_path: str | None = None  # the path before a rename
    binary: bool = False


Record = TypeVar("Record")


def followed_record(records: dict[str, Record], change: FileChange, new: Record) -> Record | None:
    """The record of the file ``change`` touches, moved to its new path on a rename, ``new``
    when first seen; None, the record dropped, when the change deletes the file."""
    if change.old_path and change.old_path != change.path and change.old_path in records:
        records[change.path] = records.pop(change.old_path)
    if change.status == "D":
        records.pop(change.path, None)
        return None
    return records.setdefault(change.path, new)


@dataclass(frozen=True, slots=True)
class MergeRename:
    """A file a merge has under ``new_path`` that one of its parents had under ``old_path``."""

    parent: int  # index into the merge's parents
    old_path: str
    new_path: str


@dataclass(frozen=True, slots=True)
class CommitRecord:
    id: str
    parents: tuple[str, ...]
    author_name: str  # after .mailmap; stays on this machine
    author_email: str
    author_time: int  # seconds since the epoch
    subject: str
    changes: tuple[FileChange, ...] = ()
    note: str = ""  # why this commit's data is incomplete, empty when it is whole
    merge_renames: tuple[MergeRename, ...] = ()  # a merge's renames against each parent

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def author(self) -> str:
        """The identity used to group work: the mailmapped e-mail, else the name."""
        return self.author_email.lower() or self.author_name

    @property
    def insertions(self) -> int:
        return sum(change.added for change in self.changes)

    @property
    def deletions(self) -> int:
        return sum(change.deleted for change in self.changes)


@dataclass(frozen=True, slots=True)
class SubjectPatterns:
    fix: tuple[str, ...]
    revert: tuple[str, ...]

    def compiled(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        return _alternation(self.fix), _alternation(self.revert)


@functools.lru_cache(maxsize=32)
def _alternation(patterns: tuple[str, ...]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


def classify_subject(subject: str, patterns: SubjectPatterns) -> tuple[bool, bool]:
    """(is_fix, is_revert). A revert is not also a fix, even when it reverts one."""
    fix, revert = patterns.compiled()
    is_revert = revert.search(subject) is not None
    return (not is_revert and fix.search(subject) is not None), is_revert


def in_window(
    commits: Iterable[CommitRecord], since: int | None, until: int | None
) -> list[CommitRecord]:
    return [
        commit
        for commit in commits
        if (since is None or commit.author_time >= since)
        and (until is None or commit.author_time <= until)
    ]


@dataclass(slots=True)
class FileHistory:
    path: str  # the latest path (after renames when they are followed)
    revisions: int = 0
    added: int = 0
    deleted: int = 0
    first_change: int = 0
    last_change: int = 0
    alive: bool = True  # in the tip's tree; False for a deleted file
    creator: str | None = None  # who made the earliest counted change, when it added the file
    added_by: dict[str, int] = field(default_factory=dict)
    commits_by: dict[str, int] = field(default_factory=dict)

    @property
    def authors(self) -> int:
        return len(self.commits_by)

    def ownership(self) -> dict[str, float]:
        """Share of the file per author: by added lines, by commits when no line was added."""
        weights = self.added_by if sum(self.added_by.values()) > 0 else self.commits_by
        total = sum(weights.values())
        return {author: count / total for author, count in weights.items() if count > 0}

    def main_developer(self) -> tuple[str, float] | None:
        shares = self.ownership()
        if not shares:
            return None
        author = min(shares, key=lambda name: (-shares[name], name))
        return author, shares[author]

    def fragmentation(self) -> float:
        return 1.0 - sum(share * share for share in self.ownership().values())

    def age_months(self, reference_time: int) -> float:
        return max(0.0, (reference_time - self.last_change) / SECONDS_PER_MONTH)


@dataclass(frozen=True, slots=True)
class TipTree:
    """The analysed revision: its commit id and every path in its tree."""

    commit: str
    paths: frozenset[str]


@dataclass(frozen=True, slots=True)
class FileTimeline:
    """Per-file histories plus, per counted commit, the files it touched (for coupling).

    ``files`` holds the files at the tip first (``live`` of them), then the deleted files,
    each part sorted by path; ``change_sets`` index into it, deleted files included, so that a
    commit's size stays what it was."""

    files: tuple[FileHistory, ...]
    live: int
    change_sets: tuple[tuple[int, ...], ...]


def ancestry(commits: Iterable[CommitRecord], tip: str) -> list[CommitRecord]:
    """The commits reachable from ``tip`` (parents missing from ``commits`` are cut off),
    children before parents."""
    by_id = {commit.id: commit for commit in commits}
    if tip not in by_id:
        return []
    waiting: dict[str, int] = {}  # edges from children not yet taken, per reachable commit
    stack = [tip]
    while stack:
        for parent in by_id[stack.pop()].parents:
            if parent in by_id:
                if parent not in waiting:
                    stack.append(parent)
                waiting[parent] = waiting.get(parent, 0) + 1
    order: list[CommitRecord] = []
    ready = [tip]
    while ready:
        commit = by_id[ready.pop()]
        order.append(commit)
        for parent in commit.parents:
            if parent in by_id:
                waiting[parent] -= 1
                if waiting[parent] == 0:
                    ready.append(parent)
    return order


@dataclass(frozen=True, slots=True)
class _Claim:
    """Which file a name belongs to at some commit: the file's path (at the tip, or its last
    path when deleted) and whether it is at the tip. ``firm`` is False once the claim has
    passed a creation or deletion of the name on its way from the tip."""

    path: str
    live: bool
    firm: bool = True

    def rank(self, name: str) -> tuple[bool, bool, bool, str]:
        return (not self.live, not self.firm, self.path != name, self.path)


_Names = Mapping[str, _Claim]  # the names whose file is not the path itself, at one commit
_NO_NAMES: _Names = {}


def file_timeline(
    commits: Iterable[CommitRecord],
    tip: TipTree,
    follow_renames: bool = True,
    since: int | None = None,
    until: int | None = None,
) -> FileTimeline:
    """One history per file: the files at the tip, then the deleted ones (see the module's
    docstring for which changes belong to which file). Commits authored outside
    [since, until] are not counted."""
    order = ancestry(commits, tip.commit)
    generation = _generations(order)
    contested = _renamed_names(order) if follow_renames else frozenset()
    incoming: dict[str, list[_Names]] = {tip.commit: [_NO_NAMES]}
    histories: dict[tuple[str, bool], FileHistory] = {}
    earliest: dict[tuple[str, bool], tuple[int, int, str]] = {}
    touched_by: list[tuple[tuple[int, str], list[tuple[str, bool]]]] = []
    for commit in order:
        names = _joined(incoming.pop(commit.id), tip.paths) if contested else _NO_NAMES
        if (since is None or commit.author_time >= since) and (
            until is None or commit.author_time <= until
        ):
            when = (generation[commit.id], commit.author_time, commit.id)
            touched: list[tuple[str, bool]] = []
            for change in commit.changes:
                claim = names.get(change.path)
                key = (
                    (claim.path, claim.live)
                    if claim is not None
                    else (change.path, change.path in tip.paths)
                )
                if key in touched:
                    continue
                touched.append(key)
                history = histories.setdefault(key, FileHistory(path=key[0], alive=key[1]))
                _record(history, commit, change)
                if key not in earliest or when < earliest[key]:
                    earliest[key] = when
                    history.creator = commit.author if change.status == "A" else None
            touched_by.append(((generation[commit.id], commit.id), touched))
        if contested:
            for index, parent in enumerate(commit.parents):
                if parent in generation:
                    edge = _parent_names(commit, index, names, contested, tip.paths)
                    incoming.setdefault(parent, []).append(edge)
    keys = sorted(histories, key=lambda key: (not key[1], key[0]))
    position = {key: index for index, key in enumerate(keys)}
    touched_by.sort(key=lambda item: item[0])
    return FileTimeline(
        files=tuple(histories[key] for key in keys),
        live=sum(1 for key in keys if key[1]),
        change_sets=tuple(tuple(position[key] for key in touched) for _, touched in touched_by),
    )


def _generations(order: Sequence[CommitRecord]) -> dict[str, int]:
    """Longest distance from a root, per commit: a topological rank that does not depend on
    the order the records came in."""
    generation: dict[str, int] = {}
    for commit in reversed(order):
        generation[commit.id] = 1 + max(
            (generation[parent] for parent in commit.parents if parent in generation), default=0
        )
    return generation


def _renamed_names(order: Iterable[CommitRecord]) -> frozenset[str]:
    """Every name on either side of a rename: the only names a file can take over from
    another, hence the only ones whose claims need tracking."""
    found: set[str] = set()
    for commit in order:
        for rename in commit.merge_renames:
            found.update((rename.old_path, rename.new_path))
        for change in commit.changes:
            if change.status == "R" and change.old_path is not None:
                found.update((change.old_path, change.path))
    return frozenset(found)


def _joined(from_children: list[_Names], tip_paths: frozenset[str]) -> _Names:
    """The claims at a commit, from those its children handed down: per name the best-ranked
    one (a name a child does not mention is the path's own file there)."""
    first = from_children[0]
    if all(names is first for names in from_children[1:]):
        return first
    joined: dict[str, _Claim] = {}
    for name in set().union(*from_children):
        own = _Claim(name, name in tip_paths)
        best = min((names.get(name, own) for names in from_children), key=lambda c: c.rank(name))
        if best != own:
            joined[name] = best
    return joined


def _parent_names(
    commit: CommitRecord,
    parent: int,
    names: _Names,
    contested: frozenset[str],
    tip_paths: frozenset[str],
) -> _Names:
    """The claims in one parent, from the commit's: renames hand the new name's file to the
    old name (and leave the new name's earlier life to a deleted file); a creation or deletion
    makes the claim on the name infirm. Shared unchanged when nothing applies."""
    if commit.is_merge:
        renames = [(r.old_path, r.new_path) for r in commit.merge_renames if r.parent == parent]
        crossed: list[str] = []
    else:
        renames = [
            (change.old_path, change.path)
            for change in commit.changes
            if change.status == "R" and change.old_path is not None
        ]
        crossed = [
            change.path
            for change in commit.changes
            if change.status in ("A", "D") and change.path in contested
        ]
    if not renames and not crossed:
        return names
    updated = dict(names)
    for name in crossed:
        updated[name] = replace(names.get(name, _Claim(name, name in tip_paths)), firm=False)
    for _, new in renames:
        updated[new] = _Claim(new, live=False)
    for old, new in renames:
        updated[old] = names.get(new, _Claim(new, new in tip_paths))
    return updated


def _record(history: FileHistory, commit: CommitRecord, change: FileChange) -> None:
    author = commit.author
    if history.revisions == 0:
        history.first_change = history.last_change = commit.author_time
    history.revisions += 1
    history.first_change = min(history.first_change, commit.author_time)
    history.last_change = max(history.last_change, commit.author_time)
    history.added += change.added
    history.deleted += change.deleted
    history.commits_by[author] = history.commits_by.get(author, 0) + 1
    if change.added:
        history.added_by[author] = history.added_by.get(author, 0) + change.added


def last_activity(commits: Iterable[CommitRecord]) -> dict[str, int]:
    """Each author's latest author date."""
    latest: dict[str, int] = {}
    for commit in commits:
        author = commit.author
        latest[author] = max(latest.get(author, commit.author_time), commit.author_time)
    return latest


def author_names(commits: Iterable[CommitRecord]) -> Mapping[str, tuple[str, str]]:
    """Identity key -> (name, e-mail) as last seen, for ``--show-authors`` only."""
    return {commit.author: (commit.author_name, commit.author_email) for commit in commits}
