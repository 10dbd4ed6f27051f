"""Who wrote what, cheaply: a repository's statistics split per contributor.

The contributor unit of privacy (``bmad.privacy.units``) bounds everything one developer
authored together. Attribution reuses what the history miner already computes, with no
``git blame`` (which costs one blame per file and per revision):

- a function belongs to the main developer of its file: the author of most of the file's
  added lines over its mined history (``FileHistory.main_developer``, by commits when no line
  was added);
- a commit belongs to its author (mailmapped e-mail, else name), its size and fix subject to
  that author's workflow;
- a file's main-developer share and the coupled pairs it leads (by the pair's first file)
  belong to the file's main developer.

Functions of files without a mined history (untracked, or outside the mined window) belong to
nobody and are left out of contributor rounds. What the unit protects is therefore every
commit a developer authored and every function of the files they mainly wrote. Functions they
wrote in files someone else mainly wrote sit in that person's unit: a developer whose code
spreads over the files of j other main developers is covered by group privacy over j + 1
units (rho times (j + 1)^2).

Identities never leave this module as names: work is grouped under ``contributor_key``, a
digest keyed with a secret drawn once per process, so the same developer's work in several
repositories of one machine is bounded together within a round and the key means nothing
outside the process. Keys never reach a vector.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bmad.extractors.history import SubjectPatterns, classify_subject
from bmad.extractors.metrics import FileMetrics
from bmad.privacy.summaries import ContributorWork, WorkflowSummary

if TYPE_CHECKING:
    from bmad.extractors.history_report import HistoryReport

_PROCESS_KEY = secrets.token_bytes(32)


def contributor_key(author: str) -> str:
    """A digest of ``author`` that groups work within this process and means nothing outside."""
    return hmac.new(_PROCESS_KEY, author.encode("utf-8"), hashlib.sha256).hexdigest()


class _Work:
    def __init__(self) -> None:
        self.files: list[FileMetrics] = []
        self.commit_sizes: list[int] = []
        self.fix_commits = 0
        self.total_commits = 0
        self.coupling_degrees: list[float] = []
        self.ownership_shares: list[float] = []

    def frozen(self, key: str) -> ContributorWork:
        workflow = None
        if self.total_commits or self.coupling_degrees or self.ownership_shares:
            workflow = WorkflowSummary(
                commit_sizes=tuple(self.commit_sizes),
                fix_commits=self.fix_commits,
                total_commits=self.total_commits,
                coupling_degrees=tuple(self.coupling_degrees),
                ownership_shares=tuple(self.ownership_shares),
            )
        return ContributorWork(key, tuple(self.files), workflow)


def split_by_contributor(
    files: Sequence[tuple[str, FileMetrics]], report: HistoryReport, patterns: SubjectPatterns
) -> tuple[ContributorWork, ...]:
    """Each contributor's part of one repository: ``files`` are (repository path, metrics)
    of the scanned files, ``report`` its mined history."""
    work: defaultdict[str, _Work] = defaultdict(_Work)
    main_of_path: dict[str, str] = {}
    main_of_index: dict[int, str] = {}
    for owned in report.owned:
        main_of_index[owned.index] = owned.author
        main_of_path[report.files[owned.index].path] = owned.author
        work[owned.author].ownership_shares.append(owned.share)
    for path, metrics in files:
        author = main_of_path.get(path)
        if author is not None:
            work[author].files.append(metrics)
    for commit in report.commits:
        share = work[commit.author]
        share.total_commits += 1
        if classify_subject(commit.subject, patterns)[0]:
            share.fix_commits += 1
        if not commit.is_merge:
            share.commit_sizes.append(commit.insertions + commit.deletions)
    for pair in report.coupling:
        author = main_of_index.get(pair.a)
        if author is not None:
            work[author].coupling_degrees.append(float(pair.degree))
    return tuple(share.frozen(contributor_key(author)) for author, share in work.items())


def merge_by_contributor(works: Iterable[ContributorWork]) -> list[ContributorWork]:
    """One entry per contributor key: a developer's parts of several repositories together."""
    merged: dict[str, _Work] = {}
    for part in works:
        into = merged.setdefault(part.key, _Work())
        into.files.extend(part.files)
        if part.workflow is not None:
            into.commit_sizes.extend(part.workflow.commit_sizes)
            into.fix_commits += part.workflow.fix_commits
            into.total_commits += part.workflow.total_commits
            into.coupling_degrees.extend(part.workflow.coupling_degrees)
            into.ownership_shares.extend(part.workflow.ownership_shares)
    return [into.frozen(key) for key, into in merged.items()]
