"""Per-calendar state: the sync token, the last pass, and the lease that keeps two syncd
processes from working on one calendar at once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.core.domain import CalendarState
from syncd.store.base import StoreBase, rowcount
from syncd.store.models import CalendarRow, utcnow


def calendar_row(session: Session, calendar_id: str) -> CalendarRow:
    """The calendar's row, inserted if it is new."""
    row = session.get(CalendarRow, calendar_id)
    if row is not None:
        return row
    ensure_calendar_row(session, calendar_id)
    return session.get_one(CalendarRow, calendar_id)


def ensure_calendar_row(executor: Session | Connection, calendar_id: str) -> None:
    """Insert the calendar's row unless it exists. Several syncd processes may meet a new
    calendar at once: the insert yields to another's (ON CONFLICT DO NOTHING) instead of
    failing on the primary key."""
    dialect = (
        executor.get_bind().dialect.name if isinstance(executor, Session) else executor.dialect.name
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    executor.execute(insert(CalendarRow).values(id=calendar_id).on_conflict_do_nothing())


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
        settings_fingerprint=row.settings_fingerprint,
        recovering_until=row.recovering_until,
        out_of_scope_since=row.out_of_scope_since,
        changes_read_at=row.changes_read_at,
    )


class CalendarStore(StoreBase):
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
            row = calendar_row(session, calendar_id)
            row.last_pass_started_at = utcnow()

    def finish_pass(
        self,
        calendar_id: str,
        *,
        sync_token: str | None,
        time_zone: str | None,
        error: str | None,
        fingerprint: str | None = None,
        changes_read_at: datetime | None = None,
    ) -> None:
        """Record the end of a pass; the sync token advances only when one is given, together
        with the fingerprint of the config its events were planned with, and the instant up
        to which the calendar's changes have been read."""
        with self._transaction() as session:
            row = calendar_row(session, calendar_id)
            now = utcnow()
            row.last_pass_finished_at = now
            row.last_error = error
            if error is None:
                row.last_success_at = now
            if sync_token is not None:
                row.sync_token = sync_token
                row.settings_fingerprint = fingerprint
            if changes_read_at is not None:
                row.changes_read_at = changes_read_at
            if time_zone:
                row.time_zone = time_zone

    def record_scope(self, watched: set[str], now: datetime) -> None:
        """Calendars not in `watched` are out of scope from `now` on (unless already), those
        in it are not. Nothing else of theirs changes."""
        with self._transaction() as session:
            for row in session.scalars(select(CalendarRow)):
                if row.id in watched:
                    row.out_of_scope_since = None
                elif row.out_of_scope_since is None:
                    row.out_of_scope_since = now

    def set_recovery(self, calendar_id: str, until: datetime | None) -> None:
        with self._transaction() as session:
            row = calendar_row(session, calendar_id)
            row.recovering_until = until

    def database_now(self) -> datetime:
        """The clock leases are measured by: the server's on PostgreSQL, where replicas on
        several hosts share the database (their own clocks may disagree); this machine's on
        SQLite, which only processes of this machine share."""
        if self.engine.dialect.name != "postgresql":
            return datetime.now(UTC)
        with self._transaction() as session:
            return session.execute(select(func.now())).scalar_one()

    def acquire_lease(self, calendar_id: str, owner: str, until: datetime, now: datetime) -> bool:
        """Take the calendar's lease unless it is held and not yet run out (by anyone, this
        owner included: two passes of one process must not overlap either)."""
        free = or_(CalendarRow.lease_owner.is_(None), CalendarRow.lease_expires_at < now)
        with self._transaction() as session:
            calendar_row(session, calendar_id)
            taken = session.execute(
                update(CalendarRow)
                .where(CalendarRow.id == calendar_id, free)
                .values(lease_owner=owner, lease_expires_at=until)
            )
            return rowcount(taken) == 1

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
            return rowcount(changed) == 1

    def forget_sync_token(self, calendar_id: str) -> None:
        with self._transaction() as session:
            row = session.get(CalendarRow, calendar_id)
            if row is not None:
                row.sync_token = None
