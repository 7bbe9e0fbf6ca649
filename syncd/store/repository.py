"""The journal and the sync state: the only code that reads or writes the database.

Every method is one short transaction, committed before it returns, so that what the engine
did before a crash is on disk when it starts again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from syncd.config import ConfigError
from syncd.domain import Link, LinkState, Meeting
from syncd.store.models import CalendarRow, LinkRow, utcnow


class StoreError(Exception):
    """The database cannot be opened or used."""


class StoreMissing(StoreError):
    """There is no database yet (a SQLite file that does not exist)."""


@dataclass(frozen=True)
class CalendarState:
    id: str
    sync_token: str | None = None
    time_zone: str | None = None
    last_pass_started_at: datetime | None = None
    last_pass_finished_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None


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
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(database_url: str) -> Engine:
    try:
        engine = create_engine(database_url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise ConfigError([f"sync.database_url: {exc}"]) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _link(row: LinkRow) -> Link:
    return Link(
        calendar_id=row.calendar_id,
        event_id=row.event_id,
        reference=row.reference,
        state=LinkState(row.state),
        meeting_id=row.meeting_id,
        join_url=row.join_url,
        passcode=row.passcode,
        host=row.host,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
    )


def _calendar(row: CalendarRow) -> CalendarState:
    return CalendarState(
        id=row.id,
        sync_token=row.sync_token,
        time_zone=row.time_zone,
        last_pass_started_at=row.last_pass_started_at,
        last_pass_finished_at=row.last_pass_finished_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
    )


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, database_url: str, *, create: bool = True) -> Store:
        """The store at `database_url`; with `create=False` a missing SQLite file is an error
        instead of a new, empty database (for commands that only read)."""
        path = sqlite_file(database_url)
        if not create and path is not None and not path.exists():
            raise StoreMissing(f"no database at {path} yet")
        return cls(make_engine(database_url))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"database: {exc.__class__.__name__}: {exc.args[0]}") from exc

    # -- calendars -------------------------------------------------------------------------
    def calendar(self, calendar_id: str) -> CalendarState:
        with self._transaction() as session:
            row = session.get(CalendarRow, calendar_id)
            return _calendar(row) if row is not None else CalendarState(id=calendar_id)

    def calendars(self) -> list[CalendarState]:
        with self._transaction() as session:
            return [
                _calendar(r) for r in session.scalars(select(CalendarRow).order_by(CalendarRow.id))
            ]

    def start_pass(self, calendar_id: str) -> None:
        with self._transaction() as session:
            row = session.get(CalendarRow, calendar_id) or CalendarRow(id=calendar_id)
            row.last_pass_started_at = utcnow()
            session.add(row)

    def finish_pass(
        self, calendar_id: str, *, sync_token: str | None, time_zone: str | None, error: str | None
    ) -> None:
        """Record the end of a pass; the sync token advances only when one is given."""
        with self._transaction() as session:
            row = session.get(CalendarRow, calendar_id) or CalendarRow(id=calendar_id)
            now = utcnow()
            row.last_pass_finished_at = now
            row.last_error = error
            if error is None:
                row.last_success_at = now
            if sync_token is not None:
                row.sync_token = sync_token
            if time_zone:
                row.time_zone = time_zone
            session.add(row)

    def acquire_lease(self, calendar_id: str, owner: str, until: datetime, now: datetime) -> bool:
        """Take (or extend) the calendar's lease unless another live owner holds it."""
        free = or_(
            CalendarRow.lease_owner.is_(None),
            CalendarRow.lease_owner == owner,
            CalendarRow.lease_expires_at < now,
        )
        with self._transaction() as session:
            if session.get(CalendarRow, calendar_id) is None:
                session.add(CalendarRow(id=calendar_id))
                session.flush()
            taken = session.execute(
                update(CalendarRow)
                .where(CalendarRow.id == calendar_id, free)
                .values(lease_owner=owner, lease_expires_at=until)
            )
            return taken.rowcount == 1

    def lease_owner(self, calendar_id: str) -> str | None:
        with self._transaction() as session:
            row = session.get(CalendarRow, calendar_id)
            return row.lease_owner if row is not None else None

    def take_over_lease(
        self, calendar_id: str, dead_owner: str, owner: str, until: datetime
    ) -> bool:
        """Take the lease of an owner known to be dead, unless someone else was quicker."""
        return self._update_held_lease(
            calendar_id, dead_owner, lease_owner=owner, lease_expires_at=until
        )

    def renew_lease(self, calendar_id: str, owner: str, until: datetime) -> bool:
        """Extend a lease this owner still holds; False when it was lost."""
        return self._update_held_lease(calendar_id, owner, lease_expires_at=until)

    def release_lease(self, calendar_id: str, owner: str) -> None:
        self._update_held_lease(calendar_id, owner, lease_owner=None, lease_expires_at=None)

    def _update_held_lease(self, calendar_id: str, owner: str, **values: object) -> bool:
        with self._transaction() as session:
            changed = session.execute(
                update(CalendarRow)
                .where(CalendarRow.id == calendar_id, CalendarRow.lease_owner == owner)
                .values(**values)
            )
            return changed.rowcount == 1

    def forget_sync_token(self, calendar_id: str) -> None:
        with self._transaction() as session:
            row = session.get(CalendarRow, calendar_id)
            if row is not None:
                row.sync_token = None

    # -- links -------------------------------------------------------------------------------
    def links(self, calendar_id: str, event_ids: Iterable[str]) -> dict[str, Link]:
        ids = list(event_ids)
        if not ids:
            return {}
        with self._transaction() as session:
            rows = session.scalars(
                select(LinkRow).where(LinkRow.calendar_id == calendar_id, LinkRow.event_id.in_(ids))
            )
            return {row.event_id: _link(row) for row in rows}

    def all_links(self) -> list[Link]:
        with self._transaction() as session:
            rows = session.scalars(select(LinkRow).order_by(LinkRow.calendar_id, LinkRow.id))
            return [_link(row) for row in rows]

    def due_links(self, calendar_id: str, now: datetime) -> list[Link]:
        """Links with work left whose time has come: queued failures, and steps a crash cut
        short (every step in flight is due at once until it completes)."""
        with self._transaction() as session:
            rows = session.scalars(
                select(LinkRow)
                .where(LinkRow.calendar_id == calendar_id, LinkRow.next_attempt_at <= now)
                .order_by(LinkRow.id)
            )
            return [_link(row) for row in rows]

    def begin_create(
        self, calendar_id: str, event_id: str, reference: str, host: str, now: datetime
    ) -> None:
        """Journal that a create is about to be sent (committed before the request goes out)."""
        with self._transaction() as session:
            row = self._row(session, calendar_id, event_id, reference)
            row.state = LinkState.CREATING
            row.host = host
            row.next_attempt_at = now

    def record_meeting(
        self, calendar_id: str, event_id: str, reference: str, meeting: Meeting, host: str
    ) -> None:
        """The meeting exists: created just now, found by its reference, or adopted."""
        with self._transaction() as session:
            row = self._row(session, calendar_id, event_id, reference)
            row.state = LinkState.CREATED
            row.next_attempt_at = row.next_attempt_at or utcnow()
            row.meeting_id = meeting.id
            row.join_url = meeting.join_url
            row.passcode = meeting.password
            row.host = host

    def record_linked(self, calendar_id: str, event_id: str) -> None:
        with self._transaction() as session:
            row = self._existing(session, calendar_id, event_id)
            row.state = LinkState.LINKED
            row.attempts = 0
            row.last_error = None
            row.next_attempt_at = None

    def settle(self, calendar_id: str, event_id: str) -> None:
        """Nothing is left to retry for this event."""
        with self._transaction() as session:
            row = self._existing(session, calendar_id, event_id)
            row.last_error = None
            row.next_attempt_at = None

    def record_failure(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        *,
        error: str,
        retry_at: datetime,
        create_refused: bool,
    ) -> None:
        """Queue the event for a retry; a create Zoom refused leaves no meeting behind."""
        with self._transaction() as session:
            row = self._row(session, calendar_id, event_id, reference)
            if create_refused and row.state == LinkState.CREATING:
                row.state = LinkState.PENDING
            row.attempts = (row.attempts or 0) + 1
            row.last_error = error
            row.next_attempt_at = retry_at

    @staticmethod
    def _existing(session: Session, calendar_id: str, event_id: str) -> LinkRow:
        return session.scalars(
            select(LinkRow).where(LinkRow.calendar_id == calendar_id, LinkRow.event_id == event_id)
        ).one()

    @staticmethod
    def _row(session: Session, calendar_id: str, event_id: str, reference: str) -> LinkRow:
        row = session.scalars(
            select(LinkRow).where(LinkRow.calendar_id == calendar_id, LinkRow.event_id == event_id)
        ).one_or_none()
        if row is None:
            if session.get(CalendarRow, calendar_id) is None:
                session.add(CalendarRow(id=calendar_id))
            row = LinkRow(
                calendar_id=calendar_id,
                event_id=event_id,
                reference=reference,
                state=LinkState.PENDING,
                attempts=0,
                passcode="",
            )
            session.add(row)
        return row
