"""This machine's side of federations: which one it joined, for which organisation, with which
role, the trust anchors it pinned at join (the admin's key and the rules it signed, this
machine's certificate), and what it did in each round. Kept in the durable data store
(component ``federation``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmad.privacy.db import timestamp, utc_now
from bmad.store.connection import Store, data_store_path, open_store

COMPONENT = "federation"

MIGRATIONS: list[str] = [
    """
    CREATE TABLE federation_membership (
        federation TEXT PRIMARY KEY,
        aggregator TEXT NOT NULL,
        organisation TEXT NOT NULL,
        role TEXT NOT NULL,
        joined_at TEXT NOT NULL
    );
    CREATE TABLE federation_rounds (
        round TEXT PRIMARY KEY,
        federation TEXT NOT NULL,
        learning_type TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE federation_membership ADD COLUMN admin_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE federation_membership ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE federation_membership ADD COLUMN rules_signature TEXT NOT NULL DEFAULT '';
    ALTER TABLE federation_membership ADD COLUMN certificate TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE federation_certificates (
        federation TEXT NOT NULL,
        machine_key TEXT NOT NULL,
        budget_share REAL NOT NULL,
        issued_at TEXT NOT NULL,
        PRIMARY KEY (federation, machine_key)
    );
    """,
    """
    ALTER TABLE federation_membership ADD COLUMN aggregator_key TEXT NOT NULL DEFAULT '';
    """,
    """
    CREATE TABLE federation_trust_levels (
        federation TEXT PRIMARY KEY,
        fetched_at TEXT NOT NULL,
        document TEXT NOT NULL
    );
    """,
]


def open_federation_store(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


@dataclass(frozen=True, slots=True)
class Pinned:
    """What a member pinned at join: the admin's key (base64), the rules it signed (JSON) with
    that signature, and this machine's certificate (JSON). Empty before the trust model."""

    admin_key: str = ""
    rules: str = "{}"
    rules_signature: str = ""
    certificate: str = "{}"
    aggregator_key: str = ""  # base64; every answer must be signed by it


@dataclass(frozen=True, slots=True)
class Membership:
    federation: str
    aggregator: str
    organisation: str
    role: str
    joined_at: str
    admin_key: str = ""  # base64; signs the rules and admits organisation keys
    rules: str = "{}"  # the governance the admin signed, as JSON
    rules_signature: str = ""
    certificate: str = "{}"  # this machine's certificate from its organisation key
    aggregator_key: str = ""  # base64; the aggregator's answers are checked against it

    @property
    def pinned_aggregator_key(self) -> bytes | None:
        import base64

        return base64.urlsafe_b64decode(self.aggregator_key) if self.aggregator_key else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "federation": self.federation,
            "aggregator": self.aggregator,
            "organisation": self.organisation,
            "role": self.role,
            "joined_at": self.joined_at,
        }


def remember(
    store: Store,
    federation: str,
    aggregator: str,
    organisation: str,
    role: str,
    pinned: Pinned | None = None,
) -> None:
    """Record this machine's membership, with the trust anchors it checked at join."""
    anchors = pinned or Pinned()
    with store.transaction() as connection:
        connection.execute(
            "INSERT INTO federation_membership (federation, aggregator, organisation, role, "
            "joined_at, admin_key, rules, rules_signature, certificate, aggregator_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(federation) DO UPDATE SET "
            "aggregator = excluded.aggregator, organisation = excluded.organisation, "
            "role = excluded.role, joined_at = excluded.joined_at, "
            "admin_key = excluded.admin_key, rules = excluded.rules, "
            "rules_signature = excluded.rules_signature, certificate = excluded.certificate, "
            "aggregator_key = excluded.aggregator_key",
            (
                federation,
                aggregator,
                organisation,
                role,
                timestamp(utc_now()),
                anchors.admin_key,
                anchors.rules,
                anchors.rules_signature,
                anchors.certificate,
                anchors.aggregator_key,
            ),
        )


def current(store: Store, federation: str | None = None) -> Membership | None:
    """The named membership, or the most recently joined one."""
    query = (
        "SELECT federation, aggregator, organisation, role, joined_at, admin_key, rules, "
        "rules_signature, certificate, aggregator_key FROM federation_membership"
    )
    if federation is not None:
        row = store.connection.execute(query + " WHERE federation = ?", (federation,)).fetchone()
    else:
        row = store.connection.execute(query + " ORDER BY joined_at DESC LIMIT 1").fetchone()
    return None if row is None else Membership(*(str(value) for value in row))


def issued_shares(store: Store, federation: str, except_key: str) -> float:
    """The budget shares this organisation key already certified in ``federation`` (a
    re-certified machine's earlier share left out)."""
    row = store.connection.execute(
        "SELECT COALESCE(SUM(budget_share), 0) FROM federation_certificates "
        "WHERE federation = ? AND machine_key != ?",
        (federation, except_key),
    ).fetchone()
    return float(row[0])


def record_certificate(store: Store, federation: str, machine_key: str, share: float) -> None:
    with store.transaction() as connection:
        connection.execute(
            "INSERT INTO federation_certificates (federation, machine_key, budget_share, "
            "issued_at) VALUES (?, ?, ?, ?) ON CONFLICT(federation, machine_key) DO UPDATE SET "
            "budget_share = excluded.budget_share, issued_at = excluded.issued_at",
            (federation, machine_key, share, timestamp(utc_now())),
        )


def record_round(
    store: Store, round_id: str, federation: str, learning_type: str, outcome: str, detail: str
) -> None:
    with store.transaction() as connection:
        connection.execute(
            "INSERT INTO federation_rounds (round, federation, learning_type, outcome, detail, at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(round) DO UPDATE SET outcome = excluded.outcome,"
            " detail = excluded.detail, at = excluded.at",
            (round_id, federation, learning_type, outcome, detail, timestamp(utc_now())),
        )


def handled_rounds(store: Store) -> set[str]:
    return {str(row[0]) for row in store.connection.execute("SELECT round FROM federation_rounds")}


def remember_trust_levels(store: Store, federation: str, levels: dict[str, Any]) -> None:
    """Keep the last trust levels the aggregator gave (``GET .../trust-levels``), so that views
    that never contact the aggregator (the dashboard) can show them with their date."""
    store.connection.execute(
        "INSERT INTO federation_trust_levels (federation, fetched_at, document) VALUES (?, ?, ?) "
        "ON CONFLICT (federation) DO UPDATE SET fetched_at = excluded.fetched_at, "
        "document = excluded.document",
        (federation, timestamp(utc_now()), json.dumps(levels)),
    )


def cached_trust_levels(store: Store, federation: str) -> tuple[str, dict[str, Any]] | None:
    """(when fetched, the document) for ``federation``, or None before the first fetch."""
    row = store.connection.execute(
        "SELECT fetched_at, document FROM federation_trust_levels WHERE federation = ?",
        (federation,),
    ).fetchone()
    if row is None:
        return None
    document: dict[str, Any] = json.loads(row[1])
    return str(row[0]), document


def round_log(store: Store, limit: int = 20) -> list[dict[str, str]]:
    rows = store.connection.execute(
        "SELECT round, learning_type, outcome, detail, at FROM federation_rounds "
        "ORDER BY at DESC LIMIT ?",
        (limit,),
    )
    keys = ("round", "learning_type", "outcome", "detail", "at")
    return [dict(zip(keys, (str(v) for v in row), strict=True)) for row in rows]
