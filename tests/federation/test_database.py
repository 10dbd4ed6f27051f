"""The aggregator's database interface: one suite run against SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bmad.errors import BmadError
from bmad.federation import server_store
from bmad.federation.database import Database, open_database, to_postgres_ddl, to_psycopg
from tests.federation.harness import in_threads


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aggregator.sqlite3'}"
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


@pytest.fixture
def database(url: str) -> Iterator[Database]:
    opened = server_store.open_aggregator_store(url)
    yield opened
    opened.close()


def test_every_aggregator_component_is_migrated_once(url: str, database: Database) -> None:
    for component, migrations in server_store.COMPONENTS:
        assert database.schema_version(component) == len(migrations)
    again = server_store.open_aggregator_store(url)  # a second process starting: nothing to do
    try:
        rows = again.connection.execute(
            "SELECT component, version FROM schema_versions ORDER BY component"
        ).fetchall()
        assert dict(rows) == {c: len(m) for c, m in server_store.COMPONENTS}
    finally:
        again.close()


def test_a_database_written_by_a_newer_bmad_is_refused(url: str, database: Database) -> None:
    with pytest.raises(BmadError, match="newer bmad"):
        database.migrate(server_store.COMPONENT, server_store.MIGRATIONS[:1])


def test_placeholders_become_psycopg_ones_outside_quoted_text() -> None:
    assert to_psycopg("SELECT '?%', \"a?\" FROM t WHERE x LIKE 'a%' AND y = ? AND z % 2 = ?") == (
        "SELECT '?%%', \"a?\" FROM t WHERE x LIKE 'a%%' AND y = %s AND z %% 2 = %s"
    )
    assert to_postgres_ddl("CREATE TABLE t (a INTEGER, b REAL, c TEXT)") == (
        "CREATE TABLE t (a BIGINT, b DOUBLE PRECISION, c TEXT)"
    )
    assert to_postgres_ddl("SELECT 'INTEGER'") == "SELECT 'INTEGER'"


def test_portable_sql_gives_the_same_answers(database: Database) -> None:
    now = time.time()
    with database.transaction() as connection:
        connection.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES (?, ?)", ("a%?", now))
        connection.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES (?, ?)", ("b", 2.5))
    rows = database.connection.execute(
        "SELECT nonce, seen_at FROM agg_nonces WHERE nonce LIKE 'a%' AND seen_at > ?", (1.0,)
    ).fetchall()
    assert [tuple(row) for row in rows] == [("a%?", now)]  # a double, not a 4-byte float
    total = database.connection.execute("SELECT COUNT(*), SUM(seq) FROM agg_audit").fetchone()
    assert tuple(total) == (0, None)


def test_an_inner_transaction_joins_the_outer_and_a_failure_undoes_both(
    database: Database,
) -> None:
    with pytest.raises(RuntimeError), database.transaction() as outer:
        outer.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES ('outer', 1)")
        with database.transaction() as inner:
            inner.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES ('inner', 1)")
        raise RuntimeError("refused")
    assert database.connection.execute("SELECT COUNT(*) FROM agg_nonces").fetchone()[0] == 0


def test_a_transaction_in_another_thread_waits_instead_of_joining_this_one(
    database: Database,
) -> None:
    """A worker's ticker thread and its request loop share one connection: a transaction one of
    them begins while the other's is open must not become part of it (undone with it)."""
    first_open, second_tried = threading.Event(), threading.Event()

    def failing() -> None:
        with pytest.raises(RuntimeError), database.transaction() as connection:
            connection.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES ('undone', 1)")
            first_open.set()
            second_tried.wait(5)
            time.sleep(0.2)  # the other thread's transaction would run now, inside this one
            raise RuntimeError("this step fails")

    def succeeding() -> None:
        first_open.wait(5)
        second_tried.set()
        with database.transaction() as connection:
            connection.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES ('kept', 1)")

    assert not in_threads(failing, succeeding)
    rows = database.connection.execute("SELECT nonce FROM agg_nonces").fetchall()
    assert [row[0] for row in rows] == ["kept"]


