"""The technology-trend learning types: fixed vocabulary, fixed bins, bounded counts.

Vocabulary (``TREND_VOCABULARY``, version ``TREND_VOCABULARY_VERSION``): the languages bmad
analyses, the CI services and tools ``bmad.extractors.technology`` detects, and the widely
used packages of each ecosystem that the older ``technology_trends`` vocabulary names (the
packages its import prefixes stand for, plus a few common alternatives so that migrations
between them have a bin). A technology outside it is dropped before counting. Adding or
removing an entry, or moving the periods or caps, bumps every schema below (their versions follow
the vocabulary's), so vectors of two vocabularies are never summed.

Learning types (unit of privacy: the organisation by default, or a repository; sensitivities
for replacing one unit's data by another's). Each unit's report is capped across its whole
vector (``TotalCappedSchema``: cells at most c summing to at most T give L1 = 2T and
L2 = sqrt(2Tc)), so a wide vocabulary no longer widens the noise:

- ``technology_adoption``: per technology, ``adopted`` and one cell per calendar year
  (``<2019``, 2019 .. 2027) holding 1 in the year the unit first showed it (an organisation's
  earliest over its repositories), for the unit's ``ADOPTED_TECHNOLOGIES`` = m earliest
  technologies only (ties in vocabulary order; a deterministic rule on its own data): at most
  2m ones, L1 = 4m = 64, L2 = 2 sqrt(m) = 8 (version 1: 37 quarters for every one of the 107
  technologies, L2 = sqrt(2 x 107) = 14.6). The ``adopted`` cell reads the number of adopters
  with one cell's noise instead of ten summed.
- ``technology_survival``: per kind (dependency, language, tool), one cell per episode
  (addition to removal along the mainline, or to the tip): ``removed:yN`` / ``present:yN`` for
  N whole years since adoption (N < ``SURVIVAL_YEARS``), ``y3+`` beyond; at most
  ``SURVIVAL_EPISODES`` = E episodes per kind, sampled with ``secrets``: L1 = 6E,
  L2 = sqrt(6) E = 2.45 (version 1: at-risk and event counts over 13 quarters, 8 episodes,
  L2 = 70.7). At-risk and event counts per year are sums of these cells, read at release.
- ``technology_migrations``: per category, one 0/1 cell per ordered pair of its technologies
  (``flake8>ruff``): the unit replaced the first by the second; at most
  ``MIGRATIONS_REPORTED`` = P pairs per unit, sampled with ``secrets``: L1 = 2P = 4,
  L2 = sqrt(2P) = 2 (version 1: every one of 712 pairs, L2 = 26.7).
- ``tool_effectiveness``: per tool or practice and outcome (fix ratio below
  ``LOW_FIX_RATIO``, revert ratio below ``LOW_REVERT_RATIO``), a 2x2 contingency table, one
  count per unit (``FixedMass(1)``): L1 = 2 per table, L2 = sqrt(2 x tables) = 14.6; every
  unit is in every table, so capping tables would only thin them.

Every cell counts units (at most E episodes of one unit for survival), so rounds send no
participation bits; ``bmad.federation.trend_insights`` releases a count only from k plus a
multiple of its noise std.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import permutations

from bmad.extractors.languages import LANGUAGE_NAMES
from bmad.extractors.technology import KINDS, TOOL_CATEGORIES, Technology
from bmad.privacy.bounding import (
    BinCap,
    Block,
    ContributionSchema,
    FixedMass,
    block_l1_sensitivity,
    block_l2_squared_sensitivity,
)
from bmad.privacy.summaries import TrendSummary

TREND_VOCABULARY_VERSION = 2
FIRST_PERIOD_YEAR = 2019
LAST_PERIOD_YEAR = 2027
ADOPTED_TECHNOLOGIES = 16  # technologies one unit reports at most (its earliest)
SURVIVAL_YEARS = 3
SURVIVAL_EPISODES = 1  # episodes per kind one unit reports at most (sampled with secrets)
MIGRATIONS_REPORTED = 2  # migration pairs one unit reports at most (sampled with secrets)
LOW_FIX_RATIO = 0.15
LOW_REVERT_RATIO = 0.02
PRACTICES: tuple[str, ...] = ("practice:tests_present", "practice:review_via_merges")
OUTCOMES: tuple[str, ...] = ("low_fix_ratio", "low_revert_ratio")
CELLS: tuple[str, ...] = ("with+good", "with+bad", "without+good", "without+bad")
ADOPTED = "adopted"

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
RawBlocks = Sequence[Sequence[float]]


@dataclass(frozen=True, slots=True)
class TotalCappedSchema(ContributionSchema):
    """A layout whose unit vector sums to at most ``total`` with every cell at most ``cell``.

    ``select`` turns raw blocks (one repository's counts, or the sum of an organisation's
    repositories' bounded vectors) into the unit's report within those caps; ``bound`` then
    clips every cell and, as a guard, drops whatever passes ``total`` in vector order.
    For two such non-negative vectors x, x': |x_i - x'_i| <= max(x_i, x'_i), so
    L1 <= |x|_1 + |x'|_1 <= 2 total and L2^2 <= |x|^2 + |x'|^2 <= 2 total cell (cells at most
    ``cell`` summing to at most ``total`` have |x|^2 <= total cell); never above the blocks'
    own bounds either.
    """

    total: int = 1
    cell: int = 1
    select: Callable[[RawBlocks], list[list[int]]] | None = None

    @property
    def l1_sensitivity(self) -> int:
        blocks = sum(block_l1_sensitivity(b.bound, len(b.labels)) for b in self.blocks)
        return min(2 * self.total, blocks)

    @property
    def l2_squared_sensitivity(self) -> int:
        blocks = sum(block_l2_squared_sensitivity(b.bound, len(b.labels)) for b in self.blocks)
        return min(2 * self.total * self.cell, blocks)

    @property
    def l2_sensitivity(self) -> float:
        return math.sqrt(self.l2_squared_sensitivity)

    def bound(self, raw_blocks: RawBlocks) -> tuple[int, ...]:
        chosen = raw_blocks if self.select is None else self.select(raw_blocks)
        vector = list(ContributionSchema.bound(self, chosen))
        room = self.total
        for index, value in enumerate(vector):
            vector[index] = min(value, room)
            room -= vector[index]
        return tuple(vector)


def period_labels() -> tuple[str, ...]:
    return (
        f"<{FIRST_PERIOD_YEAR}",
        *(str(year) for year in range(FIRST_PERIOD_YEAR, LAST_PERIOD_YEAR + 1)),
    )


PERIODS = period_labels()
ADOPTION_LABELS: tuple[str, ...] = (ADOPTED, *PERIODS)


def period_bin(quarter: str) -> int | None:
    """Index among ``PERIODS`` of the year of a ``YYYYQn`` quarter (None after the last one)."""
    year = int(quarter[:4])
    if year < FIRST_PERIOD_YEAR:
        return 0
    return None if year > LAST_PERIOD_YEAR else 1 + year - FIRST_PERIOD_YEAR


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
LONG_EPISODE = f"y{SURVIVAL_YEARS}+"
SURVIVAL_LABELS: tuple[str, ...] = (
    *(f"removed:y{index}" for index in range(SURVIVAL_YEARS)),
    *(f"present:y{index}" for index in range(SURVIVAL_YEARS)),
    LONG_EPISODE,
)


def _earliest_technologies(raw_blocks: RawBlocks) -> list[list[int]]:
    """Per technology 1 in ``adopted`` and in its earliest period, for the unit's
    ``ADOPTED_TECHNOLOGIES`` earliest technologies (ties in vocabulary order)."""
    earliest: list[tuple[int, int]] = []
    for index, cells in enumerate(raw_blocks):
        periods = [position for position, value in enumerate(cells[1:]) if value > 0]
        if periods:
            earliest.append((periods[0], index))
    kept = dict((index, period) for period, index in sorted(earliest)[:ADOPTED_TECHNOLOGIES])
    blocks = []
    for index, cells in enumerate(raw_blocks):
        block = [0] * len(cells)
        if index in kept:
            block[0] = 1
            block[1 + kept[index]] = 1
        blocks.append(block)
    return blocks


def _sampled_cells(cells: Sequence[float], most: int) -> list[int]:
    """``cells`` as a multiset of items (cell i holds int(cells[i]) of them), of which at
    most ``most`` are kept, drawn without replacement with ``secrets``."""
    items = [index for index, value in enumerate(cells) for _ in range(int(value))]
    if len(items) > most:
        items = secrets.SystemRandom().sample(items, most)
    kept = [0] * len(cells)
    for index in items:
        kept[index] += 1
    return kept


def _sampled_episodes(raw_blocks: RawBlocks) -> list[list[int]]:
    return [_sampled_cells(cells, SURVIVAL_EPISODES) for cells in raw_blocks]


def _sampled_migrations(raw_blocks: RawBlocks) -> list[list[int]]:
    """At most ``MIGRATIONS_REPORTED`` distinct pairs over all categories, sampled with secrets."""
    flat = [1 if value > 0 else 0 for cells in raw_blocks for value in cells]
    kept = _sampled_cells(flat, MIGRATIONS_REPORTED)
    blocks, offset = [], 0
    for cells in raw_blocks:
        blocks.append(kept[offset : offset + len(cells)])
        offset += len(cells)
    return blocks


TECHNOLOGY_ADOPTION = TotalCappedSchema(
    learning_type="technology_adoption",
    version=TREND_VOCABULARY_VERSION,
    blocks=tuple(Block(key, ADOPTION_LABELS, BinCap(1)) for key in TREND_VOCABULARY),
    definitions=(
        ("vocabulary", f"{len(TREND_VOCABULARY)} technologies, version {TREND_VOCABULARY_VERSION}"),
        (ADOPTED, "the unit showed the technology at some time"),
        ("bins", "calendar year of the first commit showing the technology (author time)"),
        (
            "cap",
            f"the unit's {ADOPTED_TECHNOLOGIES} earliest technologies, ties in vocabulary order",
        ),
    ),
    total=2 * ADOPTED_TECHNOLOGIES,
    select=_earliest_technologies,
)
TECHNOLOGY_SURVIVAL = TotalCappedSchema(
    learning_type="technology_survival",
    version=TREND_VOCABULARY_VERSION,
    blocks=tuple(Block(kind, SURVIVAL_LABELS, BinCap(SURVIVAL_EPISODES)) for kind in KINDS),
    definitions=(
        ("episode", "addition to removal (or the tip) of a technology along the mainline"),
        ("removed:yN", "episodes removed N whole years after their addition"),
        ("present:yN", "episodes still present at the tip, N whole years after their addition"),
        (LONG_EPISODE, f"episodes lasting {SURVIVAL_YEARS} years or more"),
        ("cap", f"at most {SURVIVAL_EPISODES} episodes per kind, sampled with secrets"),
    ),
    total=SURVIVAL_EPISODES * len(KINDS),
    cell=SURVIVAL_EPISODES,
    select=_sampled_episodes,
)
TECHNOLOGY_MIGRATIONS = TotalCappedSchema(
    learning_type="technology_migrations",
    version=TREND_VOCABULARY_VERSION,
    blocks=tuple(Block(category, pairs, BinCap(1)) for category, pairs in MIGRATION_PAIRS.items()),
    definitions=(
        ("pairs", "ordered pairs of one category's technologies: the first replaced by the second"),
        ("cap", f"at most {MIGRATIONS_REPORTED} pairs per unit, sampled with secrets"),
    ),
    total=MIGRATIONS_REPORTED,
    select=_sampled_migrations,
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
# Learning types whose cells already count units (adoption, migrations, effectiveness: 0 or 1
# per unit; survival: at most SURVIVAL_EPISODES episodes of one unit): the sum bounds its own
# number of organisations per bin, so rounds send no participation bits for them.
COUNTING_TYPES: frozenset[str] = frozenset(TREND_LEARNING_TYPES)


def in_vocabulary(keys: Iterable[str]) -> frozenset[str]:
    return frozenset(key for key in keys if key in _KNOWN)


def adoption_counts(summary: TrendSummary) -> list[list[int]]:
    """Every technology the unit showed; the schema's bound keeps the earliest ones."""
    blocks: list[list[int]] = []
    for key in TREND_VOCABULARY:
        cells = [0] * len(ADOPTION_LABELS)
        quarter = summary.first_adoption.get(key)
        index = None if quarter is None else period_bin(quarter)
        if index is not None:
            cells[0] = 1
            cells[1 + index] = 1
        blocks.append(cells)
    return blocks


def survival_cell(quarters: int, removed: bool) -> int:
    """The index among ``SURVIVAL_LABELS`` of an episode lasting ``quarters``."""
    years = quarters // 4
    if years >= SURVIVAL_YEARS:
        return len(SURVIVAL_LABELS) - 1
    return years if removed else SURVIVAL_YEARS + years


def survival_counts(summary: TrendSummary) -> list[list[int]]:
    """Every episode per kind; the schema's bound samples ``SURVIVAL_EPISODES`` of them."""
    blocks: list[list[int]] = []
    for kind in KINDS:
        cells = [0] * len(SURVIVAL_LABELS)
        for found, quarters, removed in summary.survival:
            if found == kind:
                cells[survival_cell(quarters, removed)] += 1
        blocks.append(cells)
    return blocks


def survival_series(cells: Sequence[float]) -> tuple[list[float], list[float], list[int]]:
    """At-risk and event counts per year since adoption (y0 .. y{SURVIVAL_YEARS}) from one
    kind's cells, and how many cells each at-risk count sums (for its noise)."""
    removed, present = cells[:SURVIVAL_YEARS], cells[SURVIVAL_YEARS : 2 * SURVIVAL_YEARS]
    long = cells[-1]
    at_risk = [
        long + sum(removed[index:]) + sum(present[index:]) for index in range(SURVIVAL_YEARS)
    ]
    summed = [1 + 2 * (SURVIVAL_YEARS - index) for index in range(SURVIVAL_YEARS)]
    return [*at_risk, long], [*removed, 0.0], [*summed, 1]


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
