"""The database connection and the transaction every store method runs in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from syncd.core.errors import LeaseLost, StoreError


class DatabaseUrlError(ValueError):
    """A database URL SQLAlchemy cannot use (an unknown dialect, no driver)."""


class StoreMissing(StoreError):
    """There is no database yet (a SQLite file that does not exist)."""


def _sqlite_pragmas(busy_seconds: float) -> Callable[[Any, object], None]:
    def on_connect(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def sqlite_file(database_url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory SQLite."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if url.query.get("mode") == "memory":  # a shared in-memory database, by URI
        return None
    return Path(database.removeprefix("file:") if url.query.get("uri") == "true" else database)


def make_engine(database_url: str, busy_seconds: float = 30.0) -> Engine:
    """`busy_seconds`: how long a SQLite write waits for another process's lock."""
    try:
        engine = create_engine(database_url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise DatabaseUrlError(str(exc)) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(busy_seconds))
    return engine


def _identity(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE changed (every UPDATE result is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


class StoreBase:
    """Every method is one short transaction, committed before it returns, so that what the
    engine did before a crash is on disk when it starts again."""

    def __init__(self, engine: Engine, path: Path | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._path = path
        self._identity = _identity(path)

    def check_file(self) -> None:
        """A SQLite file deleted under a running syncd would take its writes with it (the
        open connections write on into the unlinked file): refuse until it is back. A file
        put back (a backup restored) is used from then on."""
        if self._path is None:
            return
        identity = _identity(self._path)
        if identity is None:
            raise StoreError(
                f"database: {self._path} was deleted while syncd ran: restore it from a "
                "backup, or restart syncd to begin a new one"
            )
        if identity != self._identity:
            self.engine.dispose()
            self._identity = identity

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """An ORM session's transaction (the calendars' rows: a few writes a pass)."""
        with _translated(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A Core connection's transaction (the journal: several writes an event)."""
        with _translated(), self.engine.begin() as connection:
            yield connection


@contextmanager
def _translated() -> Iterator[None]:
    """The driver's errors as StoreError, one line."""
    try:
        yield
    except LeaseLost:
        raise
    except SQLAlchemyError as exc:
        raise StoreError(f"database: {exc.__class__.__name__}: {exc.args[0]}") from exc
