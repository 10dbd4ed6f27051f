"""The privacy component's tables in the durable data store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bmad.store.connection import Store, data_store_path, open_store

COMPONENT = "privacy"

MIGRATIONS: list[str] = [
    """
    CREATE TABLE privacy_spends (
        id INTEGER PRIMARY KEY,
        reservation TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('repository', 'organisation')),
        subject TEXT NOT NULL,
        period TEXT NOT NULL,
        learning_type TEXT NOT NULL,
        rho REAL NOT NULL CHECK (rho >= 0),
        epsilon REAL,
        state TEXT NOT NULL CHECK (state IN ('reserved', 'committed', 'released')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX privacy_spends_subject ON privacy_spends (scope, subject, period, state);
    CREATE INDEX privacy_spends_reservation ON privacy_spends (reservation);
    CREATE TABLE privacy_consent (
        repository TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL,
        learning_types TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE privacy_consent_events (
        id INTEGER PRIMARY KEY,
        repository TEXT NOT NULL,
        action TEXT NOT NULL,
        learning_types TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE privacy_audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE privacy_audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE privacy_global_insights (
        learning_type TEXT PRIMARY KEY,
        schema_version INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        document TEXT NOT NULL
    );
    """,
    # The organisation this machine spends for, and its share of that organisation's budget
    # (certified by the organisation key at join); one row: one ledger name per machine.
    """
    CREATE TABLE privacy_organisation (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        budget_share REAL NOT NULL CHECK (budget_share > 0 AND budget_share <= 1)
    );
    """,
]


def open_privacy_store(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


def utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
