"""The state of rounds in progress, in the aggregator's database, so that any aggregator process
can serve any request of a round and a round survives a restart.

A round in progress is its ``agg_rounds`` row, its governance and deadline (``agg_round_live``)
and an ordered log of what the round engine accepted (``agg_round_events``): enrolments, the
groups drawn when enrolment closed, each phase message, each phase's close. A process rebuilds
the secure-aggregation sessions by replaying the log through the same code that accepted it,
and catches up from the last event it applied. Events are numbered per round: the primary key
(round, seq) refuses a second writer of the same step, and write transactions are serialised
(``bmad.federation.database``), so two processes never both close a phase. The log, masked
inputs included, is deleted in the transaction that releases or aborts the round.
``agg_changes`` counts every change of any round, for long polls held by any process.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from bmad.federation.database import SqlConnection

COMPONENT = "aggregator_rounds"

MIGRATIONS: list[str] = [
    """
    CREATE TABLE agg_round_live (
        round TEXT PRIMARY KEY REFERENCES agg_rounds (id),
        governance TEXT NOT NULL,
        deadline REAL NOT NULL
    );
    CREATE TABLE agg_round_events (
        round TEXT NOT NULL REFERENCES agg_rounds (id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (round, seq)
    );
    CREATE TABLE agg_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        counter INTEGER NOT NULL
    );
    INSERT INTO agg_changes (id, counter) VALUES (1, 0);
    """,
]


class Event(NamedTuple):
    seq: int
    kind: str
    body: dict[str, Any]


class LiveState(NamedTuple):
    """A round in progress as its rows hold it; the JSON is parsed by whoever needs it (a
    process builds its copy of the round once, then reads only the deadline)."""

    federation: str
    learning_type: str
    parameters: str  # JSON
    governance: str  # JSON
    deadline: float  # seconds since the epoch: comparable across processes and restarts


def start(
    connection: SqlConnection, round_id: str, governance: dict[str, Any], deadline: float
) -> None:
    connection.execute(
        "INSERT INTO agg_round_live (round, governance, deadline) VALUES (?, ?, ?)",
        (round_id, json.dumps(governance, sort_keys=True), deadline),
    )


def live_state(connection: SqlConnection, round_id: str) -> LiveState | None:
    """The round's row and live state in one query (every request of a round asks); None
    unless it is enrolling or running."""
    row = connection.execute(
        "SELECT r.federation, r.learning_type, r.state, r.parameters, l.governance, "
        "l.deadline FROM agg_rounds r LEFT JOIN agg_round_live l ON l.round = r.id "
        "WHERE r.id = ?",
        (round_id,),
    ).fetchone()
    if row is None or row[2] not in ("enrolling", "running") or row[4] is None:
        return None
    return LiveState(str(row[0]), str(row[1]), str(row[3]), str(row[4]), float(row[5]))


def set_deadline(connection: SqlConnection, round_id: str, deadline: float) -> None:
    connection.execute(
        "UPDATE agg_round_live SET deadline = ? WHERE round = ?", (deadline, round_id)
    )


def due_rounds(connection: SqlConnection, now: float) -> list[str]:
    """Rounds in progress whose enrolment or phase deadline has passed."""
    rows = connection.execute(
        "SELECT round FROM agg_round_live WHERE deadline <= ? ORDER BY deadline", (now,)
    ).fetchall()
    return [str(row[0]) for row in rows]


def in_progress_without_log(connection: SqlConnection) -> list[str]:
    """Rounds in progress that no log describes (opened by a bmad that kept them in memory)."""
    rows = connection.execute(
        "SELECT id FROM agg_rounds WHERE state IN ('enrolling', 'running') "
        "AND id NOT IN (SELECT round FROM agg_round_live)"
    ).fetchall()
    return [str(row[0]) for row in rows]


def append(connection: SqlConnection, round_id: str, event: Event) -> None:
    connection.execute(
        "INSERT INTO agg_round_events (round, seq, kind, body) VALUES (?, ?, ?, ?)",
        (round_id, event.seq, event.kind, json.dumps(event.body, sort_keys=True)),
    )


def events_after(connection: SqlConnection, round_id: str, seq: int) -> list[Event]:
    rows = connection.execute(
        "SELECT seq, kind, body FROM agg_round_events WHERE round = ? AND seq > ? ORDER BY seq",
        (round_id, seq),
    ).fetchall()
    return [Event(int(row[0]), str(row[1]), json.loads(row[2])) for row in rows]


def forget(connection: SqlConnection, round_id: str) -> None:
    """The round is over: its log (masked inputs, shares) and live state go."""
    connection.execute("DELETE FROM agg_round_events WHERE round = ?", (round_id,))
    connection.execute("DELETE FROM agg_round_live WHERE round = ?", (round_id,))


def bump_changes(connection: SqlConnection) -> int:
    connection.execute("UPDATE agg_changes SET counter = counter + 1 WHERE id = 1")
    return changes(connection)


def changes(connection: SqlConnection) -> int:
    row = connection.execute("SELECT counter FROM agg_changes WHERE id = 1").fetchone()
    return int(row[0])
