"""The aggregator client's error messages: a refused request says why, never with the values
it sent (an enrolment token among them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bmad.federation.client import AggregatorClient, AggregatorError, describe_refusal
from bmad.federation.participant import open_participant_store
from bmad.privacy.identity import load_or_create_identity
from tests.federation.harness import Aggregator


def test_a_validation_error_names_each_field_and_no_value() -> None:
    detail = [
        {
            "type": "string_too_short",
            "loc": ["body", "token"],
            "msg": "String should have at least 16 characters",
            "input": "sekrit",
        },
        {"loc": ["path", "federation"], "msg": "String should match pattern", "input": "x"},
    ]

    described = describe_refusal(detail)

    assert described == (
        "token: String should have at least 16 characters; federation: String should match pattern"
    )


def test_a_plain_reason_is_kept() -> None:
    assert describe_refusal("invalid or already used enrolment token") == (
        "invalid or already used enrolment token"
    )


def test_a_refused_join_does_not_echo_the_token(tmp_path: Path, aggregator: Aggregator) -> None:
    store = open_participant_store(tmp_path / "me" / "bmad.sqlite3")
    identity = load_or_create_identity(store, tmp_path / "me" / "identity.json")
    client = AggregatorClient(aggregator.url, identity)

    with pytest.raises(AggregatorError) as refused:
        client.join("not-a-federation", "acme", "short-secret", {})

    assert refused.value.status == 422
    assert "short-secret" not in refused.value.message
    assert "token: String should have at least 16 characters" in refused.value.message
    assert "federation: String should match pattern" in refused.value.message
