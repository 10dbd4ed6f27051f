"""The demo's noise figures are the noise a real round of the same shape reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bmad.demo import released_noise_std
from bmad.federation.governance import governance_for
from bmad.privacy.sharing import cached_global_insights
from tests.federation.harness import Aggregator, running_aggregator
from tests.federation.test_rounds_e2e import run_round


@pytest.fixture
def aggregator(tmp_path: Path) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path / "aggregator") as running:
        yield running


def test_released_noise_std_is_what_a_round_of_six_at_level_low_reports(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    # the level the round harness creates: k=3, one group of 6, its default unit
    assert governance_for("low").k_min_participants == 3

    state, runners, _admin, _federation = run_round(tmp_path, aggregator, 6, {})

    assert state["state"] == "released", state["reason"]
    insights = cached_global_insights(runners[0].store)[0]["insights"]
    assert insights["noise_std"] == pytest.approx(released_noise_std(6, "low"), rel=1e-12)
