"""The aggregator's record of reputation events and ratings, and each organisation's standing.

Events come from the round engine as rounds close (``record_round``, called inside the
transaction that writes the round's outcome): every member of a released round that saw it
through gets ``round_completed``, every member its group lost gets ``dropped_out``; the time is
the round's closing time. Each event is also appended to the aggregator's hash-chained audit
log (kind ``reputation_event``), so a member that kept the log's head detects an event rewritten
or dropped later, and a member that took part in round R checks R's events against the roster
and the survivor list it signed in the consistency check. When a round aborts, the engine names
the members its groups were waiting for at the phase that failed (``record_dropouts``): each
gets ``dropped_out``; those who delivered get nothing, since the round released nothing.

Events and ratings carry the organisation key they were earned under; a standing counts only
those under the key the organisation holds now (non-transferable reputation).

SQL here is portable between SQLite and PostgreSQL (``?`` placeholders, TEXT/REAL columns,
explicit primary keys, ``ON CONFLICT``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bmad.errors import BmadError
from bmad.federation import server_store
from bmad.federation.reputation.credits import Credits, credits
from bmad.federation.reputation.model import (
    EVIDENCE,
    Event,
    Reputation,
    WeightedRating,
    rater_weight,
    reputation,
    tenure,
)
from bmad.federation.reputation.policy import IncentiveRules
from bmad.federation.reputation.ratings import SignedRating
from bmad.federation.trust import b64
from bmad.privacy.db import timestamp
from bmad.privacy.ledger import period_key

COMPONENT = "aggregator_reputation"
MIGRATIONS: list[str] = [
    """
    CREATE TABLE agg_reputation_events (
        federation TEXT NOT NULL,
        organisation TEXT NOT NULL,
        organisation_key TEXT NOT NULL,
        round TEXT NOT NULL,
        kind TEXT NOT NULL,
        learning_type TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (federation, organisation, round, kind)
    );
    CREATE TABLE agg_ratings (
        federation TEXT NOT NULL,
        rater TEXT NOT NULL,
        target TEXT NOT NULL,
        period TEXT NOT NULL,
        quality REAL NOT NULL,
        rater_key TEXT NOT NULL,
        target_key TEXT NOT NULL,
        signature TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (federation, rater, target, period)
    );
    """,
]


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Rows: ...


class Database(Protocol):
    """The aggregator's store, SQLite or PostgreSQL."""

    @property
    def connection(self) -> Any: ...

    def transaction(self) -> AbstractContextManager[Any]: ...

    def migrate(self, component: str, migrations: list[str]) -> None: ...


def install(database: Database) -> None:
    database.migrate(COMPONENT, MIGRATIONS)


def record_round(connection: Connection, round_id: str) -> None:
    """The round engine's hook: the events a closed round gives its members."""
    row = connection.execute(
        "SELECT federation, learning_type, state, closed_at FROM agg_rounds WHERE id = ?",
        (round_id,),
    ).fetchone()
    if row is None or row[2] != "released":
        return
    federation, learning_type, _, closed_at = (str(value) for value in row)
    outcomes = connection.execute(
        "SELECT organisation, outcome FROM agg_round_members WHERE round = ? "
        "AND outcome IN ('completed', 'dropped') ORDER BY organisation",
        (round_id,),
    ).fetchall()
    for organisation, outcome in outcomes:
        kind = "round_completed" if outcome == "completed" else "dropped_out"
        record_event(
            connection, federation, str(organisation), kind, round_id, learning_type, closed_at
        )


def record_dropouts(connection: Connection, round_id: str, missing: list[str]) -> None:
    """The round engine's hook for an aborted round: ``missing`` did not deliver a phase."""
    row = connection.execute(
        "SELECT federation, learning_type, closed_at FROM agg_rounds WHERE id = ?", (round_id,)
    ).fetchone()
    if row is None:
        return
    federation, learning_type, closed_at = (str(value) for value in row)
    for organisation in sorted(set(missing)):
        record_event(
            connection, federation, organisation, "dropped_out", round_id, learning_type, closed_at
        )


