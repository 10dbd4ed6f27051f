"""Defect-risk features and labels of a snapshot, per file and per function, pure over data.

A snapshot is a revision at time T: its code metrics, the commits authored up to T, the fixes
labelled up to T (:class:`bmad.extractors.fixes.FixedCode`) and, optionally, its import graph.
Labels are the fixes in a window after T.

History features follow the defect-prediction literature: revisions and churn (Nagappan and
Ball 2005), recent churn, authors, minor contributors and ownership (Bird et al. 2011: a minor
contributor made under 5% of a file's commits), age, prior fixes (Rahman and Devanbu 2013),
and change coupling (the files a file changed together with). Revisions, fixes and churn are
also counted with time decay (each commit weighs 1/2 per :data:`DECAY_HALF_LIFE_MONTHS` of age):
between a lifetime total and a six-month window, they follow what a file is going through now
without resting on the few commits of one window. Merge commits are skipped: their
lines were counted on the branch. A rename carries a file's history to its new path.

Totals grow with a repository's age, so a model trained on younger snapshots meets values at T
outside its training range. Three rates keep their meaning as the repository ages (revisions
per month of the file's life, lines changed per line of code, the file's age as a share of the
repository's); the model can also read every feature relative to its snapshot
(:mod:`bmad.analysis.risk_model`). What bmad's detection said at the snapshot (the ranking's
priority, smell weights, anomaly flags) joins the features when it is given, so that one model
weighs the anomaly score, the smells and the history together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bmad.extractors.fixes import FixedCode
from bmad.extractors.history import (
    SECONDS_PER_DAY,
    SECONDS_PER_MONTH,
    CommitRecord,
    followed_record,
)
from bmad.extractors.metrics import FileMetrics

RECENT_DAYS = 182
MINOR_SHARE = 0.05
MAX_COUPLING_CHANGESET = 30  # code-maat's max-changeset: larger commits say nothing of coupling
# Chosen among 3, 6, 12 and 24 on the benchmark's windows before T (bench/risk/README.md).
DECAY_HALF_LIFE_MONTHS = 12

FILE_CODE_FEATURES = (
    "sloc",
    "functions",
    "max_ccn",
    "sum_ccn",
    "max_cognitive",
    "sum_cognitive",
    "max_nesting",
)
PROCESS_FEATURES = (
    "revisions",
    "churn",
    "recent_revisions",
    "recent_churn",
    "authors",
    "minor_contributors",
    "ownership",
    "age_months",
    "months_since_change",
    "prior_fixes",
    "recent_fixes",
    "coupled_files",
    "decayed_revisions",
    "decayed_fixes",
    "decayed_churn",
)
ARCHITECTURE_FEATURES = ("fan_in", "fan_out", "in_cycle")
RATE_FEATURES = ("revisions_per_month", "churn_per_line", "age_share")
DETECTION_FEATURES = ("priority", "smells", "anomalous")
FILE_FEATURES = (
    FILE_CODE_FEATURES
    + PROCESS_FEATURES
    + ARCHITECTURE_FEATURES
    + RATE_FEATURES
    + DETECTION_FEATURES
)
FUNCTION_CODE_FEATURES = ("nloc", "ccn", "cognitive", "nesting", "params", "tokens")
FUNCTION_FEATURES = (
    *FUNCTION_CODE_FEATURES,
    "function_prior_fixes",
    "file_sloc",
    *PROCESS_FEATURES,
    *RATE_FEATURES,
    *DETECTION_FEATURES,
)


@dataclass(slots=True)
class FileProcess:
    """One file's history up to the snapshot."""

    revisions: int = 0
    churn: int = 0
    recent_revisions: int = 0
    recent_churn: int = 0
    first_change: int = 0
    last_change: int = 0
    prior_fixes: int = 0
    recent_fixes: int = 0
    decayed_revisions: float = 0.0
    decayed_fixes: float = 0.0
    decayed_churn: float = 0.0
    commits_by: dict[str, int] = field(default_factory=dict)
    partners: set[str] = field(default_factory=set)

    @property
    def authors(self) -> int:
        return len(self.commits_by)

    @property
    def minor_contributors(self) -> int:
        return sum(1 for count in self.commits_by.values() if count < MINOR_SHARE * self.revisions)

    @property
    def ownership(self) -> float:
        """The top contributor's share of the commits (1.0 for a file never changed)."""
        return max(self.commits_by.values()) / self.revisions if self.revisions else 1.0


