"""The rules' retention of released insights, applied by the aggregator when it releases."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bmad.federation.consortium import changes
from bmad.federation.consortium.tables import apply_retention
from bmad.federation.server_store import open_aggregator_store
from bmad.privacy.db import timestamp, utc_now
from tests.federation.consortium.conftest import FEDERATION, World


def test_releases_older_than_the_rules_retention_are_deleted(
    tmp_path: Path, log_world: World
) -> None:
    head = log_world.entries[-1]
    rules = changes.rules_change(head.rules, {"released_insights_days": "30"})
    entry = log_world.signed(
        changes.next_entry(head, rules, {"kind": "rules"}), "org1", "org2", "org3", "org4"
    )
    now = utc_now()
    database = open_aggregator_store(tmp_path / "aggregator.sqlite3")
    with database.transaction() as connection:
        connection.execute(
            "INSERT INTO agg_federations (id, privacy_level, governance, created_at) "
            "VALUES (?, 'low', '{}', ?)",
            (FEDERATION, timestamp(now)),
        )
        connection.execute(
            "INSERT INTO agg_consortium_log (federation, version, entry, hash) VALUES (?,?,?,?)",
            (FEDERATION, entry.version, json.dumps(entry.to_dict()), entry.hash),
        )
        for name, age in (("old", 31), ("recent", 29)):
            released = timestamp(now - timedelta(days=age))
            connection.execute(
                "INSERT INTO agg_rounds (id, federation, learning_type, schema_version, state, "
                "parameters, created_at) VALUES (?, ?, 'code_patterns', 1, 'released', '{}', ?)",
                (name, FEDERATION, released),
            )
            connection.execute(
                "INSERT INTO agg_releases (round, federation, learning_type, schema_version, "
                "aggregate, insights, released_at) "
                "VALUES (?, ?, 'code_patterns', 1, '[]', '{}', ?)",
                (name, FEDERATION, released),
            )
    with database.transaction() as connection:
        assert apply_retention(connection, FEDERATION, now) == 1
    kept = database.connection.execute("SELECT round FROM agg_releases").fetchall()
    assert [row[0] for row in kept] == ["recent"]
    with database.transaction() as connection:
        assert apply_retention(connection, "another-federation", now) == 0
    database.close()
