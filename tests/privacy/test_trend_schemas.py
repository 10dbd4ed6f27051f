"""The trend learning types: fixed bins, bounded counts, and what their released sums give."""

from __future__ import annotations

import pytest

from bmad.federation.trend_insights import kaplan_meier, trend_insights
from bmad.privacy.schemas import LEARNING_TYPES, bounded_contribution, schema_for
from bmad.privacy.summaries import LocalStatistics, TrendSummary
from bmad.privacy.trend_schemas import (
    QUARTERS,
    SURVIVAL_EPISODES,
    TECHNOLOGY_ADOPTION,
    TREND_LEARNING_TYPES,
    TREND_VOCABULARY,
    quarter_bin,
    survival_counts,
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


def block(learning_type: str, vector: tuple[int, ...], name: str) -> list[int]:
    offset = 0
    for found in schema_for(learning_type).blocks:
        if found.name == name:
            return list(vector[offset : offset + len(found.labels)])
        offset += len(found.labels)
    raise KeyError(name)


def test_every_trend_type_is_registered_with_fixed_labels() -> None:
    assert set(TREND_LEARNING_TYPES) <= set(LEARNING_TYPES)
    assert QUARTERS[0] == "<2019" and QUARTERS[1] == "2019Q1" and QUARTERS[-1] == "2027Q4"
    assert (quarter_bin("2015Q2"), quarter_bin("2019Q1"), quarter_bin("2031Q1")) == (0, 1, None)
    assert TECHNOLOGY_ADOPTION.dim == len(TREND_VOCABULARY) * len(QUARTERS)
    assert TECHNOLOGY_ADOPTION.l2_squared_sensitivity == 2 * len(TREND_VOCABULARY)


def test_the_vectors_count_what_the_summary_holds() -> None:
    stats = LocalStatistics(trends=SUMMARY)
    adoption = bounded_contribution("technology_adoption", stats)
    assert adoption is not None
    httpx = block("technology_adoption", adoption.vector, "dependency:pypi:httpx")
    assert httpx[QUARTERS.index("2023Q1")] == 1 and sum(httpx) == 1
    assert block("technology_adoption", adoption.vector, "tool:ruff")[0] == 1  # before 2019
    migrations = bounded_contribution("technology_migrations", stats)
    assert migrations is not None and sum(migrations.vector) == 1
    survival = bounded_contribution("technology_survival", stats)
    assert survival is not None
    assert block("technology_survival", survival.vector, "dependency:at_risk")[:7] == [
        2,
        2,
        2,
        1,
        1,
        1,
        0,
    ]
    assert block("technology_survival", survival.vector, "dependency:events")[2] == 1
    assert block("technology_survival", survival.vector, "tool:events")[-1] == 1  # q12+
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
    assert sum(httpx) == 1 and httpx[QUARTERS.index("2023Q1")] == 1
    assert not unit_for("technology_adoption", "organisation").has_participation
    assert unit_for("technology_survival", "organisation").has_participation


def test_survival_keeps_at_most_the_cap_of_episodes_per_kind() -> None:
    many = TrendSummary({}, [("tool", 1, False)] * 20, frozenset(), frozenset())
    at_risk = survival_counts(many)[4]  # tool:at_risk (after dependency and language)
    assert at_risk[0] == SURVIVAL_EPISODES


def test_kaplan_meier_from_noiseless_sums_and_its_stop_below_k() -> None:
    at_risk = [10.0, 8.0, 4.0, 2.0] + [0.0] * 9
    events = [2.0, 4.0, 1.0, 0.0] + [0.0] * 9
    curve = kaplan_meier(at_risk, events, 0.0, 3)
    assert [round(point["survival"], 4) for point in curve] == [0.8, 0.4, 0.3]  # stops at 2 < k
    assert curve[0]["interval_low"] < 0.8 < curve[0]["interval_high"]
    noisy = kaplan_meier(at_risk, events, 5.0, 3)
    assert noisy[1]["interval_high"] - noisy[1]["interval_low"] > (
        curve[1]["interval_high"] - curve[1]["interval_low"]
    )


def test_migration_pairs_below_k_are_not_released() -> None:
    schema = schema_for("technology_migrations")
    values = {b.name: [0.0] * len(b.labels) for b in schema.blocks}
    category = "dependency:pypi"
    pairs = next(b.labels for b in schema.blocks if b.name == category)
    values[category][pairs.index("dependency:pypi:requests>dependency:pypi:httpx")] = 7.2
    values[category][pairs.index("dependency:pypi:flask>dependency:pypi:fastapi")] = 2.6
    released = trend_insights("technology_migrations", values, 1.0, 5, 20)
    assert [(p["from"], p["to"], p["organisations"]) for p in released["pairs"]] == [
        ("dependency:pypi:requests", "dependency:pypi:httpx", 7)
    ]
    values[category][pairs.index("dependency:pypi:requests>dependency:pypi:httpx")] = 60.0
    clipped = trend_insights("technology_migrations", values, 1.0, 5, 20)["pairs"][0]
    assert clipped["organisations"] == 20 and clipped["interval"][1] == 20  # of 20 taking part


@pytest.mark.parametrize("learning_type", TREND_LEARNING_TYPES)
def test_an_empty_release_shows_nothing_but_keeps_its_table_shape(learning_type: str) -> None:
    schema = schema_for(learning_type)
    values = {b.name: [0.0] * len(b.labels) for b in schema.blocks}
    released = trend_insights(learning_type, values, 1.0, 3, 10)
    assert released["rows"] == [] and released["columns"]
