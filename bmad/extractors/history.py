"""Per-commit records and per-file history, pure over data (no git access here).

The miner (:mod:`bmad.extractors.history_git`) turns commits into :class:`CommitRecord`;
everything else in the ``history_*`` modules is computed from a sequence of records, oldest
first (a topological order: parents before children).

Conventions, after code-maat and ``git log --numstat``:

- A merge commit counts as a commit (commit totals, merge ratio, activity) and as a revision
  of the files the merge itself changed against *every* parent (conflict resolutions, what
  ``git log -c`` shows), but contributes no churn: its lines were counted on the branch.
- Binary files count as revisions with zero added and deleted lines (``-`` in numstat).
- Dates are author dates (when the work was done); ``--since``/``--until`` select on them.
- With rename following, a rename carries the file's history to its new path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
    alive: bool = True  # still present after the last commit considered
    creator: str | None = None  # author who added the file, when the addition was seen
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
class FileTimeline:
    """Per-file histories plus, per commit, the files it touched (for coupling)."""

    files: tuple[FileHistory, ...]
    change_sets: tuple[tuple[int, ...], ...]  # indexes into ``files``, one entry per commit


def file_timeline(commits: Sequence[CommitRecord], follow_renames: bool = True) -> FileTimeline:
    """Fold the commits (oldest first) into one history per file identity."""
    files: list[FileHistory] = []
    current: dict[str, int] = {}
    change_sets: list[tuple[int, ...]] = []
    for commit in commits:
        touched: list[int] = []
        for change in commit.changes:
            identity = _identity_for(change, current, files, follow_renames)
            history = files[identity]
            if identity in touched:
                continue
            touched.append(identity)
            _record(history, commit, change)
            if change.status == "D":
                history.alive = False
                current.pop(change.path, None)
            else:
                history.alive = True
        change_sets.append(tuple(touched))
    return FileTimeline(files=tuple(files), change_sets=tuple(change_sets))


def _identity_for(
    change: FileChange, current: dict[str, int], files: list[FileHistory], follow_renames: bool
) -> int:
    if follow_renames and change.old_path is not None and change.old_path != change.path:
        identity = current.pop(change.old_path, None)
        if identity is not None:
            displaced = current.get(change.path)
            if displaced is not None:
                files[displaced].alive = False
            current[change.path] = identity
            files[identity].path = change.path
            return identity
    identity = current.get(change.path)
    if identity is None:
        identity = len(files)
        files.append(FileHistory(path=change.path))
        current[change.path] = identity
    return identity


def _record(history: FileHistory, commit: CommitRecord, change: FileChange) -> None:
    author = commit.author
    if history.revisions == 0:
        history.first_change = commit.author_time
        if change.status == "A":
            history.creator = author
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
