from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmad.analysis.explain import FeatureEffect, describe, ordinal
from bmad.analysis.reference import LocalReference
from bmad.analysis.settings import model_settings
from bmad.errors import BmadError

values = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=200)


@given(values, st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_percentile_is_bounded_and_monotone(column: list[int], a: int, b: int) -> None:
    reference = LocalReference({"x": column})
    low, high = sorted((a, b))
    assert 0 <= reference.percentile("x", low) <= reference.percentile("x", high) <= 100


@given(values, st.floats(min_value=0, max_value=1))
def test_quantile_stays_within_the_data(column: list[int], q: float) -> None:
    reference = LocalReference({"x": column})
    assert min(column) <= reference.quantile("x", q) <= max(column)


def test_quantile_matches_linear_interpolation() -> None:
    reference = LocalReference({"x": [1, 2, 3, 4]})
    assert reference.quantile("x", 0.5) == 2.5
    assert reference.percentile("x", 4) == 87.5


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 98, 99)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "98th",
        "99th",
    ]


def test_description_names_the_strongest_features_in_words() -> None:
    effects = [
        FeatureEffect("max_nesting", 7, 99.6, 0.20),
        FeatureEffect("params", 14, 98.2, 0.10),
        FeatureEffect("nloc", 20, 60.0, 0.01),  # below 20% of the strongest: left out
        FeatureEffect("ccn", 2, 40.0, 0.0),
    ]
    assert describe(effects) == "nesting depth 7 (99th percentile), 14 parameters (98th)"


def test_the_anomaly_reference_setting_is_validated() -> None:
    assert model_settings({})[0].anomaly_reference == "auto"
    for setting in ("auto", "local", "global"):
        assert model_settings({"anomaly_reference": setting})[0].anomaly_reference == setting
    with pytest.raises(BmadError, match="anomaly_reference must be one of auto, local, global"):
        model_settings({"anomaly_reference": "federation"})
