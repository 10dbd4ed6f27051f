"""Plain inputs of the contribution schemas, filled by the components that own the data.

The privacy layer depends on these small dataclasses only, not on the internals of the history
miner, the architecture lens or the anti-pattern detector. Every field is already a statistic:
no path, identifier, author or message is carried, so nothing identifying can reach a vector.
Code metrics come straight from :class:`bmad.extractors.metrics.FileMetrics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bmad.extractors.metrics import FileMetrics


@dataclass(frozen=True, slots=True)
class AntiPatternSummary:
    """Findings of the anti-pattern detector: smell rule id -> number of findings."""

    smell_counts: Mapping[str, int]
    functions_analysed: int
    anomalous_functions: int  # flagged by the IsolationForest


@dataclass(frozen=True, slots=True)
class WorkflowSummary:
    """From the history miner."""

    commit_sizes: Sequence[int]  # lines added + deleted, one entry per non-merge commit
    fix_commits: int
    total_commits: int
    coupling_degrees: Sequence[float]  # code-maat degree (0-100) of each coupled pair
    ownership_shares: Sequence[float]  # per file: the main developer's share of lines (0-1)


@dataclass(frozen=True, slots=True)
class ArchitectureSummary:
    """From the architecture lens: one entry per module, one per cycle (SCC of size >= 2)."""

    instabilities: Sequence[float]  # Ce / (Ca + Ce), modules with Ca + Ce > 0
    cycle_sizes: Sequence[int]
    fan_in: Sequence[int]
    fan_out: Sequence[int]


@dataclass(frozen=True, slots=True)
class FindingSummary:
    """One finding reduced to what may be counted: its rule id."""

    rule_id: str


@dataclass(frozen=True, slots=True)
class SuccessSummary:
    """Practices (from the file list and history) and outcomes (from history); None = unknown."""

    has_tests: bool
    has_ci: bool
    has_type_checking: bool
    merge_share: float | None = None  # merge commits / commits
    fix_ratio: float | None = None  # fix commits / commits
    active_months_last_year: int | None = None  # months with >= 1 commit in the last 12


@dataclass(frozen=True, slots=True)
class ContributorWork:
    """One developer's part of a repository, for the contributor unit of privacy
    (``bmad.privacy.contributors`` says how work is attributed).

    ``key`` only groups one developer's work across this machine's repositories (a digest
    keyed with a per-process secret); it never reaches a vector."""

    key: str
    files: Sequence[FileMetrics] = field(default=())
    workflow: WorkflowSummary | None = None


@dataclass(frozen=True, slots=True)
class TrendSummary:
    """From the technology history (``bmad.scanning.trends``), already reduced to the trend
    vocabulary (``bmad.privacy.trend_schemas``): no other dependency name is carried."""

    first_adoption: Mapping[str, str]  # technology -> quarter (YYYYQn) it first showed
    survival: Sequence[tuple[str, int, bool]]  # per episode: kind, quarters, removed
    migrations: frozenset[tuple[str, str]]  # (replaced, replacement)
    factors: frozenset[str]  # tools and practices at the tip
    fix_ratio: float | None = None
    revert_ratio: float | None = None


@dataclass(frozen=True, slots=True)
class LocalStatistics:
    """Everything a participant may contribute; a learning type without its input is skipped."""

    files: Sequence[FileMetrics] = field(default=())
    anti_patterns: AntiPatternSummary | None = None
    workflow: WorkflowSummary | None = None
    architecture: ArchitectureSummary | None = None
    success: SuccessSummary | None = None
    contributors: Sequence[ContributorWork] = field(default=())
    trends: TrendSummary | None = None


def anti_pattern_summary(
    findings: Iterable[FindingSummary], functions_analysed: int, anomalous_functions: int
) -> AntiPatternSummary:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.rule_id] = counts.get(finding.rule_id, 0) + 1
    return AntiPatternSummary(counts, functions_analysed, anomalous_functions)


_TEST_DIRS = {"test", "tests", "spec", "specs", "__tests__", "testing"}
_CI_FILES = {
    ".gitlab-ci.yml",
    ".travis.yml",
    "jenkinsfile",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    "appveyor.yml",
}
_CI_DIRS = {(".github", "workflows"), (".circleci",), (".buildkite",)}
_TYPE_CHECK_FILES = {"mypy.ini", ".mypy.ini", "pyrightconfig.json", "tsconfig.json", "py.typed"}


def _is_test_path(parts: tuple[str, ...]) -> bool:
    name = parts[-1].lower()
    stem = name.rsplit(".", 1)[0]
    return (
        any(part.lower() in _TEST_DIRS for part in parts[:-1])
        or stem.startswith("test_")
        or stem.endswith(("_test", "_spec", ".test", ".spec", "tests"))
        or (name.endswith(".java") and stem.endswith("test"))
    )


def _is_ci_path(parts: tuple[str, ...]) -> bool:
    lowered = tuple(part.lower() for part in parts)
    return lowered[-1] in _CI_FILES or any(lowered[: len(d)] == d for d in _CI_DIRS)


def practices_from_paths(paths: Iterable[str]) -> tuple[bool, bool, bool]:
    """(tests present, CI configured, type checking configured) from repository paths.

    The paths are read locally and never leave the machine; only the three booleans do.
    """
    tests = ci = typing = False
    for path in paths:
        parts = PurePosixPath(path.replace("\\", "/")).parts
        if not parts:
            continue
        tests = tests or _is_test_path(parts)
        ci = ci or _is_ci_path(parts)
        typing = typing or parts[-1].lower() in _TYPE_CHECK_FILES
    return tests, ci, typing
