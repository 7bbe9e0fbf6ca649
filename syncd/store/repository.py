"""The store: the only code that reads or writes the database."""

from __future__ import annotations

import uuid
import warnings

from sqlalchemy.exc import SADeprecationWarning

from syncd.store.base import StoreMissing, make_engine, sqlite_file
from syncd.store.calendars import CalendarStore
from syncd.store.journal import JournalStore
from syncd.store.migrate import upgrade
from syncd.store.replicas import ReplicaStore


class Store(CalendarStore, JournalStore, ReplicaStore):
    @classmethod
    def open(cls, database_url: str, *, create: bool = True, busy_seconds: float = 30.0) -> Store:
        """The store at `database_url`; with `create=False` a missing SQLite file is an error
        instead of a new, empty database (for commands that only read)."""
        path = sqlite_file(database_url)
        if not create and path is not None and not path.exists():
            raise StoreMissing(f"no database at {path} yet")
        return cls(make_engine(database_url, busy_seconds), path)

    @classmethod
    def scratch(cls) -> Store:
        """A private, migrated database in memory, gone when the store is closed (a dry run
        before the first pass; the tests' engine).

        A plain `sqlite://` database exists only for the connection that made it, and
        SQLAlchemy gives each thread its own connection: another worker would see an empty
        one. A named shared-cache memory database is the same for every connection of the
        process. (SQLAlchemy warns that it pools such a URL with QueuePool instead of
        SingletonThreadPool; either way every connection opens the same database.)"""
        name = f"syncd-scratch-{uuid.uuid4().hex}"
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", "Selection of the SingletonThreadPool", SADeprecationWarning
            )
            store = cls.open(f"sqlite:///file:{name}?mode=memory&cache=shared&uri=true")
        upgrade(store.engine)
        return store
