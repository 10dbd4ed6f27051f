"""An aggregator whose database another process keeps locked: it answers a signed 503 after its
busy timeout, having written nothing, and members ask again instead of failing."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bmad.federation import client as client_module
from bmad.federation import database as database_module
from bmad.federation.client import AggregatorClient, AggregatorError
from bmad.federation.database import DatabaseBusy, SqliteDatabase
from bmad.federation.participant import open_participant_store
from bmad.privacy.identity import Identity, load_or_create_identity
from tests.federation.harness import serving_in_process

UNKNOWN = "00000000-0000-4000-8000-000000000009"


class StatusRecorder(httpx.HTTPTransport):
    """Loopback HTTP that remembers the status of every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


@contextmanager
def write_lock_held(path: Path, seconds: float) -> Iterator[None]:
    """Another process's write transaction on the SQLite file, for ``seconds``."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(seconds, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        yield
    finally:
        release.join()
        holder.close()


def identity(folder: Path) -> Identity:
    store = open_participant_store(folder / "bmad.sqlite3")
    return load_or_create_identity(store, folder / "identity.json")


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_SECONDS", 0.1)


def test_a_transaction_behind_another_process_s_lock_fails_as_busy_and_writes_nothing(
    tmp_path: Path, short_busy_timeout: None
) -> None:
    database = SqliteDatabase(tmp_path / "aggregator.sqlite3")
    with database.transaction() as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    with (
        write_lock_held(database.path, 0.5),
        pytest.raises(DatabaseBusy, match=r"locked by another process for 0\.1 s.*try again"),
        database.transaction() as connection,
    ):
        connection.execute("INSERT INTO t VALUES (1)")
    assert database.connection.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    with database.transaction() as connection:  # the lock gone, the same write goes through
        connection.execute("INSERT INTO t VALUES (1)")
    assert database.connection.execute("SELECT COUNT(*) FROM t").fetchone() == (1,)
    database.close()


def test_a_member_asks_again_while_the_aggregator_answers_busy(
    tmp_path: Path, short_busy_timeout: None
) -> None:
    recorder = StatusRecorder()
    with serving_in_process(tmp_path / "aggregator.sqlite3") as (url, _):
        member = AggregatorClient(url, identity(tmp_path / "member"), transport=recorder)
        member.request("GET", "/v1/health")  # the aggregator's key, before the lock
        started = time.monotonic()
        with (
            write_lock_held(tmp_path / "aggregator.sqlite3", 0.8),
            pytest.raises(AggregatorError) as refused,  # a stranger, once it is heard
        ):
            member.request("GET", f"/v1/federations/{UNKNOWN}")
        assert refused.value.status in (403, 404)
        assert 503 in recorder.statuses  # signed, or the client would have refused it
        assert time.monotonic() - started >= 0.8
        member.close()


def test_a_member_gives_up_with_the_reason_when_the_aggregator_stays_busy(
    tmp_path: Path, short_busy_timeout: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "BUSY_PAUSES", (0.05,))
    with serving_in_process(tmp_path / "aggregator.sqlite3") as (url, _):
        member = AggregatorClient(url, identity(tmp_path / "member"))
        member.request("GET", "/v1/health")
        with (
            write_lock_held(tmp_path / "aggregator.sqlite3", 1.0),
            pytest.raises(AggregatorError, match=r"503 .*locked by another process"),
        ):
            member.request("GET", f"/v1/federations/{UNKNOWN}")
        member.close()
