"""A repository whose past teaches the defect-risk model, ending now: twelve fragile modules
a rotating crew fixes every month for four years, twelve calm ones written once (pygit2, so
four years of history take milliseconds). The surfaces' tests (CLI, hook, editor, daemon)
train on it through the real code; and a federated model released into the insights cache."""

from __future__ import annotations

import time
from pathlib import Path

import pygit2

from bmad.analysis.risk_portable import model_digest
from bmad.federation.participant import open_participant_store
from bmad.federation.risk_rounds import cached_global_model
from bmad.privacy.risk_schema import FEDERATED_FEATURES, LEARNING_TYPE, VERSION
from bmad.privacy.sharing import cache_global_insights

MONTH = 30 * 24 * 3600
MONTHS = 48
FRAGILE = tuple(f"fragile{i:02}.py" for i in range(12))
CALM = tuple(f"calm{i:02}.py" for i in range(12))


def module_source(name: str, version: int) -> str:
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(version % 4 + 1))
    return f"def {name}(x):\n{body}    return -1\n"


def build_risky_history(
    path: Path, months: int = MONTHS, modules: int = len(FRAGILE)
) -> pygit2.Repository:
    """``months`` of history at ``path`` with ``modules`` fragile and as many calm modules,
    its last commit a month ago; the work tree checked out at it."""
    start = int(time.time()) - months * MONTH
    repository = pygit2.init_repository(str(path), initial_head="main")
    fragile, calm = FRAGILE[:modules], CALM[:modules]
    contents = {name: module_source(name[:-3], 0) for name in fragile + calm}
    parents: list[pygit2.Oid] = []

    def commit(month: int, author: str, message: str) -> None:
        builder = repository.TreeBuilder()
        for name, text in sorted(contents.items()):
            builder.insert(name, repository.create_blob(text.encode()), pygit2.GIT_FILEMODE_BLOB)
        who = pygit2.Signature(author, f"{author}@example.com", start + month * MONTH, 0)
        parents[:] = [
            repository.create_commit("refs/heads/main", who, who, message, builder.write(), parents)
        ]

    commit(0, "alice", "Initial import")
    for month in range(1, months):
        for offset in range(4):
            name = fragile[(month * 4 + offset) % len(fragile)]
            contents[name] = module_source(name[:-3], month + offset)
        commit(month, f"dev{month % 7}", f"fix month {month}")
    repository.checkout_head(strategy=pygit2.GIT_CHECKOUT_FORCE)
    return repository


def release_global_model() -> str:
    """Cache a federated model that reads recent churn; its digest."""
    weights = [-1.0] + [0.0] * len(FEDERATED_FEATURES)
    weights[1 + FEDERATED_FEATURES.index("recent_churn")] = 2.0
    document = {"model": {"features": list(FEDERATED_FEATURES), "weights": weights, "rows": 90}}
    with open_participant_store() as store:
        cache_global_insights(store, LEARNING_TYPE, VERSION, document)
        return model_digest(cached_global_model(store))
