"""The database connection and the transaction every store method runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from syncd.config import ConfigError


class StoreError(Exception):
    """The database cannot be opened or used."""


class StoreMissing(StoreError):
    """There is no database yet (a SQLite file that does not exist)."""


class LeaseLost(StoreError):
    """Another syncd holds the calendar now: this one must stop writing for it."""


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def sqlite_file(database_url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory SQLite."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def make_engine(database_url: str) -> Engine:
    try:
        engine = create_engine(database_url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise ConfigError([f"sync.database_url: {exc}"]) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE changed (every UPDATE result is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


class StoreBase:
    """Every method is one short transaction, committed before it returns, so that what the
    engine did before a crash is on disk when it starts again."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except LeaseLost:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"database: {exc.__class__.__name__}: {exc.args[0]}") from exc
