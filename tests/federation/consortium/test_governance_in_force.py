"""The governance in force follows the log head, parsed once per head."""

from __future__ import annotations

import json
from pathlib import Path

from bmad.federation import server_store
from bmad.federation.consortium import server as consortium_server
from bmad.federation.database import Database
from bmad.federation.governance import governance_for


def append(database: Database, federation: str, version: int, k: int) -> None:
    entry = {"rules": {"governance": governance_for("medium", k_min_participants=k).to_dict()}}
    database.connection.execute(
        "INSERT INTO agg_consortium_log (federation, version, entry, hash) VALUES (?, ?, ?, ?)",
        (federation, version, json.dumps(entry), f"{federation}-head-{version}"),
    )


def test_each_new_head_brings_its_governance_and_other_federations_keep_theirs(
    tmp_path: Path,
) -> None:
    database = server_store.open_aggregator_store(f"sqlite:///{tmp_path / 'agg.sqlite3'}")
    try:
        assert consortium_server.governance_in_force(database, "first") is None
        append(database, "first", 1, 5)
        append(database, "second", 1, 7)
        for _ in range(2):  # the second read is the cached head
            found = consortium_server.governance_in_force(database, "first")
            assert found is not None and found.k_min_participants == 5
        append(database, "first", 2, 9)
        changed = consortium_server.governance_in_force(database, "first")
        assert changed is not None and changed.k_min_participants == 9
        other = consortium_server.governance_in_force(database, "second")
        assert other is not None and other.k_min_participants == 7
    finally:
        database.close()
