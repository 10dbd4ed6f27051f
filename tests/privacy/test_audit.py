"""The hash-chained audit log detects edits, deletions and reordering."""

from __future__ import annotations

import pytest

from bmad.privacy import audit
from bmad.privacy.db import open_privacy_store
from bmad.store.connection import Store


@pytest.fixture
def store() -> Store:
    store = open_privacy_store()
    for index in range(5):
        audit.record(store, "payload_sent", {"digest": f"{index:064x}", "learning_type": "x"})
    return store


def test_an_untouched_log_verifies(store: Store) -> None:
    result = audit.verify(store)
    assert result.ok
    assert result.entries == 5
    assert [e.seq for e in audit.entries(store)] == [1, 2, 3, 4, 5]
    assert audit.entries(store)[1].prev_hash == audit.entries(store)[0].hash


def test_an_edited_detail_is_detected(store: Store) -> None:
    store.connection.execute(
        "UPDATE privacy_audit SET detail = replace(detail, '0000', '1111') WHERE seq = 3"
    )
    result = audit.verify(store)
    assert not result.ok
    assert any("entry 3 was modified" in p for p in result.problems)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(store: Store) -> None:
    row = store.connection.execute(
        "SELECT seq, at, kind, prev_hash FROM privacy_audit WHERE seq = 2"
    ).fetchone()
    forged_detail = '{"digest":"forged"}'
    forged_hash = audit.entry_hash(row[0], row[1], row[2], forged_detail, row[3])
    store.connection.execute(
        "UPDATE privacy_audit SET detail = ?, hash = ? WHERE seq = 2", (forged_detail, forged_hash)
    )
    problems = audit.verify(store).problems
    assert any("entry 3 does not link" in p for p in problems)


def test_a_deleted_entry_is_detected(store: Store) -> None:
    store.connection.execute("DELETE FROM privacy_audit WHERE seq = 2")
    assert not audit.verify(store).ok


def test_a_truncated_tail_is_detected(store: Store) -> None:
    store.connection.execute("DELETE FROM privacy_audit WHERE seq = 5")
    problems = audit.verify(store).problems
    assert any("head records entry 5" in p for p in problems)


def test_reordered_entries_are_detected(store: Store) -> None:
    store.connection.execute("UPDATE privacy_audit SET seq = 100 WHERE seq = 2")
    store.connection.execute("UPDATE privacy_audit SET seq = 2 WHERE seq = 3")
    store.connection.execute("UPDATE privacy_audit SET seq = 3 WHERE seq = 100")
    assert not audit.verify(store).ok


def test_unknown_kinds_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown audit entry kind"):
        audit.record(store, "gossip", {})
