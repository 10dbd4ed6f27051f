"""The trend learning types: fixed bins, bounded counts, and what their released sums give."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmad.federation.trend_insights import (
    MIGRATION_RELEASE_Z,
    kaplan_meier,
    release_threshold,
    trend_insights,
)
from bmad.privacy.noise import discrete_gaussian_noise
from bmad.privacy.schemas import LEARNING_TYPES, bounded_contribution, schema_for
from bmad.privacy.summaries import LocalStatistics, TrendSummary
from bmad.privacy.trend_schemas import (
    ADOPTED_TECHNOLOGIES,
    ADOPTION_LABELS,
    MIGRATION_PAIRS,
    MIGRATIONS_REPORTED,
    PERIODS,
    SURVIVAL_EPISODES,
    SURVIVAL_LABELS,
    TECHNOLOGY_ADOPTION,
    TECHNOLOGY_MIGRATIONS,
    TECHNOLOGY_SURVIVAL,
    TREND_LEARNING_TYPES,
    TREND_VOCABULARY,
    period_bin,
    survival_series,
)
from bmad.privacy.units import unit_contribution, unit_for

SUMMARY = TrendSummary(
    first_adoption={"dependency:pypi:httpx": "2023Q1", "tool:ruff": "2018Q4"},
    survival=[("dependency", 2, True), ("dependency", 5, False), ("tool", 20, True)],
    migrations=frozenset({("dependency:pypi:requests", "dependency:pypi:httpx")}),
    factors=frozenset({"tool:ruff", "practice:tests_present"}),
    fix_ratio=0.1,
    revert_ratio=0.05,
)
ALL_PAIRS = [pair.split(">", 1) for pairs in MIGRATION_PAIRS.values() for pair in pairs]


def block(learning_type: str, vector: tuple[int, ...], name: str) -> list[int]:
    offset = 0
    for found in schema_for(learning_type).blocks:
        if found.name == name:
            return list(vector[offset : offset + len(found.labels)])
        offset += len(found.labels)
    raise KeyError(name)


def zeros(learning_type: str) -> dict[str, list[float]]:
    return {b.name: [0.0] * len(b.labels) for b in schema_for(learning_type).blocks}


def test_every_trend_type_is_registered_with_fixed_labels_and_stated_sensitivities() -> None:
    assert set(TREND_LEARNING_TYPES) <= set(LEARNING_TYPES)
    assert PERIODS[0] == "<2019" and PERIODS[1] == "2019" and PERIODS[-1] == "2027"
    assert (period_bin("2015Q2"), period_bin("2019Q1"), period_bin("2031Q1")) == (0, 1, None)
    assert TECHNOLOGY_ADOPTION.dim == len(TREND_VOCABULARY) * len(ADOPTION_LABELS)
    # at most m technologies, two ones each (adopted and its year): L1 = L2^2 = 4m
    assert TECHNOLOGY_ADOPTION.l1_sensitivity == 4 * ADOPTED_TECHNOLOGIES
    assert TECHNOLOGY_ADOPTION.l2_squared_sensitivity == 4 * ADOPTED_TECHNOLOGIES
    # at most E episodes in each of 3 kinds, cells at most E: L1 = 6E, L2^2 = 6E^2
    assert TECHNOLOGY_SURVIVAL.l1_sensitivity == 6 * SURVIVAL_EPISODES
    assert TECHNOLOGY_SURVIVAL.l2_squared_sensitivity == 6 * SURVIVAL_EPISODES**2
    assert TECHNOLOGY_MIGRATIONS.l1_sensitivity == 2 * MIGRATIONS_REPORTED
    assert TECHNOLOGY_MIGRATIONS.l2_squared_sensitivity == 2 * MIGRATIONS_REPORTED


def test_the_vectors_count_what_the_summary_holds() -> None:
    stats = LocalStatistics(trends=SUMMARY)
    adoption = bounded_contribution("technology_adoption", stats)
    assert adoption is not None
    httpx = block("technology_adoption", adoption.vector, "dependency:pypi:httpx")
    assert httpx[0] == 1 and httpx[ADOPTION_LABELS.index("2023")] == 1 and sum(httpx) == 2
    assert block("technology_adoption", adoption.vector, "tool:ruff")[:2] == [1, 1]  # < 2019
    migrations = bounded_contribution("technology_migrations", stats)
    assert migrations is not None and sum(migrations.vector) == 1
    survival = bounded_contribution("technology_survival", stats)
    assert survival is not None
    dependency = block("technology_survival", survival.vector, "dependency")
    # one of its two episodes, sampled: removed within a year, or present after one year
    assert sum(dependency) == SURVIVAL_EPISODES == 1
    assert dependency.index(1) in (
        SURVIVAL_LABELS.index("removed:y0"),
        SURVIVAL_LABELS.index("present:y1"),
    )
    assert block("technology_survival", survival.vector, "tool")[-1] == 1  # 5 years: y3+
    effect = bounded_contribution("tool_effectiveness", stats)
    assert effect is not None
    # ruff present, fix ratio low (good), revert ratio 5% (bad)
    assert block("tool_effectiveness", effect.vector, "tool:ruffxlow_fix_ratio") == [1, 0, 0, 0]
    assert block("tool_effectiveness", effect.vector, "tool:ruffxlow_revert_ratio") == [0, 1, 0, 0]
    assert bounded_contribution("technology_adoption", LocalStatistics()) is None


def test_an_organisation_counts_a_technology_once_from_its_earliest_repository() -> None:
    later = TrendSummary({"dependency:pypi:httpx": "2024Q3"}, [], frozenset(), frozenset())
    merged = unit_contribution(
        "technology_adoption",
        unit_for("technology_adoption", "organisation"),
        [LocalStatistics(trends=later), LocalStatistics(trends=SUMMARY)],
    )
    assert merged is not None
    httpx = block("technology_adoption", merged.vector, "dependency:pypi:httpx")
    assert sum(httpx) == 2 and httpx[ADOPTION_LABELS.index("2023")] == 1
    for learning_type in TREND_LEARNING_TYPES:
        assert not unit_for(learning_type, "organisation").has_participation


def test_adoption_reports_only_the_earliest_technologies() -> None:
    keys = TREND_VOCABULARY[: ADOPTED_TECHNOLOGIES + 5]
    # the later a technology comes in the vocabulary, the earlier it was adopted
    first = {key: f"{2027 - index}Q2" for index, key in enumerate(keys)}
    found = bounded_contribution(
        "technology_adoption",
        LocalStatistics(trends=TrendSummary(first, [], frozenset(), frozenset())),
    )
    assert found is not None
    reported = [key for key in keys if block("technology_adoption", found.vector, key)[0]]
    assert reported == list(keys[-ADOPTED_TECHNOLOGIES:])


summaries = st.builds(
    TrendSummary,
    first_adoption=st.dictionaries(
        st.sampled_from(TREND_VOCABULARY),
        st.builds("{}Q{}".format, st.integers(2005, 2030), st.integers(1, 4)),
        max_size=40,
    ),
    survival=st.lists(
        st.tuples(
            st.sampled_from(("dependency", "language", "tool")),
            st.integers(0, 60),
            st.booleans(),
        ),
        max_size=30,
    ),
    migrations=st.frozensets(st.sampled_from(ALL_PAIRS).map(tuple), max_size=6),
    factors=st.just(frozenset()),
)
organisations = st.lists(summaries, min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TREND_LEARNING_TYPES), organisations, organisations)
def test_no_organisation_moves_the_sum_by_more_than_the_stated_sensitivity(
    learning_type: str, first: list[TrendSummary], second: list[TrendSummary]
) -> None:
    unit = unit_for(learning_type, "organisation")
    schema = schema_for(learning_type)
    vectors = []
    for repositories in (first, second):
        found = unit_contribution(
            learning_type, unit, [LocalStatistics(trends=summary) for summary in repositories]
        )
        vectors.append([0] * schema.dim if found is None else list(found.vector))
    x, y = vectors
    assert sum(abs(a - b) for a, b in zip(x, y, strict=True)) <= schema.l1_sensitivity
    assert sum((a - b) ** 2 for a, b in zip(x, y, strict=True)) <= schema.l2_squared_sensitivity


def test_survival_cells_give_back_the_at_risk_and_event_counts() -> None:
    cells = [0.0] * len(SURVIVAL_LABELS)
    for label in ("removed:y0", "removed:y0", "present:y0", "removed:y1", "present:y2", "y3+"):
        cells[SURVIVAL_LABELS.index(label)] += 1
    at_risk, events, summed = survival_series(cells)
    assert at_risk == [6, 3, 2, 1] and events == [2, 1, 0, 0]
    assert summed == [7, 5, 3, 1]


def test_kaplan_meier_stops_below_k_and_below_the_noise_threshold() -> None:
    at_risk, events = [10.0, 8.0, 4.0, 2.0], [2.0, 4.0, 1.0, 0.0]
    curve = kaplan_meier(at_risk, events, 0.0, 3)
    assert [round(point["survival"], 4) for point in curve] == [0.8, 0.4, 0.3]
    assert curve[0]["interval_low"] < 0.8 < curve[0]["interval_high"]
    assert len(kaplan_meier(at_risk, events, 0.0, 5)) == 2  # 4 at risk < k
    noisy = kaplan_meier(at_risk, events, 1.0, 3)  # from 3 + 3 sigma = 6 at risk
    assert len(noisy) == 2
    assert noisy[1]["interval_high"] - noisy[1]["interval_low"] > (
        curve[1]["interval_high"] - curve[1]["interval_low"]
    )


def test_migration_pairs_are_released_from_k_plus_z_noise_std() -> None:
    values = zeros("technology_migrations")
    category = "dependency:pypi"
    pairs = next(b.labels for b in schema_for("technology_migrations").blocks if b.name == category)
    values[category][pairs.index("dependency:pypi:requests>dependency:pypi:httpx")] = 12.2
    values[category][pairs.index("dependency:pypi:flask>dependency:pypi:fastapi")] = 7.6
    exact = trend_insights("technology_migrations", values, 0.0, 5, 20)
    assert len(exact["pairs"]) == 2  # without noise the threshold is k
    released = trend_insights("technology_migrations", values, 1.0, 5, 20)  # from 5 + 4 = 9
    assert [(p["from"], p["to"], p["organisations"]) for p in released["pairs"]] == [
        ("dependency:pypi:requests", "dependency:pypi:httpx", 12)
    ]
    values[category][pairs.index("dependency:pypi:requests>dependency:pypi:httpx")] = 60.0
    clipped = trend_insights("technology_migrations", values, 1.0, 5, 20)["pairs"][0]
    assert clipped["organisations"] == 20 and clipped["interval"][1] == 20  # of 20 taking part


def test_pure_noise_pairs_pass_k_but_not_the_noise_threshold() -> None:
    sigma, k = 10.0, 5
    width = TECHNOLOGY_MIGRATIONS.dim
    noise = iter(discrete_gaussian_noise(sigma, width))
    values = {
        name: [float(next(noise)) for _ in cells]
        for name, cells in zeros("technology_migrations").items()
    }
    past_k = sum(value >= k for cells in values.values() for value in cells)
    assert past_k > width // 10  # about 31% of nobody's pairs would pass k alone
    released = trend_insights("technology_migrations", values, sigma, k, 1000)["pairs"]
    assert release_threshold(k, sigma, MIGRATION_RELEASE_Z) == 45
    assert len(released) <= 1  # P(N(0, 1) > 4.5) x 712 ~ 0.002 expected


def test_adoption_and_effectiveness_counts_below_the_noise_threshold_are_suppressed() -> None:
    values = zeros("technology_adoption")
    values["dependency:pypi:httpx"][0] = 7.0
    values["dependency:pypi:httpx"][ADOPTION_LABELS.index("2023")] = 7.0
    values["tool:ruff"][0] = 9.0
    shown = trend_insights("technology_adoption", values, 1.0, 5, 20)["technologies"]
    assert [(t["technology"], t["periods"]) for t in shown] == [("tool:ruff", {})]
    exact = trend_insights("technology_adoption", values, 0.0, 5, 20)["technologies"]
    assert [(t["technology"], t["periods"]) for t in exact] == [
        ("tool:ruff", {}),
        ("dependency:pypi:httpx", {"2023": 7}),
    ]
    effect = zeros("tool_effectiveness")
    effect["tool:ruffxlow_fix_ratio"] = [5.0, 2.0, 3.0, 4.0]  # 7 with, 7 without
    assert trend_insights("tool_effectiveness", effect, 0.0, 5, 20)["tables"]
    assert not trend_insights("tool_effectiveness", effect, 1.0, 5, 20)["tables"]  # < 9.2


@pytest.mark.parametrize("learning_type", TREND_LEARNING_TYPES)
def test_an_empty_release_shows_nothing_but_keeps_its_table_shape(learning_type: str) -> None:
    released = trend_insights(learning_type, zeros(learning_type), 1.0, 3, 10)
    assert released["rows"] == [] and released["columns"]