@dataclass(frozen=True, slots=True)
class ModulePosition:
    fan_in: int
    fan_out: int
    in_cycle: bool


@dataclass(frozen=True, slots=True)
class Marks:
    """What bmad's detection said of one file or function at the snapshot."""

    priority: float  # its place in the ranking (smells + anomaly + hotspot)
    smells: float  # severity weights of its smell findings (a file's: its functions' too)
    anomalous: int  # functions the anomaly model flagged (a function: 0 or 1)


NO_MARKS = Marks(0.0, 0.0, 0)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything known at time ``time``."""

    time: int
    code: Mapping[str, FileMetrics]  # by path, the files of the revision
    commits: Sequence[CommitRecord]  # those reachable from the revision; later ones are ignored
    fixes: Sequence[FixedCode]  # fixes labelled so far; later ones are ignored
    modules: Mapping[str, ModulePosition] | None = None  # by path; None: no import graph
    # By (path, None) for a file, (path, qualified name) for a function; None: not detected.
    marks: Mapping[tuple[str, str | None], Marks] | None = None


@dataclass(frozen=True, slots=True)
class RiskRow:
    """One file (``function`` None) or function of a snapshot, with its feature values."""

    path: str
    function: str | None
    start_line: int
    lines: int  # code lines: the effort of reviewing it
    values: tuple[float, ...]


def process_history(
    commits: Iterable[CommitRecord], until: int, fixes: Iterable[str]
) -> dict[str, FileProcess]:
    """Per path, the history of the commits authored up to ``until`` (``fixes``: the ids of
    the fixing commits among them)."""
    fix_ids = frozenset(fixes)
    recent_from = until - RECENT_DAYS * SECONDS_PER_DAY
    half_life = DECAY_HALF_LIFE_MONTHS * SECONDS_PER_MONTH
    files: dict[str, FileProcess] = {}
    ordered = sorted(
        (c for c in commits if c.author_time <= until and not c.is_merge),
        key=lambda c: (c.author_time, c.id),
    )
    for commit in ordered:
        recent = commit.author_time > recent_from
        is_fix = commit.id in fix_ids
        coupled = len(commit.changes) <= MAX_COUPLING_CHANGESET
        weight = 0.5 ** ((until - commit.author_time) / half_life)
        for change in commit.changes:
            history = followed_record(files, change, FileProcess(first_change=commit.author_time))
            if history is None:
                continue
            lines = change.added + change.deleted
            history.revisions += 1
            history.churn += lines
            history.last_change = commit.author_time
            history.commits_by[commit.author] = history.commits_by.get(commit.author, 0) + 1
            history.decayed_revisions += weight
            history.decayed_churn += weight * lines
            if recent:
                history.recent_revisions += 1
                history.recent_churn += lines
            if is_fix:
                history.prior_fixes += 1
                history.decayed_fixes += weight
                history.recent_fixes += recent
            if coupled:
                history.partners.update(c.path for c in commit.changes if c.path != change.path)
    return files


def _process_values(history: FileProcess | None, time: int) -> tuple[float, ...]:
    if history is None:
        return (0, 0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0)
    return (
        history.revisions,
        history.churn,
        history.recent_revisions,
        history.recent_churn,
        history.authors,
        history.minor_contributors,
        history.ownership,
        max(0.0, (time - history.first_change) / SECONDS_PER_MONTH),
        max(0.0, (time - history.last_change) / SECONDS_PER_MONTH),
        history.prior_fixes,
        history.recent_fixes,
        len(history.partners),
        history.decayed_revisions,
        history.decayed_fixes,
        history.decayed_churn,
    )


def _rates(history: FileProcess | None, time: int, sloc: int, born: int) -> tuple[float, ...]:
    if history is None:
        return (0.0, 0.0, 0.0)
    age = max(0.0, (time - history.first_change) / SECONDS_PER_MONTH)
    repository_age = max(0.0, (time - born) / SECONDS_PER_MONTH)
    return (
        history.revisions / max(age, 1.0),
        history.churn / max(sloc, 1),
        age / repository_age if repository_age > 0 else 1.0,
    )


def _marks(snapshot: Snapshot, path: str, function: str | None) -> tuple[float, ...]:
    found = NO_MARKS if snapshot.marks is None else snapshot.marks.get((path, function), NO_MARKS)
    return (found.priority, found.smells, float(found.anomalous))


def _born(snapshot: Snapshot) -> int:
    """When the repository's first commit up to the snapshot was authored."""
    return min(
        (c.author_time for c in snapshot.commits if c.author_time <= snapshot.time),
        default=snapshot.time,
    )


