"""The event-to-meeting journal (DESIGN section 4).

The writes that lead to a meeting or put it into an event are fenced: they take effect only
while the writer still holds the calendar's lease, so a syncd that was paused past its lease
cannot overwrite the work of the one that took over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.domain import Link, LinkState, Meeting
from syncd.store.base import LeaseLost, StoreBase
from syncd.store.models import CalendarRow, LinkRow


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
        create_sent_at=row.create_sent_at,
    )


class JournalStore(StoreBase):
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
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        host: str,
        now: datetime,
        owner: str | None,
    ) -> None:
        """Journal that a create is about to be sent (committed before the request goes out)."""
        with self._transaction() as session:
            row = self._fenced_row(session, calendar_id, event_id, reference, owner)
            row.state = LinkState.CREATING
            row.host = host
            row.create_sent_at = now
            row.next_attempt_at = now

    def record_meeting(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        meeting: Meeting,
        host: str,
        now: datetime,
        owner: str | None,
    ) -> None:
        """The meeting exists: created just now, found by its reference, or adopted."""
        with self._transaction() as session:
            row = self._fenced_row(session, calendar_id, event_id, reference, owner)
            row.state = LinkState.CREATED
            row.next_attempt_at = row.next_attempt_at or now
            row.meeting_id = meeting.id
            row.join_url = meeting.join_url
            row.passcode = meeting.password
            row.host = host

    def record_linked(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            row = _existing(session, calendar_id, event_id)
            row.state = LinkState.LINKED
            row.attempts = 0
            row.last_error = None
            row.next_attempt_at = None

    def settle(self, calendar_id: str, event_id: str) -> None:
        """Nothing is left to retry for this event."""
        with self._transaction() as session:
            row = _existing(session, calendar_id, event_id)
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
            row = self._fenced_row(session, calendar_id, event_id, reference, None)
            if create_refused and row.state == LinkState.CREATING:
                row.state = LinkState.PENDING
            row.attempts = (row.attempts or 0) + 1
            row.last_error = error
            row.next_attempt_at = retry_at

    @staticmethod
    def _fenced_row(
        session: Session, calendar_id: str, event_id: str, reference: str, owner: str | None
    ) -> LinkRow:
        """The event's row, new if need be, once the writer is known to hold the lease."""
        _fence(session, calendar_id, owner)
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


def _fence(session: Session, calendar_id: str, owner: str | None) -> None:
    if owner is None:
        return
    holder = session.scalar(
        select(CalendarRow.lease_owner).where(CalendarRow.id == calendar_id).with_for_update()
    )
    if holder != owner:
        raise LeaseLost(f"calendar {calendar_id!r} is now in work by {holder or 'nobody'}")


def _existing(session: Session, calendar_id: str, event_id: str) -> LinkRow:
    return session.scalars(
        select(LinkRow).where(LinkRow.calendar_id == calendar_id, LinkRow.event_id == event_id)
    ).one()
