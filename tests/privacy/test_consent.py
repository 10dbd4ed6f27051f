"""Consent: off by default, recorded with time and scope, audited."""

from __future__ import annotations

import pytest

from bmad.errors import BmadError
from bmad.privacy import audit, consent
from bmad.privacy.db import open_privacy_store
from bmad.privacy.schemas import LEARNING_TYPES


def test_sharing_is_off_until_enabled() -> None:
    store = open_privacy_store()
    assert not consent.allowed(store, "/repo", "code_patterns")
    with pytest.raises(BmadError, match="not enabled"):
        consent.require(store, "/repo", "code_patterns")
    record = consent.enable(store, "/repo", ["technology_trends", "code_patterns"])
    assert record.learning_types == ("code_patterns", "technology_trends")  # schema order
    assert record.updated_at
    assert consent.allowed(store, "/repo", "code_patterns")
    assert not consent.allowed(store, "/repo", "workflow_patterns")
    assert not consent.allowed(store, "/other", "code_patterns")
    consent.disable(store, "/repo")
    assert not consent.allowed(store, "/repo", "code_patterns")
    events = consent.history(store, "/repo")
    assert [e["action"] for e in events] == ["enable", "disable"]
    assert [e.kind for e in audit.entries(store)] == ["consent", "consent"]


def test_enable_without_types_means_every_type() -> None:
    store = open_privacy_store()
    assert consent.enable(store, "/repo").learning_types == LEARNING_TYPES
    assert [c.repository for c in consent.all_consents(store)] == ["/repo"]


def test_unknown_types_are_refused_and_nothing_is_recorded() -> None:
    store = open_privacy_store()
    with pytest.raises(BmadError, match="unknown learning type"):
        consent.enable(store, "/repo", ["code_patterns", "source_code"])
    assert consent.all_consents(store) == []
    assert audit.entries(store) == []
