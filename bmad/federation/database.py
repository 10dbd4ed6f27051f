"""The aggregator's database: one interface, an SQLite and a PostgreSQL backend, chosen by URL.

``sqlite:///PATH`` (or a plain path) is the embedded default; ``postgresql://...`` lets several
aggregator processes share one federation. Callers write portable SQL with ``?`` placeholders
(README "Aggregator on PostgreSQL" lists what that means); the PostgreSQL backend turns them
into psycopg's ``%s`` and maps SQLite's 64-bit ``INTEGER`` and ``REAL`` column types to
``BIGINT`` and ``DOUBLE PRECISION``. Write transactions are serialised on both backends (SQLite's
``BEGIN IMMEDIATE``; a transaction-scoped advisory lock on PostgreSQL), so read-modify-write
code such as the hash-chained audit log is correct with any number of processes.
Transactions nest: an inner ``transaction()`` joins the one already open.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from bmad.errors import BmadError

BUSY_TIMEOUT_SECONDS = 10.0
# pg_advisory_xact_lock key that every write transaction holds ("bmad" in ASCII).
WRITE_LOCK_KEY = 0x626D6164
SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")


class Rows(Protocol):
    """A query's result, as sqlite3 and psycopg cursors both give it."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class SqlConnection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows: ...


class Database(Protocol):
    """What the aggregator's components use: queries, transactions, per-component migrations."""

    @property
    def connection(self) -> SqlConnection: ...

    @property
    def url(self) -> str: ...

    def transaction(self, serialised: bool = True) -> AbstractContextManager[SqlConnection]:
        """One unit of work. ``serialised=False`` is for writes that read nothing they depend
        on (an insert a unique key guards): on PostgreSQL they do not queue behind other
        processes' serialised transactions."""
        ...

    def schema_version(self, component: str) -> int: ...

    def migrate(self, component: str, migrations: Sequence[str]) -> None: ...

    def close(self) -> None: ...


