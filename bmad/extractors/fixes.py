"""Outcome labels from history, pure over data: which commits fix or revert, which functions a
change touched, and which removed lines SZZ may trace back to the change that introduced them.

Git access (diffs, blame, the parent revision's function spans) is in :mod:`bmad.scanning.szz`.
SZZ after Sliwerski, Zimmermann and Zeller (2005), with the refinements of Kim et al. (2006):
blank and comment-only lines are not traced, and very large commits are not taken as the
origin of a bug (they are mostly imports, reformatting and mass renames).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from bmad.extractors.history import CommitRecord, SubjectPatterns, classify_subject

# Comment openers per language; a line starting with one of them (after indentation) holds no code.
_HASH = ("#",)
_C_LIKE = ("//", "/*", "*", "*/")
COMMENT_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "python": _HASH,
    "ruby": _HASH,
    **dict.fromkeys(
        ("javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp", "csharp"), _C_LIKE
    ),
}


class Outcome(Enum):
    FIX = "fix"
    REVERT = "revert"


@dataclass(frozen=True, slots=True)
class LabelSettings:
    """Which commits label code: subject patterns, and the size filters of SZZ."""

    patterns: SubjectPatterns
    max_fix_files: int = 50  # a "fix" touching more files is a sweep, not a repair
    max_origin_files: int = 100  # a commit touching more files is never blamed for a bug


@dataclass(frozen=True, slots=True)
class Hunk:
    """One hunk of a zero-context diff. ``old_start`` is 1-based; a pure insertion
    (``old_lines == 0``) goes after line ``old_start`` of the old file (0: at the top)."""

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    removed: tuple[str, ...] = ()  # the old lines this hunk removed or changed, in order


@dataclass(frozen=True, slots=True)
class FunctionSpan:
    qualified_name: str
    start_line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class FixedCode:
    """What one fixing commit changed: files by their path in the parent revision, and per file
    the functions (qualified names, from the parent's spans) its hunks touched."""

    commit: str
    time: int
    outcome: Outcome
    functions: Mapping[str, frozenset[str]]  # path -> qualified names (possibly empty)


@dataclass(frozen=True, slots=True)
class FixTrace:
    """SZZ's answer for one fix: the commits that last touched the lines it removed or changed."""

    fix: str
    origins: frozenset[str]
    reason: str = ""  # why nothing could be traced, empty when ``origins`` is not

    @property
    def traced(self) -> bool:
        return bool(self.origins)


@dataclass(frozen=True, slots=True)
class SzzSummary:
    fixes: int
    traced: int
    origins: int  # distinct bug-introducing commits
    reasons: Mapping[str, int]  # untraced fixes per reason

    @property
    def traced_fraction(self) -> float:
        return self.traced / self.fixes if self.fixes else 0.0


def outcome_of(commit: CommitRecord, settings: LabelSettings) -> Outcome | None:
    """FIX or REVERT for a non-merge commit whose subject says so and that is not a sweep."""
    if commit.is_merge or len(commit.changes) > settings.max_fix_files:
        return None
    is_fix, is_revert = classify_subject(commit.subject, settings.patterns)
    if is_revert:
        return Outcome.REVERT
    return Outcome.FIX if is_fix else None


def fixing_commits(
    commits: Iterable[CommitRecord], settings: LabelSettings
) -> list[tuple[CommitRecord, Outcome]]:
    found = []
    for commit in commits:
        outcome = outcome_of(commit, settings)
        if outcome is not None:
            found.append((commit, outcome))
    return found


def touched_functions(hunks: Iterable[Hunk], spans: Iterable[FunctionSpan]) -> frozenset[str]:
    """The functions (of the old revision) whose lines a change removed or changed, or inside
    whose body it inserted lines. Nested functions count for every function around them."""
    spans = list(spans)
    found: set[str] = set()
    for hunk in hunks:
        for span in spans:
            if hunk.old_lines:
                last = hunk.old_start + hunk.old_lines - 1
                inside = hunk.old_start <= span.end_line and last >= span.start_line
            else:  # inserted after old_start: inside when before the function's last line
                inside = span.start_line <= hunk.old_start < span.end_line
            if inside:
                found.add(span.qualified_name)
    return frozenset(found)


def is_cosmetic(line: str, language: str | None) -> bool:
    """Blank, or only a comment: changing it cannot have fixed the behaviour."""
    text = line.strip()
    if not text:
        return True
    return language is not None and text.startswith(COMMENT_PREFIXES.get(language, ()))


def traceable_lines(hunks: Iterable[Hunk], language: str | None) -> list[int]:
    """Old line numbers of the removed or changed lines that carry code."""
    lines: list[int] = []
    for hunk in hunks:
        for offset, text in enumerate(hunk.removed):
            if not is_cosmetic(text, language):
                lines.append(hunk.old_start + offset)
    return lines


def trace(
    fix: CommitRecord,
    blamed: Sequence[str],
    commits: Mapping[str, CommitRecord],
    settings: LabelSettings,
    had_lines: bool,
) -> FixTrace:
    """The origins of one fix from the commits ``blamed`` for its traceable lines (blame runs
    on the fix's parent, so every one is an ancestor), dropping very large commits."""
    if not had_lines:
        return FixTrace(fix.id, frozenset(), "only added lines or cosmetic changes")
    origins = set()
    too_large = False
    for commit_id in blamed:
        origin = commits.get(commit_id)
        if origin is None:
            continue
        if len(origin.changes) > settings.max_origin_files:
            too_large = True
            continue
        origins.add(commit_id)
    if origins:
        return FixTrace(fix.id, frozenset(origins))
    reason = "blamed only very large commits" if too_large else "blamed lines outside history"
    return FixTrace(fix.id, frozenset(), reason)


def summarise_traces(traces: Sequence[FixTrace]) -> SzzSummary:
    reasons: dict[str, int] = {}
    for item in traces:
        if not item.traced:
            reasons[item.reason] = reasons.get(item.reason, 0) + 1
    return SzzSummary(
        fixes=len(traces),
        traced=sum(1 for item in traces if item.traced),
        origins=len(set().union(*(item.origins for item in traces))) if traces else 0,
        reasons=dict(sorted(reasons.items())),
    )
