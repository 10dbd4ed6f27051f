"""The aggregator's identity: TLS beyond loopback, answers signed by its key, and requests that
name it (a request captured at one aggregator is refused by another)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bmad.errors import BmadError
from bmad.federation.client import AggregatorClient
from bmad.federation.participant import open_participant_store
from bmad.federation.signing import sign_request
from bmad.privacy.identity import Identity, load_or_create_identity
from tests.federation.harness import create_federation, serving_in_process


def identity(tmp_path: Path, name: str) -> Identity:
    store = open_participant_store(tmp_path / name / "bmad.sqlite3")
    return load_or_create_identity(store, tmp_path / name / "identity.json")


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3:8750", "http://aggregator.example:8750", "ftp://127.0.0.1"]
)
def test_plain_http_beyond_loopback_is_refused_with_what_to_do(tmp_path: Path, url: str) -> None:
    with pytest.raises(BmadError, match=r"must be reached over TLS \(https://"):
        AggregatorClient(url, identity(tmp_path, "member"))
    AggregatorClient("http://localhost:8750", identity(tmp_path, "member")).close()
    AggregatorClient("https://10.1.2.3:8750", identity(tmp_path, "member")).close()


def test_a_request_replayed_to_a_second_aggregator_is_refused(tmp_path: Path) -> None:
    admin = identity(tmp_path, "admin")
    store = open_participant_store(tmp_path / "admin" / "bmad.sqlite3")
    with (
        serving_in_process(tmp_path / "a.sqlite3") as (first, _),
        serving_in_process(tmp_path / "b.sqlite3") as (second, _),
        AggregatorClient(first, admin) as at_first,
        AggregatorClient(second, admin) as at_second,
    ):
        federation = create_federation(store, at_first, ["x", "y", "z"])["federation"]
        create_federation(store, at_second, ["x", "y", "z"])  # the same key is known there too
        target = f"/v1/federations/{federation}"
        headers = sign_request(
            admin, admin.public.signing_public, at_first.aggregator_key, "GET", target, b""
        )
        assert httpx.get(first + target, headers=headers).status_code == 200
        replayed = httpx.get(second + target, headers=headers)
        assert replayed.status_code == 401
        assert "another aggregator" in replayed.json()["detail"]


def test_an_answer_not_signed_by_the_pinned_aggregator_is_refused(tmp_path: Path) -> None:
    admin = identity(tmp_path, "admin")
    store = open_participant_store(tmp_path / "admin" / "bmad.sqlite3")
    with (
        serving_in_process(tmp_path / "a.sqlite3") as (first, _),
        serving_in_process(tmp_path / "b.sqlite3") as (impostor, _),
    ):
        with AggregatorClient(first, admin) as genuine:
            federation = create_federation(store, genuine, ["x", "y", "z"])["federation"]
            pinned = genuine.aggregator_key
            assert genuine.status(federation)["you"]["role"] == "admin"
        # another server answers at the pinned aggregator's address: its answers are refused
        with (
            AggregatorClient(impostor, admin, aggregator_key=pinned) as fooled,
            pytest.raises(BmadError, match="not signed by its key"),
        ):
            fooled.rounds(federation)
