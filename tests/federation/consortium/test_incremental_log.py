"""Admissions verify only the rules versions written since the admin machine's last look, and
every check of a full verification still holds: a rewritten, forked, truncated or forged log
is refused, by the admin incrementally and by a new member from version 1."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bmad.federation import enrolment
from bmad.federation.client import AggregatorClient
from bmad.federation.consortium import member as consortium
from bmad.federation.consortium.chain import ConsortiumLogError, LogEntry, verify_log
from bmad.federation.consortium.changes import next_entry, rules_change
from bmad.federation.participant import open_participant_store
from bmad.privacy import audit
from bmad.privacy.identity import load_or_create_identity
from bmad.store.connection import Store
from tests.federation.harness import (
    Aggregator,
    create_federation,
    join_as,
    organisation_key,
    running_aggregator,
)

NAMES = ["org0", "org1", "org2", "org3", "org4"]


@pytest.fixture(scope="module")
def aggregator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path_factory.mktemp("incremental-aggregator")) as running:
        yield running


@dataclass
class Federation:
    name: str
    tokens: dict[str, str]
    admin: AggregatorClient
    admin_store: Store
    aggregator: Aggregator
    folder: Path

    def join(self, organisation: str) -> Store:
        """A new machine of ``organisation`` joins (verifying the whole log from version 1)."""
        store = open_participant_store(self.folder / organisation / "bmad.sqlite3")
        identity = load_or_create_identity(store, self.folder / organisation / "id.json")
        with AggregatorClient(self.aggregator.url, identity) as client:
            join_as(store, client, self.name, organisation, self.tokens[organisation])
        return store

    def admit(self, organisation: str, store: Store) -> None:
        fingerprint = organisation_key(store).fingerprint
        enrolment.admit(self.admin, self.name, organisation, fingerprint, self.admin_store)

    def kept_versions(self) -> list[int]:
        return [entry.version for entry in consortium.kept_log(self.admin_store, self.name)]

    def served(self, version: int) -> dict[str, object]:
        with sqlite3.connect(self.aggregator.db_path) as connection:
            row = connection.execute(
                "SELECT entry FROM agg_consortium_log WHERE federation = ? AND version = ?",
                (self.name, version),
            ).fetchone()
        entry: dict[str, object] = json.loads(row[0])
        return entry

    def rewrite(self, sql: str, parameters: tuple[object, ...]) -> None:
        with sqlite3.connect(self.aggregator.db_path) as connection:
            connection.execute(sql, parameters)

    def replace_entry(self, version: int, entry: dict[str, object]) -> None:
        self.rewrite(
            "UPDATE agg_consortium_log SET entry = ?, hash = ? "
            "WHERE federation = ? AND version = ?",
            (json.dumps(entry), LogEntry.from_dict(entry).hash, self.name, version),
        )


@pytest.fixture
def federation(tmp_path: Path, aggregator: Aggregator) -> Iterator[Federation]:
    admin_store = open_participant_store(tmp_path / "admin" / "bmad.sqlite3")
    identity = load_or_create_identity(admin_store, tmp_path / "admin" / "id.json")
    with AggregatorClient(aggregator.url, identity) as admin:
        created = create_federation(admin_store, admin, NAMES)
        yield Federation(
            created["federation"], created["tokens"], admin, admin_store, aggregator, tmp_path
        )
    admin_store.close()


def refusals(store: Store) -> list[str]:
    return [
        str(entry.detail["reason"])
        for entry in audit.entries(store)
        if entry.kind == "consortium_log_refused"
    ]


def test_the_admin_verifies_only_new_versions_and_a_new_member_still_checks_them_all(
    federation: Federation,
) -> None:
    for organisation in ("org0", "org1"):
        federation.admit(organisation, federation.join(organisation))
    assert federation.kept_versions() == [1, 2, 3]  # founded, then two seats bound
    admin_key = federation.admin.identity.public.signing_public
    # A rewritten version 2 lies behind the admin's verified head: the admin keeps its own
    # copy and does not look at it again; a machine verifying from version 1 refuses the log.
    rewritten = federation.served(2)
    rewritten["at"] = "2020-01-01T00:00:00Z"
    federation.replace_entry(2, rewritten)
    head = consortium.verified_head(
        federation.admin_store, federation.admin, federation.name, admin_key
    )
    assert head.version == 3 and not refusals(federation.admin_store)
    with pytest.raises(ConsortiumLogError, match=r"dated before|does not follow"):
        verify_log(
            consortium.served_log(federation.admin, federation.name), federation.name, admin_key
        )
    newcomer = open_participant_store(federation.folder / "org2" / "bmad.sqlite3")
    identity = load_or_create_identity(newcomer, federation.folder / "org2" / "id.json")
    with (
        AggregatorClient(federation.aggregator.url, identity) as client,
        pytest.raises(ConsortiumLogError),
    ):
        join_as(newcomer, client, federation.name, "org2", federation.tokens["org2"])
    assert refusals(newcomer)


def test_a_forged_version_after_the_verified_head_stops_the_next_admission(
    federation: Federation,
) -> None:
    federation.admit("org0", federation.join("org0"))
    joined = federation.join("org1")
    kept = consortium.kept_log(federation.admin_store, federation.name)[-1]
    unsigned = next_entry(
        kept,
        rules_change(kept.rules, {"k_min_participants": "4"}),
        {"kind": "rules", "summary": "k changed without a quorum"},
    )
    federation.rewrite(
        "INSERT INTO agg_consortium_log (federation, version, entry, hash) VALUES (?, ?, ?, ?)",
        (federation.name, unsigned.version, json.dumps(unsigned.to_dict()), unsigned.hash),
    )
    with pytest.raises(ConsortiumLogError, match="valid member signatures"):
        federation.admit("org1", joined)
    assert "valid member signatures" in refusals(federation.admin_store)[-1]
    assert federation.kept_versions() == [1, 2]  # nothing of the forged version kept


def test_a_fork_or_a_truncation_at_the_verified_head_is_refused(federation: Federation) -> None:
    federation.admit("org0", federation.join("org0"))
    joined = federation.join("org1")
    forked = federation.served(2)
    forked["at"] = str(forked["at"]) + " "  # same version, another hash
    federation.replace_entry(2, forked)
    with pytest.raises(ConsortiumLogError, match="forked"):
        federation.admit("org1", joined)
    federation.rewrite(
        "DELETE FROM agg_consortium_log WHERE federation = ? AND version = ?", (federation.name, 2)
    )
    with pytest.raises(ConsortiumLogError, match="rolled back or truncated"):
        federation.admit("org1", joined)
    assert len(refusals(federation.admin_store)) == 2
