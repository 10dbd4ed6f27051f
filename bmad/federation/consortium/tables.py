"""The aggregator's consortium tables (portable SQL: SQLite and PostgreSQL alike).

``agg_consortium_log`` holds one row per rules version; ``agg_consortium_proposals`` and
``agg_consortium_approvals`` the changes waiting for their quorum; ``agg_consortium_agreements``
the learning agreement a joining machine signed, until the admin binds its seat; and
``agg_round_refusals`` which organisation refused which round and why (the opener sees them in
the round's status; they are verifiable events for reputation). ``apply_retention`` enforces
the rules' retention of released insights.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bmad.federation.database import Database, SqlConnection

COMPONENT = "aggregator_consortium"
MIGRATIONS: list[str] = [
    """
    CREATE TABLE agg_consortium_log (
        federation TEXT NOT NULL,
        version INTEGER NOT NULL,
        entry TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (federation, version)
    );
    CREATE TABLE agg_consortium_proposals (
        id TEXT PRIMARY KEY,
        federation TEXT NOT NULL,
        entry TEXT NOT NULL,
        proposer TEXT NOT NULL,
        state TEXT NOT NULL,
        token_released INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE agg_consortium_approvals (
        proposal TEXT NOT NULL,
        organisation TEXT NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (proposal, organisation)
    );
    CREATE TABLE agg_consortium_agreements (
        federation TEXT NOT NULL,
        organisation TEXT NOT NULL,
        certificate TEXT NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (federation, organisation)
    );
    CREATE TABLE agg_round_refusals (
        round TEXT NOT NULL,
        organisation TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (round, organisation)
    );
    """,
]


def round_refusals(store: Database, round_id: str) -> list[dict[str, str]]:
    """Which organisations refused the round, and why (shown in the round's status)."""
    rows = store.connection.execute(
        "SELECT organisation, reason, at FROM agg_round_refusals WHERE round = ? "
        "ORDER BY organisation",
        (round_id,),
    ).fetchall()
    return [{"organisation": row[0], "reason": row[1], "at": row[2]} for row in rows]


def apply_retention(connection: SqlConnection, federation: str, now: datetime) -> int:
    """Delete the federation's released insights older than its rules' retention (inside the
    caller's transaction, when a new release is written); how many were deleted."""
    head = connection.execute(
        "SELECT entry FROM agg_consortium_log WHERE federation = ? ORDER BY version DESC LIMIT 1",
        (federation,),
    ).fetchone()
    if head is None:
        return 0
    days = int(json.loads(head[0])["rules"]["retention"]["released_insights_days"])
    cutoff = (now - timedelta(days=days)).astimezone(UTC).isoformat(timespec="microseconds")
    deleted = connection.execute(
        "DELETE FROM agg_releases WHERE federation = ? AND released_at < ?", (federation, cutoff)
    )
    return deleted.rowcount
