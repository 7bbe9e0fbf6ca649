"""The store: the only code that reads or writes the database."""

from __future__ import annotations

from syncd.store.base import StoreMissing, make_engine, sqlite_file
from syncd.store.calendars import CalendarStore
from syncd.store.journal import JournalStore


class Store(CalendarStore, JournalStore):
    @classmethod
    def open(cls, database_url: str, *, create: bool = True, busy_seconds: float = 30.0) -> Store:
        """The store at `database_url`; with `create=False` a missing SQLite file is an error
        instead of a new, empty database (for commands that only read)."""
        path = sqlite_file(database_url)
        if not create and path is not None and not path.exists():
            raise StoreMissing(f"no database at {path} yet")
        return cls(make_engine(database_url, busy_seconds), path)