def file_rows(snapshot: Snapshot) -> list[RiskRow]:
    """One row per file of the snapshot, values in :data:`FILE_FEATURES` order."""
    processes = _processes(snapshot)
    born = _born(snapshot)
    rows = []
    for path in sorted(snapshot.code):
        metrics = snapshot.code[path]
        functions = metrics.functions
        code = (
            metrics.sloc,
            len(functions),
            max((f.ccn for f in functions), default=0),
            sum(f.ccn for f in functions),
            max((f.cognitive for f in functions), default=0),
            sum(f.cognitive for f in functions),
            max((f.max_nesting for f in functions), default=0),
        )
        position = snapshot.modules.get(path) if snapshot.modules is not None else None
        architecture = (
            (position.fan_in, position.fan_out, float(position.in_cycle))
            if position is not None
            else (0, 0, 0.0)
        )
        history = processes.get(path)
        values = (
            code
            + _process_values(history, snapshot.time)
            + architecture
            + _rates(history, snapshot.time, metrics.sloc, born)
            + _marks(snapshot, path, None)
        )
        rows.append(RiskRow(path, None, 1, metrics.sloc, tuple(float(v) for v in values)))
    return rows


def function_rows(snapshot: Snapshot) -> list[RiskRow]:
    """One row per function of the snapshot, values in :data:`FUNCTION_FEATURES` order."""
    processes = _processes(snapshot)
    born = _born(snapshot)
    fixed: dict[tuple[str, str], int] = {}
    for fix in snapshot.fixes:
        if fix.time <= snapshot.time:
            for path, names in fix.functions.items():
                for name in names:
                    fixed[(path, name)] = fixed.get((path, name), 0) + 1
    rows = []
    for path in sorted(snapshot.code):
        metrics = snapshot.code[path]
        history = processes.get(path)
        process = _process_values(history, snapshot.time)
        process += _rates(history, snapshot.time, metrics.sloc, born)
        for f in metrics.functions:
            code = (f.nloc, f.ccn, f.cognitive, f.max_nesting, f.params, f.tokens)
            own = (fixed.get((path, f.qualified_name), 0), metrics.sloc)
            marks = _marks(snapshot, path, f.qualified_name)
            values = tuple(float(v) for v in code + own + process + marks)
            rows.append(RiskRow(path, f.qualified_name, f.start_line, f.nloc, values))
    return rows


def _processes(snapshot: Snapshot) -> dict[str, FileProcess]:
    fix_ids = (fix.commit for fix in snapshot.fixes if fix.time <= snapshot.time)
    return process_history(snapshot.commits, snapshot.time, fix_ids)


def fixed_files(fixes: Iterable[FixedCode], after: int, until: int) -> frozenset[str]:
    """Paths changed by a fix authored in (after, until]."""
    return frozenset(path for fix in fixes if after < fix.time <= until for path in fix.functions)


def fixed_functions(
    fixes: Iterable[FixedCode], after: int, until: int
) -> frozenset[tuple[str, str]]:
    """(path, qualified name) of the functions a fix authored in (after, until] changed."""
    return frozenset(
        (path, name)
        for fix in fixes
        if after < fix.time <= until
        for path, names in fix.functions.items()
        for name in names
    )


def labels(
    rows: Sequence[RiskRow], fixes: Sequence[FixedCode], after: int, until: int
) -> list[bool]:
    """Whether a fix in (after, until] changed each row's file or function."""
    files = fixed_files(fixes, after, until)
    functions = fixed_functions(fixes, after, until)
    return [
        (row.path, row.function) in functions if row.function is not None else row.path in files
        for row in rows
    ]
