"""The aggregator's tables and the queries on them (SQLite or PostgreSQL, ``database``).

It holds public keys and roles, federations and their governance, enrolment tokens (hashed),
rounds, released aggregates and insights, the seen-nonce window and its own hash-chained audit
log. The state of rounds in progress, masked inputs included, is ``round_log``'s, and is deleted
when each round closes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmad.errors import BmadError
from bmad.federation import round_log
from bmad.federation.consortium import tables as consortium_tables
from bmad.federation.database import Database, SqlConnection, open_database
from bmad.privacy.audit import GENESIS, entry_hash
from bmad.privacy.db import timestamp, utc_now

COMPONENT = "aggregator"
ROLES: tuple[str, ...] = ("admin", "member", "observer")

MIGRATIONS: list[str] = [
    """
    CREATE TABLE agg_federations (
        id TEXT PRIMARY KEY,
        privacy_level TEXT NOT NULL,
        governance TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE agg_tokens (
        token_hash TEXT PRIMARY KEY,
        federation TEXT NOT NULL REFERENCES agg_federations (id),
        organisation TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE TABLE agg_participants (
        federation TEXT NOT NULL REFERENCES agg_federations (id),
        public_key TEXT NOT NULL,
        organisation TEXT NOT NULL,
        role TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        PRIMARY KEY (federation, public_key)
    );
    CREATE TABLE agg_nonces (
        nonce TEXT PRIMARY KEY,
        seen_at REAL NOT NULL
    );
    CREATE INDEX agg_nonces_seen ON agg_nonces (seen_at);
    CREATE TABLE agg_rounds (
        id TEXT PRIMARY KEY,
        federation TEXT NOT NULL REFERENCES agg_federations (id),
        learning_type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        state TEXT NOT NULL,
        phase TEXT,
        parameters TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        closed_at TEXT
    );
    CREATE TABLE agg_round_members (
        round TEXT NOT NULL REFERENCES agg_rounds (id),
        organisation TEXT NOT NULL,
        public_key TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'enrolled',
        PRIMARY KEY (round, organisation)
    );
    CREATE TABLE agg_releases (
        round TEXT PRIMARY KEY REFERENCES agg_rounds (id),
        federation TEXT NOT NULL,
        learning_type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        aggregate TEXT NOT NULL,
        insights TEXT NOT NULL,
        released_at TEXT NOT NULL
    );
    CREATE TABLE agg_audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    """,
    # The trust anchors members check for themselves (README "Trust model"): the admin's key
    # and its signature of the rules, each machine's certificate from its organisation key,
    # the admin's admission of each organisation key, and the aggregator's own signing key.
    """
    ALTER TABLE agg_federations ADD COLUMN admin_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE agg_federations ADD COLUMN rules_signature TEXT NOT NULL DEFAULT '';
    ALTER TABLE agg_participants ADD COLUMN certificate TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE agg_admissions (
        federation TEXT NOT NULL REFERENCES agg_federations (id),
        organisation TEXT NOT NULL,
        organisation_key TEXT NOT NULL,
        signature TEXT,
        PRIMARY KEY (federation, organisation)
    );
    CREATE TABLE agg_identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        private_key TEXT NOT NULL
    );
    """,
]


class ApiError(BmadError):
    """A refused request, with the HTTP status the aggregator answers."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# Every aggregator component's tables, in the order they are created (later ones may refer to
# earlier ones). Their SQL must run on SQLite and PostgreSQL alike (``database``).
COMPONENTS: list[tuple[str, list[str]]] = [
    (COMPONENT, MIGRATIONS),
    (round_log.COMPONENT, round_log.MIGRATIONS),
    (consortium_tables.COMPONENT, consortium_tables.MIGRATIONS),
]


def open_aggregator_store(target: Path | str) -> Database:
    """The aggregator's database (an SQLite path, ``sqlite:///PATH`` or ``postgresql://...``),
    with every component's migrations applied."""
    database = open_database(target)
    try:
        for component, migrations in COMPONENTS:
            database.migrate(component, migrations)
    except BaseException:
        database.close()
        raise
    return database


def now_text() -> str:
    return timestamp(utc_now())


def token_digest(token: str) -> str:
    return hashlib.sha256(b"bmad enrolment token v1" + token.encode("utf-8")).hexdigest()


def audit(connection: SqlConnection, kind: str, detail: dict[str, Any]) -> None:
    """Append to the aggregator's own hash-chained audit log (inside the caller's transaction)."""
    head = connection.execute(
        "SELECT seq, hash FROM agg_audit ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    seq, previous = (int(head[0]) + 1, str(head[1])) if head else (1, GENESIS)
    at = now_text()
    detail_json = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    digest = entry_hash(seq, at, kind, detail_json, previous)
    connection.execute(
        "INSERT INTO agg_audit (seq, at, kind, detail, prev_hash, hash) VALUES (?,?,?,?,?,?)",
        (seq, at, kind, detail_json, previous, digest),
    )


def audit_chain_ok(store: Database) -> bool:
    previous = GENESIS
    for seq, at, kind, detail, prev_hash, digest in store.connection.execute(
        "SELECT seq, at, kind, detail, prev_hash, hash FROM agg_audit ORDER BY seq"
    ):
        if prev_hash != previous or entry_hash(seq, at, kind, detail, prev_hash) != digest:
            return False
        previous = digest
    return True


def remember_nonce(store: Database, nonce: str, now: float | None = None) -> bool:
    """Record a nonce; False if it was already seen (a replay). Old ones go in ``forget_nonces``,
    not here: one statement a request (on PostgreSQL, one round trip fewer)."""
    current = time.time() if now is None else now
    # the unique key alone refuses a replay: no need to queue behind other processes' writes
    with store.transaction(serialised=False) as connection:
        inserted = connection.execute(
            "INSERT INTO agg_nonces (nonce, seen_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING",
            (nonce, current),
        )
        return inserted.rowcount == 1


def forget_nonces(store: Database, window: float, now: float | None = None) -> int:
    """Delete the nonces seen more than twice the signing window ago (requests that old are
    refused by their timestamp anyway); how many went."""
    current = time.time() if now is None else now
    with store.transaction(serialised=False) as connection:
        deleted = connection.execute(
            "DELETE FROM agg_nonces WHERE seen_at < ?", (current - 2 * window,)
        )
        return int(deleted.rowcount)


@dataclass(frozen=True, slots=True)
class Member:
    federation: str
    public_key: str
    organisation: str
    role: str


def credentials(
    store: Database, federation: str, organisation: str, public_key: str
) -> dict[str, Any]:
    """What members need to accept a roster key: its certificate and its organisation's
    admission (empty when the admin has not admitted the organisation key)."""
    certificate = store.connection.execute(
        "SELECT certificate FROM agg_participants WHERE federation = ? AND public_key = ?",
        (federation, public_key),
    ).fetchone()
    admission = store.connection.execute(
        "SELECT signature FROM agg_admissions WHERE federation = ? AND organisation = ?",
        (federation, organisation),
    ).fetchone()
    return {
        "certificate": json.loads(certificate[0]) if certificate else {},
        "admission": (admission[0] or "") if admission else "",
    }


def signing_key(store: Database) -> bytes:
    """The aggregator's Ed25519 private key (raw), created on first use."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    with store.transaction() as connection:
        row = connection.execute("SELECT private_key FROM agg_identity WHERE id = 1").fetchone()
        if row is not None:
            return bytes.fromhex(str(row[0]))
        raw = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        connection.execute("INSERT INTO agg_identity (id, private_key) VALUES (1, ?)", (raw.hex(),))
        return raw


def member(store: Database, federation: str, public_key: str) -> Member | None:
    row = store.connection.execute(
        "SELECT organisation, role FROM agg_participants WHERE federation = ? AND public_key = ?",
        (federation, public_key),
    ).fetchone()
    return None if row is None else Member(federation, public_key, str(row[0]), str(row[1]))


def new_token() -> str:
    return secrets.token_urlsafe(24)
