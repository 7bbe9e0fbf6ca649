"""The event-to-meeting journal (docs/design.md, "The journal").

The writes are fenced: given an owner, they take effect only while that owner still holds the
calendar's lease, so a syncd that was paused past its lease cannot overwrite the work of the
one that took over. `syncd.journal.JournalWriter` binds the owner and the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from syncd.domain import Link, LinkState, Meeting, MeetingSpec, MeetingType, OccurrenceChange
from syncd.store.base import LeaseLost, StoreBase, StoreError
from syncd.store.calendars import calendar_row
from syncd.store.models import CalendarRow, LinkRow

LIVE_STATES = (LinkState.CREATED, LinkState.LINKED)


def _made_from(row: LinkRow) -> MeetingSpec | None:
    if row.meeting_type is None or row.host is None:
        return None
    settings = json.loads(row.settings) if row.settings else {}
    return MeetingSpec(
        topic=row.topic or "",
        agenda=row.agenda or "",
        type=MeetingType(row.meeting_type),
        host=row.host,
        start_time=row.start_time,
        duration=row.duration,
        timezone=row.timezone,
        settings=tuple(sorted(settings.items())),
        **_schedule(row.schedule),
    )


def _schedule(text: str | None) -> dict[str, Any]:
    """The spec's schedule fields, as `_schedule_json` wrote them."""
    if not text:
        return {}
    data = json.loads(text)
    recurrence = data.get("recurrence")
    occurrences = data.get("occurrences", {})
    return {
        "zone": data.get("zone"),
        "no_fixed_time": data.get("no_fixed_time"),
        "recurrence": tuple(sorted(recurrence.items())) if recurrence else None,
        "occurrences": tuple(
            (key, OccurrenceChange(*(value or ()))) for key, value in sorted(occurrences.items())
        ),
    }


def _schedule_json(spec: MeetingSpec) -> str:
    occurrences = {
        key: None if change.removed else [change.start_time, change.duration]
        for key, change in spec.occurrences
    }
    recurrence = dict(spec.recurrence) if spec.recurrence is not None else None
    schedule = {
        "zone": spec.zone,
        "no_fixed_time": spec.no_fixed_time,
        "recurrence": recurrence,
        "occurrences": occurrences,
    }
    return json.dumps(schedule, sort_keys=True)


