"""Hash-chained, append-only local audit log of payload digests, budget spends and key events.

Entry n stores hash_n = SHA-256(canonical JSON of [seq, at, kind, detail, hash_{n-1}]) with
hash_0 = 64 zeros, and a one-row head table holds the last (seq, hash), updated in the same
transaction. Verification recomputes the chain: an edited entry breaks its own hash, a deleted
or reordered entry breaks the sequence or the next entry's link, and a truncated tail no longer
matches the head. (Someone who can rewrite the whole database can rebuild a consistent chain;
the log proves integrity against partial edits, not against its owner.)
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from bmad.privacy.db import timestamp, utc_now
from bmad.store.connection import Store

GENESIS = "0" * 64

KINDS = frozenset(
    {
        "payload_sent",
        "budget_reserved",
        "budget_committed",
        "budget_released",
        "key",
        "consent",
        "round_refused",  # a federation round whose terms broke the signed rules or local limits
        "release_forwarded",  # a child federation's release sent up to a parent round
        "consortium_log_refused",  # a consortium rules log forged, forked or rolled back
    }
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    kind: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(seq: int, at: str, kind: str, detail_json: str, prev_hash: str) -> str:
    material = _canonical([seq, at, kind, detail_json, prev_hash]).encode("ascii")
    return hashlib.sha256(material).hexdigest()


def append(connection: sqlite3.Connection, kind: str, detail: dict[str, Any]) -> AuditEntry:
    """Append one entry; call inside the transaction that does what the entry records."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit entry kind {kind!r}")
    head = connection.execute("SELECT seq, hash FROM privacy_audit_head WHERE id = 1").fetchone()
    seq, prev_hash = (int(head[0]) + 1, str(head[1])) if head else (1, GENESIS)
    at = timestamp(utc_now())
    detail_json = _canonical(detail)
    digest = entry_hash(seq, at, kind, detail_json, prev_hash)
    connection.execute(
        "INSERT INTO privacy_audit (seq, at, kind, detail, prev_hash, hash) VALUES (?,?,?,?,?,?)",
        (seq, at, kind, detail_json, prev_hash, digest),
    )
    connection.execute(
        "INSERT INTO privacy_audit_head (id, seq, hash) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        (seq, digest),
    )
    return AuditEntry(seq, at, kind, detail, prev_hash, digest)


def record(store: Store, kind: str, detail: dict[str, Any]) -> AuditEntry:
    """Append one entry in its own transaction (for events with no other state change)."""
    with store.transaction() as connection:
        return append(connection, kind, detail)


def _rows(store: Store) -> list[tuple[int, str, str, str, str, str]]:
    return [
        (int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]))
        for r in store.connection.execute(
            "SELECT seq, at, kind, detail, prev_hash, hash FROM privacy_audit ORDER BY rowid"
        )
    ]


def entries(store: Store) -> list[AuditEntry]:
    result = []
    for seq, at, kind, detail_json, prev_hash, digest in _rows(store):
        try:
            detail = json.loads(detail_json)
        except json.JSONDecodeError:
            detail = {"unreadable": True}
        result.append(AuditEntry(seq, at, kind, detail, prev_hash, digest))
    return result


@dataclass(frozen=True, slots=True)
class Verification:
    entries: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Store) -> Verification:
    problems: list[str] = []
    rows = _rows(store)
    prev_hash = GENESIS
    for position, (seq, at, kind, detail_json, stored_prev, digest) in enumerate(rows, start=1):
        if seq != position:
            problems.append(f"entry at position {position} has sequence number {seq}")
        if stored_prev != prev_hash:
            problems.append(f"entry {seq} does not link to the entry before it")
        if entry_hash(seq, at, kind, detail_json, stored_prev) != digest:
            problems.append(f"entry {seq} was modified (its hash does not match its content)")
        prev_hash = digest
    head = store.connection.execute(
        "SELECT seq, hash FROM privacy_audit_head WHERE id = 1"
    ).fetchone()
    if head is None:
        if rows:
            problems.append("the log head is missing")
    elif (int(head[0]), str(head[1])) != (len(rows), prev_hash):
        problems.append(
            f"the log ends at entry {len(rows)} but its head records entry {int(head[0])}: "
            "entries were removed or replaced"
        )
    return Verification(len(rows), problems)