def split_statements(script: str) -> list[str]:
    """A migration's statements, one by one (both backends run them inside one transaction)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().rstrip(";").strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip().rstrip(";").strip())
    return [statement for statement in statements if statement]


def _schema_version(database: Database, component: str) -> int:
    row = database.connection.execute(
        "SELECT version FROM schema_versions WHERE component = ?", (component,)
    ).fetchone()
    return int(row[0]) if row else 0


def _migrate(database: Database, component: str, migrations: Sequence[str]) -> None:
    """Apply the component's migrations this database has not seen; ``migrations[i]`` takes it
    from version i to i + 1 (released entries are only ever appended to)."""
    with database.transaction() as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions "
            "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        current = _schema_version(database, component)
        if current > len(migrations):
            raise BmadError(
                f"the aggregator database {database.url} was written by a newer bmad "
                f"({component} schema {current}, this version knows {len(migrations)})"
            )
        if current == len(migrations):
            return
        for script in migrations[current:]:
            for statement in split_statements(script):
                connection.execute(statement)
        connection.execute(
            "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            (component, len(migrations)),
        )


class DatabaseBusy(BmadError):
    """Another process held the database's write lock for longer than this one waits: nothing
    was written, and the same request may be made again (the aggregator answers 503)."""


class SqliteDatabase:
    """One owner-only SQLite file in WAL mode; processes on one machine may share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.busy_timeout = BUSY_TIMEOUT_SECONDS
        self.url = f"{SQLITE_PREFIX}{path}"
        self._depth = 0
        self._owner = threading.RLock()  # the thread whose transaction the connection holds
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
            os.chmod(path, 0o600)
            self._connection = sqlite3.connect(
                path, isolation_level=None, timeout=self.busy_timeout, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA foreign_keys=ON")
            self._connection.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise BmadError(f"cannot open the aggregator database at {path}: {exc}") from exc

    @property
    def connection(self) -> SqlConnection:
        return self._connection

    @contextmanager
    def transaction(self, serialised: bool = True) -> Iterator[SqlConnection]:
        with self._owner:
            yield from self._transaction()

    def _transaction(self) -> Iterator[SqlConnection]:
        if self._depth:
            self._depth += 1
            try:
                yield self._connection
            finally:
                self._depth -= 1
            return
        try:  # SQLite has one writer at a time anyway
            self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise DatabaseBusy(
                f"the aggregator database stayed locked by another process for "
                f"{self.busy_timeout:g} s; nothing was written, try again"
            ) from None
        self._depth = 1
        try:
            yield self._connection
        except BaseException:
            self._depth = 0
            self._connection.execute("ROLLBACK")
            raise
        self._depth = 0
        self._connection.execute("COMMIT")

    def schema_version(self, component: str) -> int:
        return _schema_version(self, component)

    def migrate(self, component: str, migrations: Sequence[str]) -> None:
        _migrate(self, component, migrations)

    def close(self) -> None:
        self._connection.close()


def to_psycopg(sql: str) -> str:
    """``?`` placeholders to ``%s`` and literal ``%`` to ``%%``, leaving quoted text alone."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


_DDL = re.compile(r"^\s*(CREATE|ALTER)\s+TABLE\b", re.IGNORECASE)
_SQLITE_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION"}
_TYPE_WORD = re.compile(r"\b(INTEGER|REAL)\b", re.IGNORECASE)


def to_postgres_ddl(statement: str) -> str:
    """SQLite's INTEGER holds 64 bits and its REAL is a double: the same on PostgreSQL."""
    if not _DDL.match(statement):
        return statement
    return _TYPE_WORD.sub(lambda match: _SQLITE_TYPES[match.group(1).upper()], statement)


class _PostgresConnection:
    """psycopg's connection seen through the portable ``?`` dialect. A connection the server
    dropped (a restart, a failover) is opened anew for the next statement outside a
    transaction; inside one, the transaction fails as a whole."""

    def __init__(self, connect: Callable[[], Any], in_transaction: Callable[[], bool]) -> None:
        self.connect = connect
        self.in_transaction = in_transaction
        self.raw = connect()

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Rows:
        import psycopg

        query = to_psycopg(to_postgres_ddl(sql))
        if self.raw.broken and not self.in_transaction():
            self.raw = self.connect()
        try:
            cursor: Rows = self.raw.execute(query, tuple(parameters))
        except psycopg.OperationalError:
            if not self.raw.broken or self.in_transaction():
                raise
            self.raw = self.connect()  # nothing was done yet: once more on a new connection
            cursor = self.raw.execute(query, tuple(parameters))
        return cursor


class PostgresDatabase:
    """A PostgreSQL database (psycopg 3) that any number of aggregator processes share."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise BmadError(
                "a PostgreSQL aggregator database needs its extra: pip install 'bmad[postgres]'"
            ) from None
        self.url = _without_password(url)
        self._depth = 0
        self._owner = threading.RLock()  # the thread whose transaction the connection holds
        self._serialised = False  # the open transaction holds the write lock

        def connect() -> Any:
            try:
                raw = psycopg.connect(url, autocommit=True)
            except psycopg.Error as exc:
                raise BmadError(
                    f"cannot connect to the aggregator database {self.url}: {_first_line(str(exc))}"
                ) from None
            _load_numeric_as_numbers(raw)
            return raw

        self._connection = _PostgresConnection(connect, lambda: self._depth > 0)

    @property
    def connection(self) -> SqlConnection:
        return self._connection

    @contextmanager
    def transaction(self, serialised: bool = True) -> Iterator[SqlConnection]:
        with self._owner:
            yield from self._transaction(serialised)

    def _transaction(self, serialised: bool) -> Iterator[SqlConnection]:
        if self._depth:
            self._depth += 1
            try:
                if serialised:
                    self._serialise()  # an inner step that needs it, in an outer one that did not
                yield self._connection
            finally:
                self._depth -= 1
            return
        self._connection.execute("BEGIN")
        self._depth = 1
        try:
            if serialised:
                self._serialise()
            yield self._connection
        except BaseException:
            self._depth = 0
            self._serialised = False
            self._connection.execute("ROLLBACK")
            raise
        try:
            self._connection.execute("COMMIT")  # still inside: never re-sent on a new connection
        finally:
            self._depth = 0
            self._serialised = False

    def _serialise(self) -> None:
        if not self._serialised:
            self._connection.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK_KEY,))
            self._serialised = True

    def schema_version(self, component: str) -> int:
        return _schema_version(self, component)

    def migrate(self, component: str, migrations: Sequence[str]) -> None:
        _migrate(self, component, migrations)

    def close(self) -> None:
        self._connection.raw.close()


def _load_numeric_as_numbers(raw: Any) -> None:
    """SUM over integers is NUMERIC on PostgreSQL: give ints (or floats) as SQLite does."""
    from psycopg.adapt import Loader

    class NumberLoader(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode("ascii")
            return int(text) if text.lstrip("-").isdigit() else float(text)

    raw.adapters.register_loader("numeric", NumberLoader)


def _without_password(url: str) -> str:
    """The URL as it may appear in messages: a password never does."""
    hidden = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", hidden, flags=re.IGNORECASE)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def is_postgres_url(target: str) -> bool:
    return target.startswith(POSTGRES_PREFIXES)


def open_database(target: Path | str) -> SqliteDatabase | PostgresDatabase:
    """``postgresql://...``, ``sqlite:///PATH`` or a path of an SQLite file."""
    if isinstance(target, Path):
        return SqliteDatabase(target)
    if is_postgres_url(target):
        return PostgresDatabase(target)
    if target.startswith(SQLITE_PREFIX) and len(target) > len(SQLITE_PREFIX):
        return SqliteDatabase(Path(target[len(SQLITE_PREFIX) :]))
    raise BmadError(
        f"--database must be sqlite:///PATH or postgresql://..., got {_without_password(target)!r}"
    )