def test_a_replayed_nonce_is_refused(database: Database) -> None:
    assert server_store.remember_nonce(database, "n1")
    assert not server_store.remember_nonce(database, "n1")
    assert server_store.remember_nonce(database, "n2")


def test_nonces_past_twice_the_window_are_forgotten_and_no_others(database: Database) -> None:
    now = 10_000.0
    assert server_store.remember_nonce(database, "old", now - 601)
    assert server_store.remember_nonce(database, "recent", now - 599)
    assert server_store.forget_nonces(database, 300.0, now) == 1
    assert server_store.remember_nonce(database, "old", now)  # gone, so recorded anew
    assert not server_store.remember_nonce(database, "recent", now)


def test_writers_in_two_connections_keep_one_audit_chain(url: str, database: Database) -> None:
    """The chain reads its head and appends: writers must be serialised, as in SQLite."""
    other = open_database(url)

    def write(store: Database, name: str) -> None:
        for index in range(25):
            with store.transaction() as connection:
                server_store.audit(connection, "test", {"writer": name, "index": index})

    try:
        errors = in_threads(lambda: write(database, "one"), lambda: write(other, "two"))
    finally:
        other.close()
    assert not errors, errors
    assert database.connection.execute("SELECT COUNT(*) FROM agg_audit").fetchone()[0] == 50
    assert server_store.audit_chain_ok(database)


def test_an_unknown_database_url_is_a_usage_error() -> None:
    with pytest.raises(BmadError, match=r"sqlite:///PATH or postgresql://") as caught:
        open_database("mysql://user:secret@host/db")
    assert "secret" not in caught.value.message


def test_a_postgresql_password_stays_out_of_the_error(postgres_cluster: object) -> None:
    with pytest.raises(BmadError, match="cannot connect") as caught:
        open_database("postgresql://someone:hunter2@127.0.0.1:1/none?connect_timeout=2")
    assert "hunter2" not in caught.value.message
    with pytest.raises(BmadError, match="cannot connect") as caught:
        open_database("postgresql://127.0.0.1:1/none?connect_timeout=2&password=hunter3")
    assert "hunter3" not in caught.value.message


def test_on_postgresql_a_nonce_does_not_queue_behind_another_process_writing(
    postgres_url: str,
) -> None:
    import psycopg

    holder = server_store.open_aggregator_store(postgres_url)
    other = open_database(postgres_url)
    other.connection.execute("SET lock_timeout = '1s'")
    try:
        with holder.transaction():  # another process's serialised step, still open
            with pytest.raises(psycopg.errors.LockNotAvailable), other.transaction():
                pass
            assert server_store.remember_nonce(other, "fresh")
            assert not server_store.remember_nonce(other, "fresh")
    finally:
        other.close()
        holder.close()


def test_a_connection_the_postgresql_server_dropped_is_opened_anew(postgres_url: str) -> None:
    """Outside a transaction the next statement reconnects; inside one the transaction fails
    and nothing of it is kept."""
    import psycopg

    database = server_store.open_aggregator_store(postgres_url)
    admin = open_database(postgres_url)

    def drop_connections() -> None:
        admin.connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    try:
        drop_connections()
        assert database.connection.execute("SELECT COUNT(*) FROM agg_nonces").fetchone() == (0,)
        with pytest.raises(psycopg.OperationalError), database.transaction() as connection:
            connection.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES ('lost', 1)")
            drop_connections()
            connection.execute("INSERT INTO agg_nonces (nonce, seen_at) VALUES ('also', 1)")
        assert server_store.remember_nonce(database, "kept")
        rows = admin.connection.execute("SELECT nonce FROM agg_nonces").fetchall()
        assert [row[0] for row in rows] == ["kept"]
    finally:
        admin.close()
        database.close()
