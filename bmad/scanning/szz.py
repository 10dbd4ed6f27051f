"""The git side of outcome labels: each fixing commit's zero-context diff, the function spans
of its parent revision (through the metrics cache), and SZZ's blame of the lines it removed.

Blame is ``git blame --porcelain -w`` on the fix's parent, restricted to the traced lines
(``-w``: a whitespace-only change is not an origin). The pure rules are in
:mod:`bmad.extractors.fixes`.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bmad import git
from bmad.errors import BmadError
from bmad.extractors.fixes import (
    FixedCode,
    FixTrace,
    FunctionSpan,
    Hunk,
    LabelSettings,
    Outcome,
    touched_functions,
    trace,
    traceable_lines,
)
from bmad.extractors.history import CommitRecord
from bmad.extractors.languages import language_for_path
from bmad.scanning.pipeline import (
    Fetched,
    ScanOptions,
    ScanResult,
    Source,
    analyse_sources,
)

if TYPE_CHECKING:
    import pygit2

_PORCELAIN_HEADER = re.compile(r"^([0-9a-f]{40}) \d+ (\d+)")
GITLINK = 0o160000  # the tree-entry mode of a submodule


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """A file a fix modified, renamed or deleted, as it was in the fix's parent."""

    old_path: str
    old_blob_id: str
    hunks: tuple[Hunk, ...]


@dataclass(frozen=True, slots=True)
class FixDiff:
    commit: CommitRecord
    outcome: Outcome
    parent: str
    files: tuple[ChangedFile, ...]


def read_fix_diffs(
    repository: pygit2.Repository, fixes: Iterable[tuple[CommitRecord, Outcome]]
) -> list[FixDiff]:
    """Each fix's diff against its first parent (renames found), text files only. A root
    commit has no parent to blame and is left out."""
    diffs = []
    for commit, outcome in fixes:
        if not commit.parents:
            continue
        parent = commit.parents[0]
        diff = repository.diff(parent, commit.id, context_lines=0)
        diff.find_similar()
        files = tuple(_changed_files(diff))
        diffs.append(FixDiff(commit, outcome, parent, files))
    return diffs


def _changed_files(diff: pygit2.Diff) -> Iterator[ChangedFile]:
    for patch in diff:
        if patch is None:
            continue
        delta = patch.delta
        # A submodule's entry (a gitlink) names another repository's commit: no lines to blame.
        if delta.status_char() == "A" or delta.is_binary or delta.old_file.mode == GITLINK:
            continue
        hunks = tuple(
            Hunk(
                old_start=hunk.old_start,
                old_lines=hunk.old_lines,
                new_start=hunk.new_start,
                new_lines=hunk.new_lines,
                removed=tuple(
                    line.content.rstrip("\r\n") for line in hunk.lines if line.origin == "-"
                ),
            )
            for hunk in patch.hunks
        )
        yield ChangedFile(delta.old_file.path, str(delta.old_file.id), hunks)


def function_spans(
    repository_path: Path, diffs: Sequence[FixDiff], options: ScanOptions | None = None
) -> dict[str, tuple[FunctionSpan, ...]]:
    """The function spans of every parent-revision file the fixes changed, by blob id
    (parsed once per blob, through the metrics cache)."""
    repository = git.open_repository(repository_path)
    wanted: dict[str, tuple[str, str]] = {}
    for diff in diffs:
        for changed in diff.files:
            language = language_for_path(changed.old_path)
            if language is not None:
                wanted.setdefault(changed.old_blob_id, (changed.old_path, language))
    result = ScanResult(root=repository_path)
    sources = (
        _blob_source(repository, blob_id, path, language)
        for blob_id, (path, language) in wanted.items()
    )
    analyse_sources(sources, len(wanted), options or ScanOptions(), result)
    # Sources are named by blob id, so that two versions of one path stay apart.
    return {
        scanned.path: tuple(
            FunctionSpan(f.qualified_name, f.start_line, f.end_line)
            for f in scanned.metrics.functions
        )
        for scanned in result.files
    }


def _blob_source(repository: pygit2.Repository, blob_id: str, path: str, language: str) -> Source:
    def read() -> Fetched | str:
        try:
            return Fetched(git.read_blob(repository, blob_id))
        except BmadError as exc:
            return exc.message

    return Source(blob_id, language, path.lower().endswith(".h"), blob_id, read)


def fixed_code(
    diffs: Sequence[FixDiff], spans: Mapping[str, tuple[FunctionSpan, ...]]
) -> list[FixedCode]:
    """Per fix, the files (parent paths) and functions (parent spans) it changed."""
    return [
        FixedCode(
            commit=diff.commit.id,
            time=diff.commit.author_time,
            outcome=diff.outcome,
            functions={
                changed.old_path: touched_functions(
                    changed.hunks, spans.get(changed.old_blob_id, ())
                )
                for changed in diff.files
            },
        )
        for diff in diffs
    ]


def trace_fixes(
    repository_path: Path,
    diffs: Sequence[FixDiff],
    commits: Mapping[str, CommitRecord],
    settings: LabelSettings,
) -> list[FixTrace]:
    """SZZ for each fix: blame its traceable lines on its parent, keep the origins the filters
    allow (reverts are traced like fixes: what they undo was the problem)."""
    traces = []
    for diff in diffs:
        blamed: list[str] = []
        had_lines = False
        for changed in diff.files:
            lines = traceable_lines(changed.hunks, language_for_path(changed.old_path))
            if lines:
                had_lines = True
                blamed += blame_lines(repository_path, diff.parent, changed.old_path, lines)
        traces.append(trace(diff.commit, blamed, commits, settings, had_lines))
    return traces


def blame_lines(repository_path: Path, revision: str, path: str, lines: Sequence[int]) -> list[str]:
    """The commit that last touched each of ``lines`` (1-based) of ``path`` at ``revision``,
    whitespace changes ignored."""
    ranges: list[list[int]] = []
    for line in sorted(set(lines)):
        if ranges and ranges[-1][1] == line - 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    arguments = [argument for first, last in ranges for argument in ("-L", f"{first},{last}")]
    try:
        completed = subprocess.run(
            ["git", "blame", "--porcelain", "-w", *arguments, revision, "--", path],
            cwd=repository_path,
            check=True,
            capture_output=True,
            text=True,
            errors="replace",
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else exc
        raise BmadError(f"git blame of {path} at {revision[:12]} failed: {detail}") from exc
    return [
        match.group(1)
        for match in map(_PORCELAIN_HEADER.match, completed.stdout.splitlines())
        if match is not None
    ]
