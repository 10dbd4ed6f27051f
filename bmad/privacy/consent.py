"""Consent: sharing is off for every repository until its owner enables it.

Consent is per repository (its resolved local path, which never leaves the machine) and per
learning type; every change is kept in an event table and in the audit log, with its time and
scope.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bmad.errors import BmadError
from bmad.privacy import audit
from bmad.privacy.db import timestamp, utc_now
from bmad.privacy.schemas import LEARNING_TYPES
from bmad.store.connection import Store


@dataclass(frozen=True, slots=True)
class Consent:
    repository: str
    enabled: bool
    learning_types: tuple[str, ...]
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "enabled": self.enabled,
            "learning_types": list(self.learning_types),
            "updated_at": self.updated_at,
        }


def check_learning_types(requested: Sequence[str]) -> tuple[str, ...]:
    """Validate and order learning types; an empty request means all of them."""
    if not requested:
        return LEARNING_TYPES
    unknown = sorted(set(requested) - set(LEARNING_TYPES))
    if unknown:
        raise BmadError(
            f"unknown learning type(s) {', '.join(unknown)} (known: {', '.join(LEARNING_TYPES)})"
        )
    return tuple(t for t in LEARNING_TYPES if t in set(requested))


def _write(store: Store, repository: str, enabled: bool, types: tuple[str, ...]) -> Consent:
    now = timestamp(utc_now())
    action = "enable" if enabled else "disable"
    with store.transaction() as connection:
        connection.execute(
            "INSERT INTO privacy_consent (repository, enabled, learning_types, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(repository) DO UPDATE SET "
            "enabled = excluded.enabled, learning_types = excluded.learning_types, "
            "updated_at = excluded.updated_at",
            (repository, int(enabled), json.dumps(list(types)), now),
        )
        connection.execute(
            "INSERT INTO privacy_consent_events (repository, action, learning_types, at) "
            "VALUES (?, ?, ?, ?)",
            (repository, action, json.dumps(list(types)), now),
        )
        audit.append(
            connection,
            "consent",
            {"repository": repository, "action": action, "learning_types": list(types)},
        )
    return Consent(repository, enabled, types, now)


def enable(store: Store, repository: str, learning_types: Sequence[str] = ()) -> Consent:
    return _write(store, repository, True, check_learning_types(learning_types))


def disable(store: Store, repository: str) -> Consent:
    return _write(store, repository, False, ())


def get(store: Store, repository: str) -> Consent:
    row = store.connection.execute(
        "SELECT repository, enabled, learning_types, updated_at FROM privacy_consent "
        "WHERE repository = ?",
        (repository,),
    ).fetchone()
    if row is None:
        return Consent(repository, False, (), "")
    return _from_row(row)


def _from_row(row: Sequence[Any]) -> Consent:
    return Consent(str(row[0]), bool(row[1]), tuple(json.loads(row[2])), str(row[3]))


def all_consents(store: Store) -> list[Consent]:
    rows = store.connection.execute(
        "SELECT repository, enabled, learning_types, updated_at FROM privacy_consent "
        "ORDER BY repository"
    )
    return [_from_row(row) for row in rows]


def allowed(store: Store, repository: str, learning_type: str) -> bool:
    consent = get(store, repository)
    return consent.enabled and learning_type in consent.learning_types


def require(store: Store, repository: str, learning_type: str) -> None:
    """Raise unless the owner has enabled sharing this learning type for this repository."""
    if not allowed(store, repository, learning_type):
        raise BmadError(
            f"sharing {learning_type} is not enabled for {repository} "
            f"(run `bmad share enable {repository} --types {learning_type}`)"
        )


def history(store: Store, repository: str | None = None) -> list[dict[str, Any]]:
    query = "SELECT repository, action, learning_types, at FROM privacy_consent_events"
    parameters: tuple[str, ...] = ()
    if repository is not None:
        query += " WHERE repository = ?"
        parameters = (repository,)
    rows = store.connection.execute(query + " ORDER BY id", parameters)
    return [
        {"repository": r[0], "action": r[1], "learning_types": json.loads(r[2]), "at": r[3]}
        for r in rows
    ]
