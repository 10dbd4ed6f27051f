"""The synthetic population reproduces the released marginals and serves as a reference."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bmad.analysis.inputs import FunctionRecord
from bmad.analysis.reference import LOCAL_SCOPE, LocalReference
from bmad.federation.insights import RoundFacts, compute_insights, standing
from bmad.federation.synthetic import (
    AUTO_CONFIDENCE,
    SyntheticSource,
    cached_code_insights,
    chosen_source,
    confident_percentiles,
    machine_source,
    released_quantile,
    synthetic_population,
)
from bmad.privacy.db import open_privacy_store
from bmad.privacy.schemas import CODE_EDGES, CODE_METRICS, schema_for
from bmad.privacy.sharing import cache_global_insights


def _insights() -> dict[str, Any]:
    schema = schema_for("code_patterns")
    aggregate: list[float] = []
    for block in schema.blocks:
        counts = [0.0] * len(block.labels)
        for index in range(min(8, len(CODE_EDGES[block.name]))):
            counts[index] = 300.0 / (1 + index)
        aggregate.extend(counts)
    facts = RoundFacts("code_patterns", 2, 10, 1, 1e-9, 1.0, 1e-5, 0.7, 3, "record")
    return compute_insights(aggregate, facts)


def test_the_population_follows_every_released_marginal() -> None:
    insights = _insights()
    population = synthetic_population(insights, "python", size=1_000)
    assert set(population) == set(CODE_METRICS)
    for metric, values in population.items():
        entry = insights["percentiles"][metric]["python"]
        edges = CODE_EDGES[metric]
        for index, edge in enumerate(edges):
            below = sum(value < edge for value in values) / len(values)
            assert below == pytest.approx(entry["share_below"][index], abs=2e-3)
        assert all(float(value).is_integer() for value in values)


def test_languages_without_a_release_have_no_population() -> None:
    assert synthetic_population(_insights(), "go") == {}


def test_released_quantiles_invert_the_standing() -> None:
    insights = _insights()
    entry = insights["percentiles"]["cognitive"]["python"]
    for q in (0.2, 0.5, 0.8):
        value = released_quantile(entry, q)
        found = standing(insights, "cognitive", "python", value)
        assert found is not None and found["above_share"] == pytest.approx(q, abs=1e-9)


def test_the_source_refers_released_metrics_to_the_population_and_the_rest_locally() -> None:
    source = SyntheticSource(_insights(), size=1_000)
    local = LocalReference({"cognitive": [0.0] * 50, "tokens": [1.0, 2.0, 3.0]})
    python = source.reference("python", local)
    assert python.percentile("cognitive", 0.0) < 50  # globally, 0 is not every function
    assert local.percentile("cognitive", 0.0) == 50.0
    assert python.quantile("tokens", 0.5) == local.quantile("tokens", 0.5)
    assert source.reference(None, local) is local
    assert source.reference("go", local) is local


def _unsure(insights: dict[str, Any]) -> dict[str, Any]:
    """The same releases, each only 0.5 confident."""
    percentiles = {
        metric: {language: {**entry, "confidence": 0.5} for language, entry in languages.items()}
        for metric, languages in insights["percentiles"].items()
    }
    return {**insights, "percentiles": percentiles}


def test_the_setting_chooses_the_reference_and_its_scope() -> None:
    insights = _insights()
    assert chosen_source("local", insights).scope("python") == LOCAL_SCOPE
    assert chosen_source("auto", None).scope("python") == LOCAL_SCOPE
    federation = "10 organisations' python functions"
    assert chosen_source("auto", insights).scope("python") == federation
    assert chosen_source("global", insights).scope("python") == federation
    assert chosen_source("global", insights).scope(None) == LOCAL_SCOPE  # the pooled model
    assert chosen_source("global", insights).scope("go") == LOCAL_SCOPE  # nothing released


def test_auto_takes_only_confident_releases_and_global_takes_any() -> None:
    unsure = _unsure(_insights())
    assert chosen_source("auto", unsure).scope("python") == LOCAL_SCOPE
    assert chosen_source("global", unsure).scope("python") == "10 organisations' python functions"
    assert confident_percentiles(unsure, AUTO_CONFIDENCE)["percentiles"] == {}


def test_cached_insights_are_read_without_creating_the_store(tmp_path: Path) -> None:
    missing = tmp_path / "bmad.sqlite3"
    assert cached_code_insights(missing) is None
    assert not missing.exists()
    with open_privacy_store(missing) as store:
        assert cached_code_insights(missing) is None  # tables, no insights yet
        cache_global_insights(store, "code_patterns", 2, _insights())
    assert cached_code_insights(missing) == json.loads(json.dumps(_insights()))
    assert machine_source("auto", missing).scope("python") == "10 organisations' python functions"
    assert machine_source("local", missing).scope("python") == LOCAL_SCOPE


def test_the_pooled_model_refers_to_the_federation_only_for_one_family() -> None:
    from bmad.analysis.features import CODE_FEATURES, feature_rows
    from bmad.analysis.inputs import AnalysisInput
    from bmad.analysis.model import fit_and_score
    from bmad.analysis.settings import ModelSettings
    from tests.analysis.factories import ordinary_population

    settings = ModelSettings(n_estimators=20)  # 60 functions: below a family model's 200
    source = SyntheticSource(_insights(), size=200)

    def scopes(records: list[FunctionRecord]) -> set[str]:
        rows = feature_rows(AnalysisInput(functions=tuple(records)))
        report = fit_and_score(CODE_FEATURES, rows, settings, source)
        assert report.models == {"pooled": len(records)}
        return {result.scope for result in report.results if result is not None}

    python = ordinary_population(60)
    assert scopes(python) == {"10 organisations' python functions"}
    go = [replace(record, language="go") for record in python[:10]]
    assert scopes(python + go) == {LOCAL_SCOPE}