def _remember(row: LinkRow, host: str, spec: MeetingSpec | None) -> None:
    row.host = host
    if spec is None:
        row.topic = row.agenda = row.start_time = row.timezone = row.settings = None
        row.schedule = None
        row.meeting_type = row.duration = None
        return
    row.topic = spec.topic
    row.agenda = spec.agenda
    row.meeting_type = int(spec.type)
    row.start_time = spec.start_time
    row.duration = spec.duration
    row.timezone = spec.timezone
    row.settings = json.dumps(dict(spec.settings), sort_keys=True) if spec.settings else None
    row.schedule = _schedule_json(spec)


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
        made_from=_made_from(row),
        held_at=row.held_at,
        parked_at=row.parked_at,
        replaced_meeting_id=row.replaced_meeting_id,
        summary=row.summary,
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

    def due_links(self, calendar_id: str, now: datetime, *, held_too: bool = False) -> list[Link]:
        """Links with work left whose time has come: queued failures, and steps a crash cut
        short (every step in flight is due at once until it completes); with `held_too`, also
        every deletion the mass-change guard held back."""
        due = LinkRow.next_attempt_at <= now
        if held_too:
            due = or_(due, LinkRow.held_at.is_not(None))
        with self._transaction() as session:
            rows = session.scalars(
                select(LinkRow).where(LinkRow.calendar_id == calendar_id, due).order_by(LinkRow.id)
            )
            return [_link(row) for row in rows]

    def live_links(self, calendar_id: str) -> list[Link]:
        """The calendar's links to a meeting that syncd follows (created or linked)."""
        with self._transaction() as session:
            rows = session.scalars(
                select(LinkRow)
                .where(LinkRow.calendar_id == calendar_id, LinkRow.state.in_(LIVE_STATES))
                .order_by(LinkRow.id)
            )
            return [_link(row) for row in rows]

    def count_work_left(self) -> tuple[int, int]:
        """How many events are queued (a retry or a resumed step due) and how many parked."""
        with self._transaction() as session:
            queued = session.scalar(
                select(func.count())
                .select_from(LinkRow)
                .where(LinkRow.next_attempt_at.is_not(None))
            )
            parked = session.scalar(
                select(func.count()).select_from(LinkRow).where(LinkRow.parked_at.is_not(None))
            )
            return queued or 0, parked or 0

    def count_live(self, calendar_id: str) -> int:
        """The calendar's meetings that syncd follows (created or linked)."""
        with self._transaction() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(LinkRow)
                    .where(LinkRow.calendar_id == calendar_id, LinkRow.state.in_(LIVE_STATES))
                )
                or 0
            )

    def count_held(self, calendar_id: str) -> int:
        """The calendar's deletions the mass-change guard holds."""
        with self._transaction() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(LinkRow)
                    .where(LinkRow.calendar_id == calendar_id, LinkRow.held_at.is_not(None))
                )
                or 0
            )

    def links_to_audit(self, calendar_id: str, seen_before: datetime, limit: int) -> list[Link]:
        """Live links whose meeting was last seen (or made) before `seen_before`, oldest
        first."""
        last_seen = func.coalesce(LinkRow.checked_at, LinkRow.created_at)  # rows from 0001
        with self._transaction() as session:
            rows = session.scalars(
                select(LinkRow)
                .where(
                    LinkRow.calendar_id == calendar_id,
                    LinkRow.state.in_(LIVE_STATES),
                    last_seen < seen_before,
                )
                .order_by(last_seen)
                .limit(limit)
            )
            return [_link(row) for row in rows]

    def record_checked(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None:
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            _existing(session, calendar_id, event_id).checked_at = now

    def record_meeting_gone(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None:
        """The meeting was deleted in Zoom: the event has none now, and is due at once."""
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            row = _existing(session, calendar_id, event_id)
            row.state = LinkState.PENDING
            row.meeting_id = row.join_url = None
            row.passcode = ""
            row.next_attempt_at = now
            _remember(row, row.host or "me", None)

    def begin_create(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        host: str,
        now: datetime,
        owner: str | None,
        replaces: int | None = None,
        summary: str | None = None,
    ) -> None:
        """Journal that a create is about to be sent (committed before the request goes out);
        `replaces` names a meeting the new one is to replace (a re-host)."""
        with self._transaction() as session:
            row = self._fenced_row(session, calendar_id, event_id, reference, owner)
            row.summary = summary if summary is not None else row.summary
            if replaces is not None:
                row.replaced_meeting_id, row.replaced_host = replaces, row.host
            row.state = LinkState.CREATING
            row.host = host
            row.create_sent_at = now
            row.next_attempt_at = now

    def record_replaced_dropped(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The meeting a re-host replaced is deleted (the row may be gone already)."""
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            row = _find(session, calendar_id, event_id)
            if row is not None:
                row.replaced_meeting_id = row.replaced_host = None
                if row.state in (LinkState.LINKED, LinkState.KEPT):
                    _settle(row)

    def record_meeting(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        meeting: Meeting,
        host: str,
        made_from: MeetingSpec | None,
        now: datetime,
        owner: str | None,
        summary: str | None = None,
        replaces: tuple[int, str] | None = None,
    ) -> None:
        """The meeting exists: created just now from `made_from`, or found by its reference
        or adopted (made from something syncd no longer knows: None); found `replaces` a
        meeting (and its host) of a re-host the journal had lost."""
        with self._transaction() as session:
            row = self._fenced_row(session, calendar_id, event_id, reference, owner)
            row.summary = summary if summary is not None else row.summary
            if replaces is not None:
                row.replaced_meeting_id, row.replaced_host = replaces
            row.state = LinkState.CREATED
            row.next_attempt_at = row.next_attempt_at or now
            row.meeting_id = meeting.id
            row.join_url = meeting.join_url
            row.passcode = meeting.password
            row.checked_at = now  # seen in Zoom just now: the audit starts from here
            _remember(row, host, made_from)

    def record_update(
        self, calendar_id: str, event_id: str, spec: MeetingSpec, owner: str | None
    ) -> None:
        """The meeting now matches `spec` (a PATCH succeeded)."""
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            _remember(_existing(session, calendar_id, event_id), spec.host, spec)

    def record_linked(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The event shows its meeting."""
        self._settle_as(LinkState.LINKED, calendar_id, event_id, owner)

    def record_kept(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The meeting stays in Zoom and is no longer followed (`on_cancel = "keep"`)."""
        self._settle_as(LinkState.KEPT, calendar_id, event_id, owner)

    def _settle_as(
        self, state: LinkState, calendar_id: str, event_id: str, owner: str | None
    ) -> None:
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            row = _existing(session, calendar_id, event_id)
            row.state = state
            _settle(row)

    def forget(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The event has no meeting and nothing left to retry: drop its row."""
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            row = _find(session, calendar_id, event_id)
            if row is not None:
                session.delete(row)

    def record_held(
        self,
        calendar_id: str,
        event_id: str,
        reason: str,
        *,
        now: datetime,
        retry_at: datetime,
        owner: str | None,
    ) -> None:
        """The mass-change guard held back this link's deletion: look again at `retry_at`, or
        as soon as an operator allows the deletions."""
        with self._transaction() as session:
            _fence(session, calendar_id, owner)
            row = _existing(session, calendar_id, event_id)
            row.held_at = row.held_at or now
            row.last_error = reason
            row.attempts = (row.attempts or 0) + 1
            row.next_attempt_at = retry_at

    def record_failure(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        *,
        error: str,
        retry_at: datetime,
        create_refused: bool,
        owner: str | None,
        park_at: datetime | None = None,
        summary: str | None = None,
    ) -> bool:
        """Queue the event for a retry, or with `park_at` park it: no more retries until
        `unpark`. A create of unknown outcome is never parked (it must be found out). A
        create Zoom refused leaves no meeting behind: the event has none, or, for a re-host,
        still the one it had, under its old host. True if parked."""
        with self._transaction() as session:
            row = self._fenced_row(session, calendar_id, event_id, reference, owner)
            row.summary = summary if summary is not None else row.summary
            if create_refused and row.state == LinkState.CREATING:
                _undo_create(row)
            row.attempts = (row.attempts or 0) + 1
            row.last_error = error
            parked = park_at is not None and row.state != LinkState.CREATING
            row.next_attempt_at = None if parked else retry_at
            row.parked_at = park_at if parked else None
            return parked

    def unpark(
        self, now: datetime, calendar_id: str | None = None, event_id: str | None = None
    ) -> int:
        """Put parked events back in the queue, due at `now` (all, a calendar's or one);
        how many."""
        where: list[ColumnElement[bool]] = [LinkRow.parked_at.is_not(None)]
        if calendar_id is not None:
            where.append(LinkRow.calendar_id == calendar_id)
        if event_id is not None:
            where.append(LinkRow.event_id == event_id)
        with self._transaction() as session:
            rows = list(session.scalars(select(LinkRow).where(*where)))
            for row in rows:
                row.parked_at = None
                row.attempts = 0
                row.next_attempt_at = now
            return len(rows)

    @staticmethod
    def _fenced_row(
        session: Session, calendar_id: str, event_id: str, reference: str, owner: str | None
    ) -> LinkRow:
        """The event's row, new if need be, once the writer is known to hold the lease."""
        _fence(session, calendar_id, owner)
        row = _find(session, calendar_id, event_id)
        if row is None:
            calendar_row(session, calendar_id)
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


def _undo_create(row: LinkRow) -> None:
    if row.replaced_meeting_id is None:
        row.state = LinkState.PENDING
        return
    row.state = LinkState.LINKED
    row.host = row.replaced_host
    row.replaced_meeting_id = row.replaced_host = None


def _settle(row: LinkRow) -> None:
    """Nothing left to retry; but a replaced meeting still to delete keeps the row due."""
    if row.replaced_meeting_id is not None:
        return
    row.attempts = 0
    row.last_error = None
    row.next_attempt_at = None
    row.held_at = None
    row.parked_at = None


def _find(session: Session, calendar_id: str, event_id: str) -> LinkRow | None:
    return session.scalars(
        select(LinkRow).where(LinkRow.calendar_id == calendar_id, LinkRow.event_id == event_id)
    ).one_or_none()


def _existing(session: Session, calendar_id: str, event_id: str) -> LinkRow:
    row = _find(session, calendar_id, event_id)
    if row is None:
        raise StoreError(f"database: no journal row for event {calendar_id}/{event_id}")
    return row
