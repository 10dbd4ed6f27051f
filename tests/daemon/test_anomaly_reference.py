"""The daemon's detection refers its anomaly model to the federation's synthetic population
when code-pattern insights are cached, and says so in every anomaly finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bmad.analysis.reference import LOCAL_SCOPE
from bmad.analysis.store import load_findings
from bmad.daemon import gitstate
from bmad.daemon.miner import FindingsStep, MiningContext, default_steps
from bmad.federation.insights import RoundFacts, compute_insights
from bmad.privacy.db import open_privacy_store
from bmad.privacy.schemas import CODE_EDGES, schema_for
from bmad.privacy.sharing import cache_global_insights
from bmad.store.registry import add_repository, open_registry

ANOMALY_RULE = "anomalous-function"


def ordinary(index: int) -> str:
    branches = "".join(
        f"    if value > {index + step}:\n        value -= {step + 1}\n"
        for step in range(index % 4)
    )
    return f"def ordinary_{index}(value):\n{branches}    return value\n\n\n"


MONSTER = (
    "def monster(a, b, c, d, e, f, g):\n"
    + "".join(
        "    " * (depth + 1) + f"if a > {depth} and b or c and d or e:\n" for depth in range(7)
    )
    + "    " * 8
    + "return a\n"
    + "".join(
        f"    for item_{n} in range(b):\n        c += item_{n} if d else e\n" for n in range(12)
    )
    + "    return c\n"
)


def code_insights() -> dict[str, object]:
    """Released code patterns of 10 organisations, confident (tiny noise)."""
    aggregate: list[float] = []
    for block in schema_for("code_patterns").blocks:
        counts = [0.0] * len(block.labels)
        for index in range(min(8, len(CODE_EDGES[block.name]))):
            counts[index] = 300.0 / (1 + index)
        aggregate.extend(counts)
    facts = RoundFacts("code_patterns", 2, 10, 1, 1e-9, 1.0, 1e-5, 0.7, 3, "record")
    return compute_insights(aggregate, facts)


def mined_anomalies(repo: Path) -> list[tuple[str, object]]:
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        context = MiningContext(store, repository, gitstate.snapshot(repo))
        context.reports += [step(context) for step in default_steps()]
        FindingsStep()(context)  # in a spawned child, as the daemon runs it
        found = load_findings(store, repo)
    return [(f.message, f.evidence["reference"]) for f in found if f.rule_id == ANOMALY_RULE]


@pytest.fixture
def project(bmad_home: Path, make_repo: Callable[..., Path]) -> Callable[[str], Path]:
    def factory(setting: str) -> Path:
        files = {
            f"pkg/part_{n}.py": "".join(ordinary(n * 10 + i) for i in range(10)) for n in range(5)
        }
        files["pkg/monster.py"] = MONSTER
        # a python model of its own: the pooled model (smaller families) stays local
        files["pyproject.toml"] = (
            f'[tool.bmad.analysis]\nmin_family_functions = 30\nanomaly_reference = "{setting}"\n'
        )
        return make_repo(f"project-{setting}", files)

    return factory


def test_without_cached_insights_detection_refers_to_the_repository(
    project: Callable[[str], Path],
) -> None:
    anomalies = mined_anomalies(project("auto"))
    assert anomalies, "the monster must be flagged"
    for message, reference in anomalies:
        assert reference == LOCAL_SCOPE
        assert f"stands out among {LOCAL_SCOPE}" in message


def test_with_cached_insights_detection_refers_to_the_federation(
    project: Callable[[str], Path],
) -> None:
    with open_privacy_store() as store:
        cache_global_insights(store, "code_patterns", 2, code_insights())
    anomalies = mined_anomalies(project("auto"))
    assert anomalies, "the monster must be flagged"
    for message, reference in anomalies:
        assert reference == "10 organisations' python functions"
        assert "stands out among 10 organisations' python functions" in message
