"""The technology-trend learning types: fixed vocabulary, fixed bins, bounded counts.

Vocabulary (``TREND_VOCABULARY``, version ``TREND_VOCABULARY_VERSION``): the languages bmad
analyses, the CI services and tools ``bmad.extractors.technology`` detects, and the widely
used packages of each ecosystem that the older ``technology_trends`` vocabulary names (the
packages its import prefixes stand for, plus a few common alternatives so that migrations
between them have a bin). A technology outside it is dropped before counting. Adding or
removing an entry, or moving the quarters, bumps every schema below (their versions follow
the vocabulary's), so vectors of two vocabularies are never summed.

Learning types (unit of privacy: the organisation by default, or a repository; sensitivities
for replacing one unit's data by another's):

- ``technology_adoption``: per technology, one block over fixed calendar quarters
  (``<2019``, 2019Q1 .. 2027Q4): 1 in the quarter the unit first showed it (an organisation's
  earliest over its repositories). ``FixedMass(1)`` per block: L1 = 2V, L2 = sqrt(2V) for V
  technologies. Each cell of the sum is a number of organisations, so no participation bits.
- ``technology_survival``: per kind (dependency, language, tool), at-risk and event counts per
  quarter since adoption (``q0`` .. ``q11``, ``q12+``) of the unit's episodes along its
  mainline, at most ``SURVIVAL_EPISODES`` episodes per kind (sampled with ``secrets``);
  ``BinCap(SURVIVAL_EPISODES)`` per cell. Kaplan-Meier curves come from the summed counts.
- ``technology_migrations``: per category, one 0/1 cell per ordered pair of its technologies
  (``flake8>ruff``): the unit replaced the first by the second. ``BinCap(1)``: L1 = L2^2 =
  the number of pairs. Cells are organisation counts; pairs are released from k.
- ``tool_effectiveness``: per tool or practice and outcome (fix ratio below
  ``LOW_FIX_RATIO``, revert ratio below ``LOW_REVERT_RATIO``), a 2x2 contingency table, one
  count per unit (``FixedMass(1)``): L1 = 2 per table, L2 = sqrt(2 x tables).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from itertools import permutations

from bmad.extractors.languages import LANGUAGE_NAMES
from bmad.extractors.technology import KINDS, TOOL_CATEGORIES, Technology
from bmad.privacy.bounding import BinCap, Block, ContributionSchema, FixedMass
from bmad.privacy.summaries import TrendSummary

TREND_VOCABULARY_VERSION = 1
FIRST_QUARTER_YEAR = 2019
LAST_QUARTER_YEAR = 2027
SURVIVAL_QUARTERS = 12
SURVIVAL_EPISODES = 8
LOW_FIX_RATIO = 0.15
LOW_REVERT_RATIO = 0.02
PRACTICES: tuple[str, ...] = ("practice:tests_present", "practice:review_via_merges")
OUTCOMES: tuple[str, ...] = ("low_fix_ratio", "low_revert_ratio")
CELLS: tuple[str, ...] = ("with+good", "with+bad", "without+good", "without+bad")

_DEPENDENCIES: tuple[str, ...] = (
    "pypi:numpy",
    "pypi:pandas",
    "pypi:django",
    "pypi:flask",
    "pypi:fastapi",
    "pypi:requests",
    "pypi:httpx",
    "pypi:aiohttp",
    "pypi:sqlalchemy",
    "pypi:torch",
    "pypi:tensorflow",
    "pypi:scikit-learn",
    "pypi:pydantic",
    "pypi:click",
    "pypi:typer",
    "pypi:celery",
    "pypi:boto3",
    "npm:react",
    "npm:vue",
    "npm:@angular/core",
    "npm:svelte",
    "npm:express",
    "npm:next",
    "npm:lodash",
    "npm:axios",
    "npm:moment",
    "npm:dayjs",
    "npm:jest",
    "npm:mocha",
    "npm:vitest",
    "go:github.com/gin-gonic/gin",
    "go:github.com/spf13/cobra",
    "go:google.golang.org/grpc",
    "go:gorm.io/gorm",
    "crates:tokio",
    "crates:serde",
    "crates:actix-web",
    "crates:clap",
    "maven:junit:junit",
    "maven:org.junit.jupiter:junit-jupiter",
    "rubygems:rails",
    "rubygems:rspec",
    "rubygems:sinatra",
    "nuget:newtonsoft.json",
    "nuget:xunit",
)

TREND_VOCABULARY: tuple[str, ...] = (
    *(f"language:{name}" for name in LANGUAGE_NAMES),
    *(f"tool:{name}" for name in TOOL_CATEGORIES),
    *(f"dependency:{name}" for name in _DEPENDENCIES),
)
_KNOWN = frozenset(TREND_VOCABULARY)


def quarter_labels() -> tuple[str, ...]:
    return (
        f"<{FIRST_QUARTER_YEAR}",
        *(
            f"{year}Q{quarter}"
            for year in range(FIRST_QUARTER_YEAR, LAST_QUARTER_YEAR + 1)
            for quarter in (1, 2, 3, 4)
        ),
    )


QUARTERS = quarter_labels()


def quarter_bin(quarter: str) -> int | None:
    """Index of a ``YYYYQn`` quarter among ``QUARTERS`` (None after the last one)."""
    if quarter in QUARTERS:
        return QUARTERS.index(quarter)
    return 0 if quarter < QUARTERS[1] else None


def _migration_pairs() -> dict[str, tuple[str, ...]]:
    by_category: dict[str, list[str]] = {}
    for key in TREND_VOCABULARY:
        technology = Technology.from_key(key)
        by_category.setdefault(f"{technology.kind}:{technology.category}", []).append(key)
    return {
        category: tuple(f"{a}>{b}" for a, b in permutations(keys, 2))
        for category, keys in by_category.items()
        if len(keys) > 1
    }


MIGRATION_PAIRS = _migration_pairs()
EFFECT_FACTORS: tuple[str, ...] = (*(f"tool:{name}" for name in TOOL_CATEGORIES), *PRACTICES)
SURVIVAL_LABELS: tuple[str, ...] = (
    *(f"q{index}" for index in range(SURVIVAL_QUARTERS)),
    f"q{SURVIVAL_QUARTERS}+",
)

TECHNOLOGY_ADOPTION = ContributionSchema(
    learning_type="technology_adoption",
    version=TREND_VOCABULARY_VERSION,
    blocks=tuple(Block(key, QUARTERS, FixedMass(1)) for key in TREND_VOCABULARY),
    definitions=(
        ("vocabulary", f"{len(TREND_VOCABULARY)} technologies, version {TREND_VOCABULARY_VERSION}"),
        ("bins", "calendar quarter of the first commit showing the technology (author time)"),
    ),
)
TECHNOLOGY_SURVIVAL = ContributionSchema(
    learning_type="technology_survival",
    version=TREND_VOCABULARY_VERSION,
    blocks=tuple(
        Block(f"{kind}:{series}", SURVIVAL_LABELS, BinCap(SURVIVAL_EPISODES))
        for kind in KINDS
        for series in ("at_risk", "events")
    ),
    definitions=(
        ("at_risk", "episodes (addition to removal along the mainline) lasting >= q quarters"),
        ("events", "episodes removed in quarter q after their addition"),
        ("cap", f"at most {SURVIVAL_EPISODES} episodes per kind, sampled with secrets"),
    ),
)
TECHNOLOGY_MIGRATIONS = ContributionSchema(
    learning_type="technology_migrations",
    version=TREND_VOCABULARY_VERSION,
    blocks=tuple(Block(category, pairs, BinCap(1)) for category, pairs in MIGRATION_PAIRS.items()),
    definitions=(
        ("pairs", "ordered pairs of one category's technologies: the first replaced by the second"),
    ),
)
TOOL_EFFECTIVENESS = ContributionSchema(
    learning_type="tool_effectiveness",
    version=TREND_VOCABULARY_VERSION,
    blocks=tuple(
        Block(f"{factor}x{outcome}", CELLS, FixedMass(1))
        for factor in EFFECT_FACTORS
        for outcome in OUTCOMES
    ),
    definitions=(
        ("tools", "present at the tip of the analysed revision"),
        ("low_fix_ratio", f"fix commits < {LOW_FIX_RATIO:.0%} of commits"),
        ("low_revert_ratio", f"revert commits < {LOW_REVERT_RATIO:.0%} of commits"),
    ),
)
TREND_SCHEMAS: tuple[ContributionSchema, ...] = (
    TECHNOLOGY_ADOPTION,
    TECHNOLOGY_SURVIVAL,
    TECHNOLOGY_MIGRATIONS,
    TOOL_EFFECTIVENESS,
)
TREND_LEARNING_TYPES: tuple[str, ...] = tuple(schema.learning_type for schema in TREND_SCHEMAS)
# Learning types whose every cell already counts units (one-hot or 0/1 per unit): the sum is
# its own per-bin organisation count, so rounds send no participation bits for them.
COUNTING_TYPES: frozenset[str] = frozenset(
    ("technology_adoption", "technology_migrations", "tool_effectiveness")
)


def in_vocabulary(keys: Iterable[str]) -> frozenset[str]:
    return frozenset(key for key in keys if key in _KNOWN)


def adoption_counts(summary: TrendSummary) -> list[list[int]]:
    blocks: list[list[int]] = []
    for key in TREND_VOCABULARY:
        cells = [0] * len(QUARTERS)
        quarter = summary.first_adoption.get(key)
        index = None if quarter is None else quarter_bin(quarter)
        if index is not None:
            cells[index] = 1
        blocks.append(cells)
    return blocks


def survival_counts(summary: TrendSummary) -> list[list[int]]:
    blocks: list[list[int]] = []
    for kind in KINDS:
        episodes = [(quarters, removed) for k, quarters, removed in summary.survival if k == kind]
        if len(episodes) > SURVIVAL_EPISODES:
            episodes = secrets.SystemRandom().sample(episodes, SURVIVAL_EPISODES)
        at_risk = [0] * len(SURVIVAL_LABELS)
        events = [0] * len(SURVIVAL_LABELS)
        for quarters, removed in episodes:
            last = min(quarters, SURVIVAL_QUARTERS)
            for index in range(last + 1):
                at_risk[index] += 1
            if removed:
                events[last] += 1
        blocks.extend((at_risk, events))
    return blocks


def migration_counts(summary: TrendSummary) -> list[list[int]]:
    done = {f"{old}>{new}" for old, new in summary.migrations}
    return [[1 if pair in done else 0 for pair in pairs] for pairs in MIGRATION_PAIRS.values()]


def effectiveness_counts(summary: TrendSummary) -> list[list[int]]:
    outcomes = {
        "low_fix_ratio": None if summary.fix_ratio is None else summary.fix_ratio < LOW_FIX_RATIO,
        "low_revert_ratio": (
            None if summary.revert_ratio is None else summary.revert_ratio < LOW_REVERT_RATIO
        ),
    }
    blocks: list[list[int]] = []
    for factor in EFFECT_FACTORS:
        has = factor in summary.factors
        for outcome in OUTCOMES:
            cells = [0] * len(CELLS)
            good = outcomes[outcome]
            if good is not None:
                cells[(0 if has else 2) + (0 if good else 1)] = 1
            blocks.append(cells)
    return blocks


def trend_counts(
    learning_type: str, summary: TrendSummary | None
) -> Sequence[Sequence[int]] | None:
    if summary is None:
        return None
    builders = {
        "technology_adoption": adoption_counts,
        "technology_survival": survival_counts,
        "technology_migrations": migration_counts,
        "tool_effectiveness": effectiveness_counts,
    }
    return builders[learning_type](summary)
