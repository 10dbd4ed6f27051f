"""The language server's view of the cached global insights, without a client: when the cache
is read, and what a missing, foreign or damaged cache does (nothing global, a log line)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bmad.lsp.federation import GlobalInsights
from bmad.lsp.workspace import Analyst
from bmad.store.connection import data_store_path
from tests.lsp.test_global_standing import cache_code_insights
from tests.lsp.workspace_files import MONSTER


def _damage_cached_document(text: str) -> None:
    with sqlite3.connect(data_store_path()) as connection:
        connection.execute("UPDATE privacy_global_insights SET document = ?", (text,))


def test_no_data_store_means_no_insights() -> None:
    cache = GlobalInsights()
    assert cache.refresh() is None
    assert not data_store_path().exists()  # reading never creates the store
    assert cache.take_logs() == []


def test_a_store_without_the_privacy_tables_means_no_insights() -> None:
    data_store_path().parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(data_store_path()) as connection:
        connection.execute("CREATE TABLE other (x INTEGER)")
    cache = GlobalInsights()
    assert cache.refresh() is None
    assert cache.refresh() is None


def test_the_document_is_read_again_only_when_a_newer_one_arrived() -> None:
    cache_code_insights()
    cache = GlobalInsights()
    first = cache.refresh()
    assert first is not None and first["organisations"] == 6
    assert cache.refresh() is first  # unchanged received_at: not read again
    cache.invalidate()
    assert cache.refresh() is not first  # a configuration change reads it again
    current = cache.refresh()
    with sqlite3.connect(data_store_path()) as connection:
        connection.execute("UPDATE privacy_global_insights SET received_at = 'later'")
    assert cache.refresh() is not current
    assert cache.received_at == "later"


def test_a_damaged_cached_document_is_logged_and_ignored() -> None:
    cache_code_insights()
    _damage_cached_document("{not json")
    cache = GlobalInsights()
    assert cache.refresh() is None
    (log,) = cache.take_logs()
    assert log.startswith("global insights unavailable:")


def test_standings_for_an_analysed_buffer_and_a_foreign_document(tmp_path: Path) -> None:
    cache_code_insights()
    analyst = Analyst()
    outcome = analyst.analyse(tmp_path / "work.py", "python", MONSTER)
    assert outcome.report is not None
    monster = outcome.global_standings[5]["cognitive"]
    assert (monster.value, monster.above_share, monster.organisations) == (29, 0.8, 6)
    assert set(outcome.global_standings[5]) == {"cognitive", "ccn", "nloc", "max_nesting", "params"}

    _damage_cached_document('{"organisations": 6, "percentiles": {"cognitive": {"python": {}}}}')
    with sqlite3.connect(data_store_path()) as connection:
        connection.execute("UPDATE privacy_global_insights SET received_at = 'later'")
    damaged = analyst.analyse(tmp_path / "work.py", "python", MONSTER)
    assert damaged.report is not None and damaged.global_standings == {}
    assert any("global insights not understood (KeyError" in line for line in damaged.logs)
