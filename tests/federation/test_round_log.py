"""Round engines in several processes' shoes: engines on one database, each with its own copy of
the rounds, driven in-process with a session that records what it is given."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bmad.federation import round_log, server_store
from bmad.federation.database import Database
from bmad.federation.engine import RoundEngine
from bmad.federation.governance import Governance, governance_for
from bmad.federation.secagg.config import RoundConfig
from bmad.federation.signing import encode_key
from bmad.federation.wire import PHASES

FEDERATION = "00000000-0000-4000-8000-000000000001"
ORGANISATIONS = ("org-a", "org-b", "org-c")


class RecordingSession:
    """A group's session that keeps what it received and which phases it closed."""

    def __init__(self, config: RoundConfig) -> None:
        self.config = config
        self.received: list[tuple[str, int, str]] = []
        self.closed: list[str] = []

    def inbox(self, phase: str, participant: int) -> str | None:
        return None if phase == PHASES[0] else f"{phase}:{len(self.received)}"

    def check(self, phase: str, participant: int, message: str) -> None:
        pass  # nothing costly to check here

    def receive(
        self, phase: str, participant: int, message: str, proof_checked: bool = False
    ) -> None:
        self.received.append((phase, participant, message))

    def close(self, phase: str) -> None:
        self.closed.append(phase)

    def result(self) -> list[int]:
        return [0] * self.config.vector_length


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aggregator.sqlite3'}"
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


@pytest.fixture
def databases(url: str) -> Iterator[list[Database]]:
    """Three connections to one database, as three aggregator processes hold them."""
    opened = [server_store.open_aggregator_store(url) for _ in range(3)]
    yield opened
    for database in opened:
        database.close()


def governance() -> Governance:
    return governance_for("low")


def running_round(database: Database, engine: RoundEngine) -> tuple[str, dict[str, str]]:
    """A round whose three organisations enrolled: it is collecting the first phase."""
    with database.transaction() as connection:
        connection.execute(
            "INSERT INTO agg_federations (id, privacy_level, governance, created_at) "
            "VALUES (?, 'low', ?, ?)",
            (FEDERATION, json.dumps(governance().to_dict()), server_store.now_text()),
        )
    opened = engine.open_round(
        FEDERATION, governance(), "code_patterns", {"enrol_timeout": 60, "phase_timeout": 60}
    )
    keys = {org: encode_key(secrets.token_bytes(32)) for org in ORGANISATIONS}
    for org, key in keys.items():
        engine.enrol(opened["id"], org, key, len(ORGANISATIONS), {})
    return str(opened["id"]), keys


def sessions(engine: RoundEngine, round_id: str) -> list[RecordingSession]:
    found = [group.session for group in engine.rounds[round_id].groups]
    assert all(isinstance(session, RecordingSession) for session in found)
    return found  # type: ignore[return-value]


def logged(database: Database, round_id: str, kind: str) -> list[dict[str, object]]:
    rows = database.connection.execute(
        "SELECT body FROM agg_round_events WHERE round = ? AND kind = ? ORDER BY seq",
        (round_id, kind),
    ).fetchall()
    return [json.loads(row[0]) for row in rows]


def test_each_engine_accepts_messages_the_other_sees_and_only_one_closes_a_phase(
    databases: list[Database],
) -> None:
    first, second = (RoundEngine(database, RecordingSession) for database in databases[:2])
    round_id, keys = running_round(databases[0], first)
    phase = PHASES[0]
    first.submit(round_id, "org-a", keys["org-a"], phase, "from a")
    second.submit(round_id, "org-b", keys["org-b"], phase, "from b")
    you = first.assignment(round_id, "org-b", keys["org-b"])["you"]
    assert you["answered"]  # accepted by the other engine
    state = round_log.live_state(databases[0].connection, round_id)
    assert state is not None
    second.tick(state.deadline)  # both tickers at the deadline: one closes the phase
    first.tick(state.deadline)
    assert logged(databases[0], round_id, "close") == [{"phase": phase}]
    for engine in (first, second):
        engine.assignment(round_id, "org-a", keys["org-a"])  # catch up
        (session,) = sessions(engine, round_id)
        assert [message for _, _, message in session.received] == ["from a", "from b"]
        assert session.closed == [phase]
        assert engine.rounds[round_id].phase == PHASES[1]
    dropped = first.assignment(round_id, "org-c", keys["org-c"])["you"]
    assert not dropped["alive"]  # silent in the first phase: a dropout for every engine


def test_a_fresh_engine_rebuilds_a_round_in_flight_from_the_log(
    databases: list[Database],
) -> None:
    before = RoundEngine(databases[0], RecordingSession)
    round_id, keys = running_round(databases[0], before)
    for org in ORGANISATIONS:
        before.submit(round_id, org, keys[org], PHASES[0], f"keys of {org}")  # closes the phase
    before.submit(round_id, "org-a", keys["org-a"], PHASES[1], "shares of org-a")
    restarted = RoundEngine(databases[2], RecordingSession)  # a new process: nothing in memory
    document = restarted.assignment(round_id, "org-a", keys["org-a"])
    assert document["state"] == "running" and document["phase"] == PHASES[1]
    assert document["you"]["answered"] and "inbox" not in document["you"]  # needed no more
    waiting = restarted.assignment(round_id, "org-b", keys["org-b"])["you"]
    assert not waiting["answered"] and waiting["inbox"] is not None
    (session,) = sessions(restarted, round_id)
    (original,) = sessions(before, round_id)
    assert session.received == original.received and session.closed == original.closed
    assert session.config == original.config  # same groups, roster and thresholds
    restarted.submit(round_id, "org-b", keys["org-b"], PHASES[1], "shares of org-b")
    assert logged(databases[0], round_id, "message")[-1]["message"] == "shares of org-b"


def test_a_refused_message_leaves_no_trace_and_a_finished_round_no_log(
    databases: list[Database],
) -> None:
    engine = RoundEngine(databases[0], RecordingSession)
    round_id, keys = running_round(databases[0], engine)
    engine.submit(round_id, "org-a", keys["org-a"], PHASES[0], "first")
    with pytest.raises(server_store.ApiError, match="already received"):
        engine.submit(round_id, "org-a", keys["org-a"], PHASES[0], "again")
    assert [body["message"] for body in logged(databases[0], round_id, "message")] == ["first"]
    for _ in PHASES:  # everyone else silent: dropouts until no sum can hold k organisations
        engine.tick(time.time() + 3600)
    state = engine.describe(round_id)
    assert state["state"] == "aborted"
    left = (
        databases[0]
        .connection.execute("SELECT COUNT(*) FROM agg_round_events WHERE round = ?", (round_id,))
        .fetchone()
    )
    assert left[0] == 0 and round_id not in engine.rounds


def test_a_look_at_a_round_in_progress_counts_its_members_as_the_database_does(
    databases: list[Database],
) -> None:
    engine = RoundEngine(databases[0], RecordingSession)
    round_id, keys = running_round(databases[0], engine)
    other = RoundEngine(databases[1], RecordingSession)  # another process, its copy synced
    for looking in (engine, other):
        look = looking.assignment(round_id, "org-a", keys["org-a"])
        assert look["organisations"] == engine.describe(round_id)["organisations"]
        assert look["organisations"] == {"enrolled": len(ORGANISATIONS)}
    for _ in PHASES:
        engine.tick(time.time() + 3600)
    ended = other.assignment(round_id, "org-a", keys["org-a"])
    assert ended["state"] == "aborted"
    assert ended["organisations"] == {"aborted": len(ORGANISATIONS)}
