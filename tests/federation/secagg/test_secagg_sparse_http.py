"""A SecAgg+ round over HTTP: a real aggregator process and real participants."""

from __future__ import annotations

from pathlib import Path

import pytest

from bmad.federation.secagg.graph import sparse_parameters
from tests.federation.harness import Aggregator
from tests.federation.test_rounds_e2e import run_round

pytestmark = pytest.mark.usefixtures("opendp_imported")


def test_a_round_of_eight_over_the_sparse_graph_releases_the_exact_sum(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    state, runners, _, _ = run_round(tmp_path, aggregator, 8, {}, sparse_from=8)
    assert state["state"] == "released", state["reason"]
    derived = sparse_parameters(8)  # each member masks with 4 of its 7 peers
    assert derived is not None
    configs = [r.driver.session.config for r in runners if r.driver is not None]
    assert {(c.neighbours, c.threshold) for c in configs} == {(4, derived.threshold)}
    assert all(len(c.holders(1)) == 5 for c in configs)
    sent = [r.sent for r in runners if r.sent is not None]
    assert len(sent) == 8
    expected = [sum(column) for column in zip(*sent, strict=True)]
    assert aggregator.released_aggregate(state["id"]) == [float(v) for v in expected]
