"""The canary test: nothing identifying reaches any payload the privacy layer produces."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from bmad.privacy import consent, noise, payloads, sharing
from bmad.privacy.collect import collect_local_statistics
from bmad.privacy.db import open_privacy_store
from bmad.privacy.schemas import (
    LEARNING_TYPES,
    ROUND_ONLY_TYPES,
    bounded_contribution,
    schema_for,
    technologies_used,
)
from bmad.privacy.summaries import LocalStatistics
from tests.privacy.canary import MARK, build_canary_repo, leaks


def _statistics(repo: Path) -> LocalStatistics:
    collected = collect_local_statistics(repo)
    assert collected.notes == []
    stats = collected.statistics
    assert stats.anti_patterns is not None
    # a rule id the schema does not know (here a canary) can only ever count as "other"
    smells = {**stats.anti_patterns.smell_counts, f"{MARK}-rule": 1}
    return replace(stats, anti_patterns=replace(stats.anti_patterns, smell_counts=smells))


def test_every_payload_is_free_of_canaries(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / f"{MARK}-repo")
    stats = _statistics(repo)
    assert sum(len(f.functions) for f in stats.files) >= 4  # the scan did see the code
    assert technologies_used(stats.files) == {"numpy", "react"}
    assert stats.success is not None
    assert (stats.success.has_tests, stats.success.has_ci, stats.success.has_type_checking) == (
        True,
        True,
        True,
    )
    assert stats.success.fix_ratio == 1.0  # the one commit is a fix
    assert stats.workflow is not None and stats.workflow.total_commits == 1
    serialised = []
    for learning_type in sorted(set(LEARNING_TYPES) - ROUND_ONLY_TYPES):
        contribution = bounded_contribution(learning_type, stats)
        assert contribution is not None
        schema = schema_for(learning_type)
        plans = [
            noise.plan_gaussian(0.5, schema.l2_sensitivity),
            noise.plan_laplace(1.0, schema.l1_sensitivity),
            noise.plan_distributed_gaussian(0.5, 3, schema.l2_sensitivity, schema.dim),
        ]
        for plan in plans:
            serialised.append(payloads.serialise(payloads.build_payload(contribution, plan)))
        preview = sharing.preview(learning_type, stats, sharing.settings_for())
        serialised.append(json.dumps(preview.to_dict()).encode())
    for data in serialised:
        assert leaks(data, repo) == []


def test_a_prepared_release_is_free_of_canaries(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / f"{MARK}-repo")
    stats = _statistics(repo)
    store = open_privacy_store()
    key = sharing.repository_key(repo)
    consent.enable(store, key)
    settings = sharing.settings_for()
    for learning_type in sorted(set(LEARNING_TYPES) - ROUND_ONLY_TYPES):
        contribution = bounded_contribution(learning_type, stats)
        assert contribution is not None
        release = sharing.prepare_release(store, settings, key, contribution)
        assert leaks(release.data, repo) == []
        sharing.confirm_sent(store, settings, release, "test")
