"""The event-to-meeting journal (docs/design.md, "The journal").

The writes are fenced: given an owner, they take effect only while that owner still holds the
calendar's lease, so a syncd that was paused past its lease cannot overwrite the work of the
one that took over. `syncd.engine.journal.JournalWriter` binds the owner and the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.sql import Executable

from syncd.core.domain import Link, LinkState, Meeting, MeetingSpec, MeetingType, OccurrenceChange
from syncd.core.errors import LeaseLost, StoreError
from syncd.store.base import StoreBase, rowcount
from syncd.store.calendars import ensure_calendar_row
from syncd.store.models import CalendarRow, LinkRow

LIVE_STATES = (LinkState.CREATED, LinkState.LINKED)
LINKS = cast(Table, LinkRow.__table__)
CALENDARS = cast(Table, CalendarRow.__table__)
Row = dict[str, Any]
"""A link row, by column name."""

# Built once: the statements a pass runs for every event (SQLAlchemy Core, not the ORM,
# whose unit of work cost more than the request it journals).
_HOLDER = (
    select(CALENDARS.c.lease_owner)
    .where(CALENDARS.c.id == bindparam("calendar_id"))
    .with_for_update(read=True)  # a takeover waits for the write; other writers do not
)
_ROW = select(LINKS).where(
    LINKS.c.calendar_id == bindparam("calendar_id"), LINKS.c.event_id == bindparam("event_id")
)
_ROWS = select(LINKS).where(
    LINKS.c.calendar_id == bindparam("calendar_id"),
    LINKS.c.event_id.in_(bindparam("event_ids", expanding=True)),
)
_UPDATE = update(LINKS).where(LINKS.c.id == bindparam("row_id"))
_DELETE = delete(LINKS).where(LINKS.c.id == bindparam("row_id"))


def _made_from(row: Row) -> MeetingSpec | None:
    if row["meeting_type"] is None or row["host"] is None:
        return None
    settings = json.loads(row["settings"]) if row["settings"] else {}
    return MeetingSpec(
        topic=row["topic"] or "",
        agenda=row["agenda"] or "",
        type=MeetingType(row["meeting_type"]),
        host=row["host"],
        start_time=row["start_time"],
        duration=row["duration"],
        timezone=row["timezone"],
        settings=tuple(sorted(settings.items())),
        **_schedule(row["schedule"]),
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


def _remember(row: Row, host: str, spec: MeetingSpec | None) -> None:
    row["host"] = host
    if spec is None:
        for column in ("topic", "agenda", "start_time", "timezone", "settings", "schedule"):
            row[column] = None
        row["meeting_type"] = row["duration"] = None
        return
    row["topic"] = spec.topic
    row["agenda"] = spec.agenda
    row["meeting_type"] = int(spec.type)
    row["start_time"] = spec.start_time
    row["duration"] = spec.duration
    row["timezone"] = spec.timezone
    row["settings"] = json.dumps(dict(spec.settings), sort_keys=True) if spec.settings else None
    row["schedule"] = _schedule_json(spec)


def _link(row: Row) -> Link:
    return Link(
        calendar_id=row["calendar_id"],
        event_id=row["event_id"],
        reference=row["reference"],
        state=LinkState(row["state"]),
        meeting_id=row["meeting_id"],
        join_url=row["join_url"],
        passcode=row["passcode"],
        host=row["host"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
        create_sent_at=row["create_sent_at"],
        made_from=_made_from(row),
        held_at=row["held_at"],
        parked_at=row["parked_at"],
        replaced_meeting_id=row["replaced_meeting_id"],
        summary=row["summary"],
        waiting_since=row["waiting_since"],
        departed_at=row["departed_at"],
    )


class JournalStore(StoreBase):
    def links(self, calendar_id: str, event_ids: Iterable[str]) -> dict[str, Link]:
        ids = list(event_ids)
        if not ids:
            return {}
        rows = self._rows(_ROWS, calendar_id=calendar_id, event_ids=ids)
        return {row["event_id"]: _link(row) for row in rows}

    def all_links(self) -> list[Link]:
        return [
            _link(row)
            for row in self._rows(select(LINKS).order_by(LINKS.c.calendar_id, LINKS.c.id))
        ]

    def due_links(self, calendar_id: str, now: datetime, *, held_too: bool = False) -> list[Link]:
        """Links with work left whose time has come: queued failures, steps a crash cut
        short (every step in flight is due at once until it completes), and events gone from
        the calendar whose meeting waits to see whether they moved; with `held_too`, also
        every deletion the mass-change guard held back."""
        due = or_(LINKS.c.next_attempt_at <= now, LINKS.c.departed_at.is_not(None))
        if held_too:
            due = or_(due, LINKS.c.held_at.is_not(None))
        query = select(LINKS).where(LINKS.c.calendar_id == calendar_id, due).order_by(LINKS.c.id)
        return [_link(row) for row in self._rows(query)]

    def zoom_answers_again(self, now: datetime) -> int:
        """Zoom answers again: the events waiting for it (not parked) are due at `now`; how
        many."""
        waiting = (LINKS.c.waiting_on_zoom.is_(True), LINKS.c.next_attempt_at > now)
        with self._connection() as connection:
            return rowcount(
                connection.execute(
                    update(LINKS).where(*waiting).values(next_attempt_at=now, waiting_on_zoom=None)
                )
            )

    def holds_meeting(self, meeting_id: int) -> bool:
        """Whether any link, of any calendar, has this meeting (or is replacing it)."""
        held = or_(LINKS.c.meeting_id == meeting_id, LINKS.c.replaced_meeting_id == meeting_id)
        return self._count(held) > 0

    def count_waiting_on_zoom(self) -> int:
        return self._count(LINKS.c.waiting_on_zoom.is_(True))

    def live_links(self, calendar_id: str) -> list[Link]:
        """The calendar's links to a meeting that syncd follows (created or linked)."""
        query = (
            select(LINKS)
            .where(LINKS.c.calendar_id == calendar_id, LINKS.c.state.in_(LIVE_STATES))
            .order_by(LINKS.c.id)
        )
        return [_link(row) for row in self._rows(query)]

    def count_work_left(self) -> tuple[int, int]:
        """How many events are queued (a retry or a resumed step due) and how many parked."""
        return (
            self._count(LINKS.c.next_attempt_at.is_not(None)),
            self._count(LINKS.c.parked_at.is_not(None)),
        )

    def count_live(self, calendar_id: str) -> int:
        """The calendar's meetings that syncd follows (created or linked)."""
        return self._count(LINKS.c.calendar_id == calendar_id, LINKS.c.state.in_(LIVE_STATES))

    def count_held(self, calendar_id: str) -> int:
        """The calendar's deletions the mass-change guard holds."""
        return self._count(LINKS.c.calendar_id == calendar_id, LINKS.c.held_at.is_not(None))

    def links_to_audit(self, calendar_id: str, seen_before: datetime, limit: int) -> list[Link]:
        """Live links whose meeting was last seen (or made) before `seen_before`, oldest
        first."""
        last_seen = func.coalesce(LINKS.c.checked_at, LINKS.c.created_at)  # rows from 0001
        query = (
            select(LINKS)
            .where(
                LINKS.c.calendar_id == calendar_id,
                LINKS.c.state.in_(LIVE_STATES),
                last_seen < seen_before,
            )
            .order_by(last_seen)
            .limit(limit)
        )
        return [_link(row) for row in self._rows(query)]

    def record_checked(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None:
        with self._connection() as connection:
            row = _existing(connection, calendar_id, event_id, owner)
            row["checked_at"] = now
            _save(connection, row, owner)

    def record_meeting_gone(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None:
        """The meeting was deleted in Zoom: the event has none now, and is due at once."""
        with self._connection() as connection:
            row = _existing(connection, calendar_id, event_id, owner)
            row["state"] = LinkState.PENDING
            row["meeting_id"] = row["join_url"] = None
            row["passcode"] = ""
            row["next_attempt_at"] = now
            _remember(row, row["host"] or "me", None)
            _save(connection, row, owner)

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
        with self._connection() as connection:
            row = _row(connection, calendar_id, event_id, reference)
            row["summary"] = summary if summary is not None else row["summary"]
            if replaces is not None:
                row["replaced_meeting_id"], row["replaced_host"] = replaces, row["host"]
            row["state"] = LinkState.CREATING
            row["host"] = host
            row["create_sent_at"] = now
            row["next_attempt_at"] = now
            _save(connection, row, owner)

    def record_replaced_dropped(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The meeting a re-host replaced is deleted (the row may be gone already)."""
        with self._connection() as connection:
            row = _find(connection, calendar_id, event_id)
            if row is None:
                _fence(connection, calendar_id, owner)
                return
            row["replaced_meeting_id"] = row["replaced_host"] = None
            if row["state"] in (LinkState.LINKED, LinkState.KEPT):
                _settle(row)
            _save(connection, row, owner)

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
        with self._connection() as connection:
            row = _row(connection, calendar_id, event_id, reference)
            row["summary"] = summary if summary is not None else row["summary"]
            if replaces is not None:
                row["replaced_meeting_id"], row["replaced_host"] = replaces
            row["state"] = LinkState.CREATED
            row["next_attempt_at"] = row["next_attempt_at"] or now
            row["meeting_id"] = meeting.id
            row["join_url"] = meeting.join_url
            row["passcode"] = meeting.password
            row["checked_at"] = now  # seen in Zoom just now: the audit starts from here
            _remember(row, host, made_from)
            _save(connection, row, owner)

    def record_changing(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """A request that changes the meeting (a PATCH, a DELETE) is about to go out: what
        the meeting is made from is unknown until it is journaled done, so that a crash in
        between leaves the next plan to read the meeting (`Reconcile`), whatever the event
        says by then."""
        with self._connection() as connection:
            row = _existing(connection, calendar_id, event_id, owner)
            _remember(row, row["host"], None)
            _save(connection, row, owner)

    def record_update(
        self, calendar_id: str, event_id: str, spec: MeetingSpec, owner: str | None
    ) -> None:
        """The meeting now matches `spec` (a PATCH succeeded)."""
        with self._connection() as connection:
            row = _existing(connection, calendar_id, event_id, owner)
            _remember(row, spec.host, spec)
            _save(connection, row, owner)

    def record_linked(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The event shows its meeting."""
        self._settle_as(LinkState.LINKED, calendar_id, event_id, owner)

    def record_kept(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The meeting stays in Zoom and is no longer followed (`on_cancel = "keep"`)."""
        self._settle_as(LinkState.KEPT, calendar_id, event_id, owner)

    def _settle_as(
        self, state: LinkState, calendar_id: str, event_id: str, owner: str | None
    ) -> None:
        with self._connection() as connection:
            row = _existing(connection, calendar_id, event_id, owner)
            row["state"] = state
            _settle(row)
            _save(connection, row, owner)

    def record_departed(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None:
        """The event is gone from the calendar; its meeting waits (the row may have been
        taken over by the calendar the event moved to)."""
        with self._connection() as connection:
            row = _find(connection, calendar_id, event_id)
            if row is None:
                _fence(connection, calendar_id, owner)
                return
            row["departed_at"] = row["departed_at"] or now
            _save(connection, row, owner)

    def take_over(
        self, calendar_id: str, event_id: str, meeting_id: int, reference: str, owner: str | None
    ) -> str | None:
        """The event moved here from another calendar with its meeting (a change of owner,
        `events.move`): that calendar's link, if it has the meeting and is at rest (no
        create, no re-host under way), becomes this calendar's, under the event's new
        reference. The calendar it came from, or None."""
        moved = select(LINKS).where(
            LINKS.c.event_id == event_id,
            LINKS.c.meeting_id == meeting_id,
            LINKS.c.calendar_id != calendar_id,
            LINKS.c.state.in_((*LIVE_STATES, LinkState.KEPT)),
            LINKS.c.replaced_meeting_id.is_(None),
        )
        with self._connection() as connection:
            found = connection.execute(moved).mappings().first()
            if found is None:
                return None
            ensure_calendar_row(connection, calendar_id)
            connection.execute(
                _UPDATE,
                {
                    "row_id": found["id"],
                    "calendar_id": calendar_id,
                    "reference": reference,
                    "departed_at": None,
                },
            )
            _fence(connection, calendar_id, owner)
            return str(found["calendar_id"])

    def forget(self, calendar_id: str, event_id: str, owner: str | None) -> None:
        """The event has no meeting and nothing left to retry: drop its row."""
        with self._connection() as connection:
            row = _find(connection, calendar_id, event_id)
            if row is not None:
                connection.execute(_DELETE, {"row_id": row["id"]})
            _fence(connection, calendar_id, owner)

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
        with self._connection() as connection:
            row = _existing(connection, calendar_id, event_id, owner)
            row["held_at"] = row["held_at"] or now
            row["last_error"] = reason
            row["attempts"] = (row["attempts"] or 0) + 1
            row["next_attempt_at"] = retry_at
            _save(connection, row, owner)

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
        now: datetime | None = None,
        on_zoom: bool = False,
    ) -> bool:
        """Queue the event for a retry, or with `park_at` park it: no more retries until
        `unpark`. The event waits since `now` unless it already did. A create of unknown
        outcome is never parked (it must be found out). A
        create Zoom refused leaves no meeting behind: the event has none, or, for a re-host,
        still the one it had, under its old host. True if parked."""
        with self._connection() as connection:
            row = _row(connection, calendar_id, event_id, reference)
            row["summary"] = summary if summary is not None else row["summary"]
            if create_refused and row["state"] == LinkState.CREATING:
                _undo_create(row)
            row["attempts"] = (row["attempts"] or 0) + 1
            row["last_error"] = error
            row["waiting_since"] = row["waiting_since"] or now
            row["waiting_on_zoom"] = on_zoom or None
            parked = park_at is not None and row["state"] != LinkState.CREATING
            row["next_attempt_at"] = None if parked else retry_at
            row["parked_at"] = park_at if parked else None
            _save(connection, row, owner)
            return parked

    def unpark(
        self, now: datetime, calendar_id: str | None = None, event_id: str | None = None
    ) -> int:
        """Put parked events back in the queue, due at `now` (all, a calendar's or one);
        how many."""
        where: list[ColumnElement[bool]] = [LINKS.c.parked_at.is_not(None)]
        if calendar_id is not None:
            where.append(LINKS.c.calendar_id == calendar_id)
        if event_id is not None:
            where.append(LINKS.c.event_id == event_id)
        with self._connection() as connection:
            changed = connection.execute(
                update(LINKS).where(*where).values(parked_at=None, attempts=0, next_attempt_at=now)
            )
            return rowcount(changed)

    # -- reading -------------------------------------------------------------------------------
    def _rows(self, query: Executable, **parameters: Any) -> list[Row]:
        with self._connection() as connection:
            return [dict(row) for row in connection.execute(query, parameters).mappings()]

    def _count(self, *where: ColumnElement[bool]) -> int:
        with self._connection() as connection:
            query = select(func.count()).select_from(LINKS).where(*where)
            return connection.execute(query).scalar_one()


class _Draft(dict[str, Any]):
    """A link row as read (or a new one), changed in place by a write; `_save` writes the
    difference."""

    def __init__(self, row: Mapping[Any, Any], *, new: bool = False) -> None:
        super().__init__(row)
        self.read = None if new else dict(row)


def _fence(connection: Connection, calendar_id: str, owner: str | None) -> None:
    """Raise LeaseLost (rolling the write back) unless `owner` still holds the lease. Asked
    after the write, in its transaction: SQLite's write lock, or PostgreSQL's share lock on
    the calendar row, then keeps a takeover from slipping in before the commit."""
    if owner is None:
        return
    holder = connection.execute(_HOLDER, {"calendar_id": calendar_id}).scalar()
    if holder != owner:
        raise LeaseLost(f"calendar {calendar_id!r} is now in work by {holder or 'nobody'}")


def _save(connection: Connection, row: _Draft, owner: str | None) -> None:
    if row.read is None:
        # Fenced before too: a new holder may be inserting the same row, and the unique key
        # would then fail the insert before the check after it could say why.
        _fence(connection, row["calendar_id"], owner)
        connection.execute(insert(LINKS), {k: v for k, v in row.items() if v is not None})
    else:
        read = row.read
        changes = {key: value for key, value in row.items() if read[key] != value}
        if changes:
            connection.execute(_UPDATE, {"row_id": row["id"], **changes})
    _fence(connection, row["calendar_id"], owner)


def _find(connection: Connection, calendar_id: str, event_id: str) -> _Draft | None:
    found = connection.execute(_ROW, {"calendar_id": calendar_id, "event_id": event_id})
    row = found.mappings().one_or_none()
    return None if row is None else _Draft(row)


def _existing(connection: Connection, calendar_id: str, event_id: str, owner: str | None) -> _Draft:
    row = _find(connection, calendar_id, event_id)
    if row is None:
        _fence(connection, calendar_id, owner)  # the new holder may have dropped it
        raise StoreError(f"database: no journal row for event {calendar_id}/{event_id}")
    return row


def _row(connection: Connection, calendar_id: str, event_id: str, reference: str) -> _Draft:
    """The event's row, new (inserted by `_save`) if need be."""
    row = _find(connection, calendar_id, event_id)
    if row is not None:
        return row
    ensure_calendar_row(connection, calendar_id)
    blank = {column.name: None for column in LINKS.columns}
    return _Draft(
        blank
        | {
            "calendar_id": calendar_id,
            "event_id": event_id,
            "reference": reference,
            "state": LinkState.PENDING,
            "attempts": 0,
            "passcode": "",
        },
        new=True,
    )


def _undo_create(row: Row) -> None:
    if row["replaced_meeting_id"] is None:
        row["state"] = LinkState.PENDING
        return
    row["state"] = LinkState.LINKED
    row["host"] = row["replaced_host"]
    row["replaced_meeting_id"] = row["replaced_host"] = None


def _settle(row: Row) -> None:
    """Nothing left to retry; but a replaced meeting still to delete keeps the row due, and
    so does a followed meeting found again (made from what is unknown): the next pass
    compares it with the event (`Reconcile`), which no change of the event may ever ask."""
    if row["replaced_meeting_id"] is not None:
        return
    row["attempts"] = 0
    row["last_error"] = None
    row["waiting_since"] = None
    row["waiting_on_zoom"] = None
    row["held_at"] = None
    row["parked_at"] = None
    row["departed_at"] = None
    if row["state"] != LinkState.LINKED or row["meeting_type"] is not None:
        row["next_attempt_at"] = None