def record_event(
    connection: Connection,
    federation: str,
    organisation: str,
    kind: str,
    round_id: str,
    learning_type: str,
    at: str,
) -> None:
    """Record one event (once) under the organisation's current key, and chain it."""
    if kind not in EVIDENCE:
        raise BmadError(f"unknown reputation event {kind!r} (known: {', '.join(EVIDENCE)})")
    key = organisation_key(connection, federation, organisation)
    if key is None:
        return
    connection.execute(
        "INSERT INTO agg_reputation_events (federation, organisation, organisation_key, round, "
        "kind, learning_type, at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (federation, organisation, round, kind) DO NOTHING",
        (federation, organisation, key, round_id, kind, learning_type, at),
    )
    audit_connection: Any = connection
    server_store.audit(
        audit_connection,
        "reputation_event",
        {
            "federation": federation,
            "organisation": organisation,
            "organisation_key": key,
            "kind": kind,
            "round": round_id,
            "learning_type": learning_type,
            "at": at,
        },
    )


def organisation_key(connection: Connection, federation: str, organisation: str) -> str | None:
    row = connection.execute(
        "SELECT organisation_key FROM agg_admissions WHERE federation = ? AND organisation = ?",
        (federation, organisation),
    ).fetchone()
    return None if row is None else str(row[0])


def organisations(connection: Connection, federation: str) -> list[str]:
    return [
        str(row[0])
        for row in connection.execute(
            "SELECT DISTINCT organisation FROM agg_participants WHERE federation = ? "
            "ORDER BY organisation",
            (federation,),
        ).fetchall()
    ]


def events_of(connection: Connection, federation: str, organisation: str) -> list[Event]:
    """The organisation's events under the key it holds now, oldest first."""
    key = organisation_key(connection, federation, organisation)
    rows = connection.execute(
        "SELECT kind, at, round, learning_type FROM agg_reputation_events WHERE federation = ? "
        "AND organisation = ? AND organisation_key = ? ORDER BY at, round, kind",
        (federation, organisation, key or ""),
    ).fetchall()
    return [
        Event(str(kind), datetime.fromisoformat(str(at)), str(round_id), str(learning_type))
        for kind, at, round_id, learning_type in rows
    ]


def joined_at(connection: Connection, federation: str, organisation: str) -> datetime | None:
    row = connection.execute(
        "SELECT MIN(joined_at) FROM agg_participants WHERE federation = ? AND organisation = ?",
        (federation, organisation),
    ).fetchone()
    return None if row is None or row[0] is None else datetime.fromisoformat(str(row[0]))


def store_rating(database: Database, signed: SignedRating, now: datetime) -> dict[str, Any]:
    """Keep a rating after checking it: the rater's admitted organisation key signed it, the
    target is another member, and it is for the current period. A later rating of the same
    pair in the same period replaces the earlier one."""
    rating = signed.rating
    period = period_key("month", now)
    if rating.period != period:
        raise BmadError(f"a rating counts for the current period ({period}), not {rating.period}")
    with database.transaction() as connection:
        rater_key = organisation_key(connection, rating.federation, rating.rater)
        if rater_key is None or rater_key != b64(signed.rater_key):
            raise BmadError(
                f"{rating.rater}'s organisation key in this federation is not the key that "
                "signed the rating"
            )
        signed.verify()
        target_key = organisation_key(connection, rating.federation, rating.target)
        if target_key is None:
            raise BmadError(f"no organisation {rating.target} in this federation")
        replaced = connection.execute(
            "SELECT quality FROM agg_ratings WHERE federation = ? AND rater = ? AND target = ? "
            "AND period = ?",
            (rating.federation, rating.rater, rating.target, period),
        ).fetchone()
        connection.execute(
            "INSERT INTO agg_ratings (federation, rater, target, period, quality, rater_key, "
            "target_key, signature, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (federation, rater, target, period) DO UPDATE SET "
            "quality = excluded.quality, rater_key = excluded.rater_key, "
            "target_key = excluded.target_key, signature = excluded.signature, at = excluded.at",
            (
                rating.federation,
                rating.rater,
                rating.target,
                period,
                rating.quality,
                rater_key,
                target_key,
                b64(signed.signature),
                timestamp(now),
            ),
        )
        server_store.audit(
            connection,
            "rating_recorded",
            {
                "federation": rating.federation,
                "rater": rating.rater,
                "target": rating.target,
                "period": period,
                "quality": rating.quality,
                "rater_key": rater_key,
                "target_key": target_key,
                "at": timestamp(now),
            },
        )
    return {
        **signed.to_dict(),
        "replaced": None if replaced is None else float(replaced[0]),
    }


@dataclass(frozen=True, slots=True)
class StoredRating:
    signed: SignedRating
    at: datetime


