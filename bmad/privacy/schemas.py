"""The contribution schemas, one per learning type, and the pure functions that fill them.

Each schema is versioned: any change to bins, vocabulary, bounds or definitions bumps the
version. Bins are fixed (never derived from the data), and every value that reaches a vector
is a count over those bins, so labels and vectors carry no identifier of any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bmad.errors import BmadError
from bmad.extractors.languages import LANGUAGE_NAMES
from bmad.extractors.metrics import FileMetrics, FunctionMetrics
from bmad.privacy.bounding import BinCap, Block, ContributionSchema, FixedMass
from bmad.privacy.risk_schema import RISK_SCHEMA
from bmad.privacy.summaries import (
    AntiPatternSummary,
    ArchitectureSummary,
    LocalStatistics,
    SuccessSummary,
    WorkflowSummary,
)
from bmad.privacy.trend_schemas import TREND_LEARNING_TYPES, TREND_SCHEMAS, trend_counts

HISTOGRAM_MASS = 100  # every histogram block is rescaled to this mass per participant
TABLE_MASS = 1  # a contingency table cell: one participant, one count

# -- binning -------------------------------------------------------------------------------

LOG2_EDGES: tuple[int, ...] = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256)


def edge_labels(edges: Sequence[float]) -> tuple[str, ...]:
    labels = []
    for index, low in enumerate(edges):
        if index + 1 == len(edges):
            labels.append(f">={low:g}")
            continue
        high = edges[index + 1]
        if isinstance(low, int) and isinstance(high, int) and high - low == 1:
            labels.append(f"{low}")
        elif isinstance(low, int) and isinstance(high, int):
            labels.append(f"{low}-{high - 1}")
        else:
            labels.append(f"[{low:g},{high:g})")
    return tuple(labels)


def bin_index(value: float, edges: Sequence[float]) -> int:
    """Index of the bin [edges[i], edges[i+1]) holding ``value``; values below edges[0] go to 0."""
    index = 0
    for position, low in enumerate(edges):
        if value >= low:
            index = position
    return index


def _histogram(values: Iterable[float], edges: Sequence[float]) -> list[int]:
    counts = [0] * len(edges)
    for value in values:
        counts[bin_index(value, edges)] += 1
    return counts


def _one_hot(value: float | None, edges: Sequence[float]) -> list[int]:
    counts = [0] * len(edges)
    if value is not None:
        counts[bin_index(value, edges)] = 1
    return counts


# -- code_patterns -------------------------------------------------------------------------

CODE_METRICS: tuple[str, ...] = ("nloc", "ccn", "cognitive", "max_nesting", "params")
# Bins placed where users look: one per value where the p50-p99 of real functions lie (measured
# on 138k Python functions of installed packages and the standard library, bench/privacy/
# utility.py), wider in the tails. Version 1 had log2 bins (0, 1, 2-3, 4-7, ...) for seven
# metrics; tokens and returns are no longer released (the standings never used them), which
# leaves each released metric more of the budget.
CODE_EDGES: dict[str, tuple[int, ...]] = {
    "nloc": (
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        8,
        10,
        12,
        14,
        17,
        20,
        24,
        28,
        33,
        40,
        50,
        60,
        70,
        85,
        100,
        130,
        170,
        250,
        400,
    ),
    "ccn": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 17, 20, 25, 30, 40, 60),
    "cognitive": (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 19, 22, 26, 30, 36, 45, 60, 80, 120),
    "max_nesting": (0, 1, 2, 3, 4, 5, 6, 7, 8),
    "params": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20),
}


def _code_labels(metric: str) -> tuple[str, ...]:
    labels = edge_labels(CODE_EDGES[metric])
    return tuple(f"{language}:{label}" for language in LANGUAGE_NAMES for label in labels)


CODE_PATTERNS = ContributionSchema(
    learning_type="code_patterns",
    version=2,
    blocks=tuple(
        Block(metric, _code_labels(metric), FixedMass(HISTOGRAM_MASS)) for metric in CODE_METRICS
    ),
    definitions=(
        ("bins", "per metric and language, one bin per value over the p50-p99 of real code"),
        ("bound", f"each metric's histogram rescaled to {HISTOGRAM_MASS} per unit"),
    ),
)


def code_record_counts(records: Iterable[tuple[str, FunctionMetrics]]) -> list[list[int]]:
    """Per metric block, the bin counts of (language, function) records; other languages vanish."""
    blocks = [[0] * len(block.labels) for block in CODE_PATTERNS.blocks]
    for language, function in records:
        if language not in LANGUAGE_NAMES:
            continue
        position = LANGUAGE_NAMES.index(language)
        for block, metric in zip(blocks, CODE_METRICS, strict=True):
            edges = CODE_EDGES[metric]
            block[position * len(edges) + bin_index(getattr(function, metric), edges)] += 1
    return blocks


def code_records(files: Iterable[FileMetrics]) -> list[tuple[str, FunctionMetrics]]:
    return [(file.language, function) for file in files for function in file.functions]


def code_pattern_counts(files: Iterable[FileMetrics]) -> list[list[int]]:
    return code_record_counts(code_records(files))


# -- anti_patterns -------------------------------------------------------------------------

SMELLS: tuple[str, ...] = (
    "complex_method",
    "high_cognitive_complexity",
    "deep_nesting",
    "long_parameter_list",
    "large_method",
    "complex_conditional",
    "hotspot",
    "change_coupled_across_modules",
    "knowledge_island",
    "cyclic_dependency",
    "hub_module",
    "layer_violation",
    "other",
)
ANOMALY_SHARE_EDGES: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2)

ANTI_PATTERNS = ContributionSchema(
    learning_type="anti_patterns",
    version=1,
    blocks=(
        Block("smells", SMELLS, FixedMass(HISTOGRAM_MASS)),
        Block("anomaly_share", edge_labels(ANOMALY_SHARE_EDGES), FixedMass(HISTOGRAM_MASS)),
    ),
    definitions=(
        ("smells", "share of findings per smell rule; rules outside the list count as other"),
        ("anomaly_share", "share of analysed functions the IsolationForest flags"),
    ),
)


def normalise_rule_id(rule_id: str) -> str:
    name = rule_id.strip().lower().replace("-", "_").replace(" ", "_")
    return name if name in SMELLS else "other"


def anti_pattern_counts(summary: AntiPatternSummary) -> list[list[int]]:
    smells = [0] * len(SMELLS)
    for rule_id, count in summary.smell_counts.items():
        smells[SMELLS.index(normalise_rule_id(rule_id))] += max(0, count)
    share = (
        summary.anomalous_functions / summary.functions_analysed
        if summary.functions_analysed > 0
        else None
    )
    return [smells, _one_hot(share, ANOMALY_SHARE_EDGES)]


# -- workflow_patterns ---------------------------------------------------------------------

COMMIT_SIZE_EDGES: tuple[int, ...] = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
FIX_RATIO_EDGES: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
COUPLING_EDGES: tuple[float, ...] = (30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)
OWNERSHIP_EDGES: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 0.95)

WORKFLOW_PATTERNS = ContributionSchema(
    learning_type="workflow_patterns",
    version=1,
    blocks=(
        Block("commit_size", edge_labels(COMMIT_SIZE_EDGES), FixedMass(HISTOGRAM_MASS)),
        Block("fix_ratio", edge_labels(FIX_RATIO_EDGES), FixedMass(HISTOGRAM_MASS)),
        Block("coupling_degree", edge_labels(COUPLING_EDGES), FixedMass(HISTOGRAM_MASS)),
        Block("ownership", edge_labels(OWNERSHIP_EDGES), FixedMass(HISTOGRAM_MASS)),
    ),
    definitions=(
        ("commit_size", "lines added + deleted per non-merge commit"),
        ("fix_ratio", "fix commits / commits, from commit subjects"),
        ("coupling_degree", "code-maat coupling degree of each coupled file pair (>= 30)"),
        ("ownership", "main developer's share of each file's lines"),
    ),
)


def workflow_counts(summary: WorkflowSummary) -> list[list[int]]:
    fix_ratio = summary.fix_commits / summary.total_commits if summary.total_commits > 0 else None
    return [
        _histogram(summary.commit_sizes, COMMIT_SIZE_EDGES),
        _one_hot(fix_ratio, FIX_RATIO_EDGES),
        _histogram((d for d in summary.coupling_degrees if d >= COUPLING_EDGES[0]), COUPLING_EDGES),
        _histogram(summary.ownership_shares, OWNERSHIP_EDGES),
    ]


# -- architecture_patterns -----------------------------------------------------------------

INSTABILITY_EDGES: tuple[float, ...] = tuple(i / 10 for i in range(10))
CYCLE_SIZE_EDGES: tuple[int, ...] = (2, 3, 4, 6, 11, 21)
FAN_EDGES: tuple[int, ...] = (0, 1, 2, 4, 8, 16, 32)

ARCHITECTURE_PATTERNS = ContributionSchema(
    learning_type="architecture_patterns",
    version=1,
    blocks=(
        Block("instability", edge_labels(INSTABILITY_EDGES), FixedMass(HISTOGRAM_MASS)),
        Block("cycle_size", edge_labels(CYCLE_SIZE_EDGES), FixedMass(HISTOGRAM_MASS)),
        Block("fan_in", edge_labels(FAN_EDGES), FixedMass(HISTOGRAM_MASS)),
        Block("fan_out", edge_labels(FAN_EDGES), FixedMass(HISTOGRAM_MASS)),
    ),
    definitions=(
        ("instability", "Ce / (Ca + Ce) per module, in tenths"),
        ("cycle_size", "modules per import cycle (strongly connected component of size >= 2)"),
        ("fan_in", "Ca: modules importing the module"),
        ("fan_out", "Ce: modules the module imports"),
    ),
)


def architecture_counts(summary: ArchitectureSummary) -> list[list[int]]:
    return [
        _histogram(summary.instabilities, INSTABILITY_EDGES),
        _histogram((s for s in summary.cycle_sizes if s >= 2), CYCLE_SIZE_EDGES),
        _histogram(summary.fan_in, FAN_EDGES),
        _histogram(summary.fan_out, FAN_EDGES),
    ]


# -- technology_trends ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Technology:
    name: str
    languages: tuple[str, ...]
    prefixes: tuple[str, ...]  # import targets that name it, matched on whole components

    def matches(self, language: str, target: str) -> bool:
        if language not in self.languages:
            return False
        return any(
            target == prefix or target.startswith((prefix + ".", prefix + "/", prefix + "::"))
            for prefix in self.prefixes
        )


_PY = ("python",)
_JS = ("javascript", "typescript", "tsx")
_C = ("c", "cpp")

VOCABULARY: tuple[Technology, ...] = (
    Technology("numpy", _PY, ("numpy",)),
    Technology("pandas", _PY, ("pandas",)),
    Technology("django", _PY, ("django",)),
    Technology("flask", _PY, ("flask",)),
    Technology("fastapi", _PY, ("fastapi",)),
    Technology("requests", _PY, ("requests",)),
    Technology("pytest", _PY, ("pytest",)),
    Technology("sqlalchemy", _PY, ("sqlalchemy",)),
    Technology("pytorch", _PY, ("torch",)),
    Technology("tensorflow", _PY, ("tensorflow",)),
    Technology("scikit-learn", _PY, ("sklearn",)),
    Technology("pydantic", _PY, ("pydantic",)),
    Technology("click", _PY, ("click",)),
    Technology("celery", _PY, ("celery",)),
    Technology("boto3", _PY, ("boto3", "botocore")),
    Technology("react", _JS, ("react", "react-dom")),
    Technology("vue", _JS, ("vue",)),
    Technology("angular", _JS, ("@angular/core",)),
    Technology("express", _JS, ("express",)),
    Technology("lodash", _JS, ("lodash",)),
    Technology("jest", _JS, ("jest", "@jest/globals")),
    Technology("next", _JS, ("next",)),
    Technology("axios", _JS, ("axios",)),
    Technology("svelte", _JS, ("svelte",)),
    Technology("gin", ("go",), ("github.com/gin-gonic/gin",)),
    Technology("cobra", ("go",), ("github.com/spf13/cobra",)),
    Technology("grpc-go", ("go",), ("google.golang.org/grpc",)),
    Technology("gorm", ("go",), ("gorm.io/gorm",)),
    Technology("tokio", ("rust",), ("tokio",)),
    Technology("serde", ("rust",), ("serde", "serde_json")),
    Technology("actix-web", ("rust",), ("actix_web",)),
    Technology("clap", ("rust",), ("clap",)),
    Technology("spring", ("java",), ("org.springframework",)),
    Technology("junit", ("java",), ("org.junit",)),
    Technology("hibernate", ("java",), ("org.hibernate",)),
    Technology("guava", ("java",), ("com.google.common",)),
    Technology("rails", ("ruby",), ("rails",)),
    Technology("rspec", ("ruby",), ("rspec",)),
    Technology("sinatra", ("ruby",), ("sinatra",)),
    Technology("aspnetcore", ("csharp",), ("Microsoft.AspNetCore",)),
    Technology("entity-framework", ("csharp",), ("Microsoft.EntityFrameworkCore",)),
    Technology("xunit", ("csharp",), ("Xunit",)),
    Technology("newtonsoft-json", ("csharp",), ("Newtonsoft.Json",)),
    Technology("boost", _C, ("boost",)),
    Technology("googletest", _C, ("gtest",)),
    Technology("openssl", _C, ("openssl",)),
)

TECHNOLOGY_TRENDS = ContributionSchema(
    learning_type="technology_trends",
    version=1,
    blocks=(Block("dependencies", tuple(t.name for t in VOCABULARY), FixedMass(HISTOGRAM_MASS)),),
    definitions=(
        (
            "dependencies",
            "which of the schema's fixed vocabulary the code imports; any other "
            "import is dropped before counting",
        ),
    ),
)


def technologies_used(files: Iterable[FileMetrics]) -> frozenset[str]:
    """Vocabulary names the files import; import targets outside the vocabulary vanish here."""
    used: set[str] = set()
    for file in files:
        for ref in file.imports:
            if ref.dynamic or ref.level:
                continue
            for technology in VOCABULARY:
                if technology.matches(file.language, ref.target):
                    used.add(technology.name)
    return frozenset(used)


def technology_counts(files: Iterable[FileMetrics]) -> list[list[int]]:
    used = technologies_used(files)
    return [[1 if technology.name in used else 0 for technology in VOCABULARY]]


# -- success_patterns ----------------------------------------------------------------------

PRACTICES: tuple[str, ...] = ("tests_present", "ci_config", "type_checking", "review_via_merges")
OUTCOMES: tuple[str, ...] = ("low_fix_ratio", "sustained_activity")
REVIEW_MERGE_SHARE = 0.1
LOW_FIX_RATIO = 0.15
SUSTAINED_MONTHS = 6
_CELLS = ("practice+outcome+", "practice+outcome-", "practice-outcome+", "practice-outcome-")

SUCCESS_PATTERNS = ContributionSchema(
    learning_type="success_patterns",
    version=1,
    blocks=tuple(
        Block(f"{practice}x{outcome}", _CELLS, FixedMass(TABLE_MASS))
        for practice in PRACTICES
        for outcome in OUTCOMES
    ),
    definitions=(
        ("tests_present", "test files or test folders exist"),
        ("ci_config", "a CI configuration exists (.github/workflows, .gitlab-ci.yml, ...)"),
        ("type_checking", "a type checker is configured (mypy.ini, tsconfig.json, py.typed, ...)"),
        ("review_via_merges", f"merge commits are >= {REVIEW_MERGE_SHARE:.0%} of commits"),
        ("low_fix_ratio", f"fix commits are < {LOW_FIX_RATIO:.0%} of commits"),
        ("sustained_activity", f"commits in >= {SUSTAINED_MONTHS} of the last 12 months"),
        ("cells", "one count per practice x outcome pair; unknown values leave the pair empty"),
    ),
)


def success_counts(summary: SuccessSummary) -> list[list[int]]:
    practices: dict[str, bool | None] = {
        "tests_present": summary.has_tests,
        "ci_config": summary.has_ci,
        "type_checking": summary.has_type_checking,
        "review_via_merges": (
            None if summary.merge_share is None else summary.merge_share >= REVIEW_MERGE_SHARE
        ),
    }
    outcomes: dict[str, bool | None] = {
        "low_fix_ratio": None if summary.fix_ratio is None else summary.fix_ratio < LOW_FIX_RATIO,
        "sustained_activity": (
            None
            if summary.active_months_last_year is None
            else summary.active_months_last_year >= SUSTAINED_MONTHS
        ),
    }
    blocks = []
    for practice in PRACTICES:
        for outcome in OUTCOMES:
            cells = [0] * len(_CELLS)
            has, good = practices[practice], outcomes[outcome]
            if has is not None and good is not None:
                cells[(0 if has else 2) + (0 if good else 1)] = 1
            blocks.append(cells)
    return blocks


# -- registry ------------------------------------------------------------------------------

SCHEMAS: dict[str, ContributionSchema] = {
    schema.learning_type: schema
    for schema in (
        CODE_PATTERNS,
        ANTI_PATTERNS,
        WORKFLOW_PATTERNS,
        ARCHITECTURE_PATTERNS,
        TECHNOLOGY_TRENDS,
        SUCCESS_PATTERNS,
        RISK_SCHEMA,
        *TREND_SCHEMAS,
    )
}
LEARNING_TYPES: tuple[str, ...] = tuple(SCHEMAS)
# Learning types whose vector is not built from a repository's statistics but inside a round
# (the risk model's gradient at the round's model): no preview or export holds them.
ROUND_ONLY_TYPES: frozenset[str] = frozenset({RISK_SCHEMA.learning_type})


def schema_for(learning_type: str) -> ContributionSchema:
    try:
        return SCHEMAS[learning_type]
    except KeyError:
        known = ", ".join(LEARNING_TYPES)
        raise BmadError(f"unknown learning type {learning_type!r} (known: {known})") from None


def _raw_counts(learning_type: str, stats: LocalStatistics) -> Sequence[Sequence[float]] | None:
    if learning_type in TREND_LEARNING_TYPES:
        return trend_counts(learning_type, stats.trends)
    builders: dict[str, Callable[[], Sequence[Sequence[float]] | None]] = {
        "code_patterns": lambda: code_pattern_counts(stats.files) if stats.files else None,
        "anti_patterns": lambda: (
            anti_pattern_counts(stats.anti_patterns) if stats.anti_patterns else None
        ),
        "workflow_patterns": lambda: workflow_counts(stats.workflow) if stats.workflow else None,
        "architecture_patterns": lambda: (
            architecture_counts(stats.architecture) if stats.architecture else None
        ),
        "technology_trends": lambda: technology_counts(stats.files) if stats.files else None,
        "success_patterns": lambda: success_counts(stats.success) if stats.success else None,
        # Its vector is a gradient at a round's model: built in rounds (federation.risk_rounds).
        RISK_SCHEMA.learning_type: lambda: None,
    }
    return builders[learning_type]()


def participation_schema(schema: ContributionSchema) -> ContributionSchema:
    """The 0/1 "this participant has data in this bin" layout of a schema.

    Summed over participants (with noise) it gives the noisy count of distinct participants per
    cell that the k-participants release rule needs. Each bin is capped at 1, so its
    sensitivities are the dimension (L1) and its square root (L2).
    """
    return ContributionSchema(
        learning_type=f"{schema.learning_type}.participation",
        version=schema.version,
        blocks=tuple(Block(block.name, block.labels, BinCap(1)) for block in schema.blocks),
        definitions=(("participation", "1 in every bin where the participant's vector is > 0"),),
    )


def participation_vector(vector: Sequence[int]) -> tuple[int, ...]:
    return tuple(1 if value > 0 else 0 for value in vector)


@dataclass(frozen=True, slots=True)
class BoundedContribution:
    schema: ContributionSchema
    vector: tuple[int, ...]


def bounded_contribution(learning_type: str, stats: LocalStatistics) -> BoundedContribution | None:
    """The participant's bounded vector for one learning type, or None without its input."""
    schema = schema_for(learning_type)
    raw = _raw_counts(learning_type, stats)
    if raw is None:
        return None
    return BoundedContribution(schema, schema.bound(raw))