def ratings_of(connection: Connection, federation: str, target: str) -> list[StoredRating]:
    """Ratings of ``target`` made while it held the key it holds now."""
    key = organisation_key(connection, federation, target)
    rows = connection.execute(
        "SELECT rater, period, quality, rater_key, signature, at FROM agg_ratings "
        "WHERE federation = ? AND target = ? AND target_key = ? ORDER BY at, rater",
        (federation, target, key or ""),
    ).fetchall()
    return [
        StoredRating(
            SignedRating.from_dict(
                {
                    "federation": federation,
                    "rater": rater,
                    "target": target,
                    "period": period,
                    "quality": quality,
                    "rater_key": rater_key,
                    "signature": signature,
                }
            ),
            datetime.fromisoformat(str(at)),
        )
        for rater, period, quality, rater_key, signature, at in rows
    ]


@dataclass(frozen=True, slots=True)
class Standing:
    """What the aggregator knows of one organisation: its reputation and its credits."""

    organisation: str
    events: tuple[Event, ...]
    ratings: tuple[WeightedRating, ...]
    counted_ratings: tuple[StoredRating, ...]  # as signed, in the order of ``ratings``
    reputation: Reputation
    credits: Credits
    tenure: float


def standing(
    connection: Connection,
    federation: str,
    organisation: str,
    rules: IncentiveRules,
    now: datetime,
) -> Standing:
    events = events_of(connection, federation, organisation)
    weighted: list[WeightedRating] = []
    counted: list[StoredRating] = []
    for stored in ratings_of(connection, federation, organisation):
        rater = stored.signed.rating.rater
        # the rater counts only while it holds the key it rated with
        if organisation_key(connection, federation, rater) != b64(stored.signed.rater_key):
            continue
        weight = rater_weight(events_of(connection, federation, rater), now)
        weighted.append(WeightedRating(rater, stored.signed.rating.quality, stored.at, weight))
        counted.append(stored)
    joined = joined_at(connection, federation, organisation) or now
    return Standing(
        organisation,
        tuple(events),
        tuple(weighted),
        tuple(counted),
        reputation(events, weighted, now),
        credits(events, joined, rules),
        tenure(events),
    )


EVIDENCE_AUDIT_KINDS = ("reputation_event", "rating_recorded")


def evidence(connection: Connection, federation: str, since: int | None = None) -> dict[str, Any]:
    """Every reputation event and rating of the federation as stored, the audit-log entries
    that recorded them, and the hash links of the log from the first of those (or from entry
    ``since``, a head the member kept, if earlier) to its head (other entries as (seq,
    prev_hash, hash) only: their contents belong to others)."""
    events = [
        {
            "organisation": str(organisation),
            "organisation_key": str(key),
            "kind": str(kind),
            "round": str(round_id),
            "learning_type": str(learning_type),
            "at": str(at),
        }
        for organisation, key, kind, round_id, learning_type, at in connection.execute(
            "SELECT organisation, organisation_key, kind, round, learning_type, at "
            "FROM agg_reputation_events WHERE federation = ? "
            "ORDER BY at, organisation, round, kind",
            (federation,),
        ).fetchall()
    ]
    ratings = [
        {
            "federation": federation,
            "rater": str(rater),
            "target": str(target),
            "period": str(period),
            "quality": float(quality),
            "rater_key": str(rater_key),
            "target_key": str(target_key),
            "signature": str(signature),
            "at": str(at),
        }
        for rater, target, period, quality, rater_key, target_key, signature, at in (
            connection.execute(
                "SELECT rater, target, period, quality, rater_key, target_key, signature, at "
                "FROM agg_ratings WHERE federation = ? ORDER BY at, rater, target",
                (federation,),
            ).fetchall()
        )
    ]
    recorded = connection.execute(
        "SELECT seq, at, kind, detail, prev_hash, hash FROM agg_audit "
        "WHERE kind IN (?, ?) AND detail LIKE ? ORDER BY seq",
        (*EVIDENCE_AUDIT_KINDS, f'%"federation":"{federation}"%'),
    ).fetchall()
    entries = [
        {
            "seq": int(seq),
            "at": str(at),
            "kind": str(kind),
            "detail": str(detail),
            "prev_hash": str(prev_hash),
            "hash": str(digest),
        }
        for seq, at, kind, detail, prev_hash, digest in recorded
    ]
    starts = [int(recorded[0][0])] if recorded else []
    if since is not None:
        starts.append(since)
    links = (
        [
            [int(seq), str(prev_hash), str(digest)]
            for seq, prev_hash, digest in connection.execute(
                "SELECT seq, prev_hash, hash FROM agg_audit WHERE seq >= ? ORDER BY seq",
                (min(starts),),
            ).fetchall()
        ]
        if starts
        else []
    )
    return {"events": events, "ratings": ratings, "audit_entries": entries, "audit_links": links}
