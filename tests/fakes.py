"""In-memory stand-ins for syncd's ports (`syncd.core.ports`), for fast tests of the engine.

`FakeCalendar` and `FakeZoom` keep to the contracts of the real adapters
(`syncd.adapters.google_calendar.GoogleCalendar`, `syncd.adapters.zoom.ZoomClient`): the same
typed errors, in the same situations. For the store there is no fake: `memory_store()` is the
real `Store` on a private in-memory SQLite database. `Tripwire` wraps the three ports to "kill"
syncd at a chosen call, and `FakeClock` is the engine's clock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import sqlite3
import uuid
import warnings
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SADeprecationWarning

from syncd.adapters.zoom_body import create_body, occurrence_body, update_body
from syncd.core.domain import ChangePage, Event, Meeting, MeetingSpec, OccurrenceChange
from syncd.core.errors import (
    CalendarGone,
    Conflict,
    EventGone,
    HostUnknown,
    MeetingNotFound,
    SyncTokenExpired,
    ZoomNotFound,
    ZoomRejected,
    ZoomUnavailable,
)
from syncd.core.meeting_changes import MeetingUpdate
from syncd.store import Store

LIST_AGENDA_LENGTH = 250
"""Zoom's "List meetings" shows an agenda cut to this many characters."""
INVALID_FIELD = 300


# -- faults ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    """What goes wrong with one call. `prepare(*args)` happens in the service first (a user's
    concurrent edit, a meeting deleted in Zoom's web portal); then `error` is raised, before
    the call takes effect or, with `after`, once it has (the request was carried out but its
    answer was lost)."""

    error: Exception | None = None
    after: bool = False
    prepare: Callable[..., None] | None = None


class Faults:
    """Faults queued per method name, each used by one call."""

    def __init__(self) -> None:
        self._queued: defaultdict[str, deque[Fault]] = defaultdict(deque)

    def add(self, method: str, fault: Fault, times: int = 1) -> None:
        self._queued[method].extend([fault] * times)

    def clear(self) -> None:
        self._queued.clear()

    def pending(self, method: str) -> int:
        """How many faults are still queued for `method`."""
        return len(self._queued.get(method, ()))

    def run(self, method: str, act: Callable[[], Any], *args: Any) -> Any:
        """`act()`, with the next fault queued for `method` (if any) around it."""
        queue = self._queued[method]
        fault = queue.popleft() if queue else Fault()
        if fault.prepare is not None:
            fault.prepare(*args)
        if fault.error is not None and not fault.after:
            raise fault.error
        result = act()
        if fault.error is not None:
            raise fault.error
        return result


# -- Google Calendar ---------------------------------------------------------------------------
def _token(sequence: int) -> str:
    return f"fake-sync-{sequence}"


def _ends_after(event: Event, instant: datetime) -> bool:
    """`timeMin`: Google lists an event unless it ended before the instant."""
    end = event.end
    if end is None or event.recurrence:
        return True
    if end.date_time is not None:
        return end.date_time > instant
    return end.date is not None and date.fromisoformat(end.date) > instant.date()


def _bare(event: Event) -> Event:
    """How a listing shows a cancelled event: little more than its id (like Google)."""
    return Event(event.calendar_id, event.id, status="cancelled", etag=event.etag)


class FakeCalendar:
    """`CalendarPort` as `GoogleCalendar` provides it.

    * Every write (the test's or syncd's) gives the event a new etag and a new place in the
      change order; a sync token is that order's counter, so `changes(token)` lists what
      changed since, syncd's own patches included, and `changes(None)` lists every event that
      has not ended before `time_min`. Cancelled events are listed (`showDeleted=true`) bare.
      The listing is taken when its first page is read (the real adapter is a generator
      too), `page_size` events a page, the next sync token on the last.
    * Deleting an event cancels it, as Google does: `get_event` still returns it. A purged
      event is gone: `get_event` and `patch_event` raise `EventGone` (HTTP 404).
    * `patch_event` sends If-Match: a stale etag raises `Conflict` (HTTP 412). The private
      properties merge; None deletes one.
    * An expired sync token raises `SyncTokenExpired` (HTTP 410); an unknown calendar
      `CalendarGone`.
    * `move` is `events.move` (and Google Calendar's "change owner"): the event is cancelled
      in its calendar and is in the other with the same id, organized by that calendar.
    """

    def __init__(self, *, page_size: int = 100, time_zone: str = "UTC") -> None:
        self.page_size = page_size
        self.time_zone = time_zone
        self.faults = Faults()
        self._events: dict[str, dict[str, Event]] = {}
        self._changed_at: dict[tuple[str, str], int] = {}
        self._purged: set[tuple[str, str]] = set()
        self._sequence = 0
        self._oldest_token = 0
        self._ids = itertools.count(1)

    # -- what the tests do -------------------------------------------------------------------
    def add_calendar(self, calendar_id: str) -> None:
        self._events.setdefault(calendar_id, {})

    def put(self, calendar_id: str, event_id: str | None = None, **fields: Any) -> Event:
        """A new event in the organizer's calendar (confirmed unless told otherwise)."""
        event_id = event_id or f"ev{next(self._ids)}"
        self._events.setdefault(calendar_id, {})
        return self._store(Event(calendar_id=calendar_id, id=event_id, **fields))

    def edit(self, calendar_id: str, event_id: str, **fields: Any) -> Event:
        """A user's change in the Google Calendar UI: any fields of `Event`."""
        return self._store(dataclasses.replace(self.event(calendar_id, event_id), **fields))

    def delete(self, calendar_id: str, event_id: str) -> Event:
        """What Google does on delete: the event stays, cancelled, for incremental sync."""
        return self.edit(calendar_id, event_id, status="cancelled")

    def purge(self, calendar_id: str, event_id: str) -> None:
        """The event is gone for good: a listing still shows it cancelled, nothing else."""
        self.delete(calendar_id, event_id)
        self._purged.add((calendar_id, event_id))

    def restore(self, calendar_id: str, event_id: str) -> Event:
        """Undo a delete (from the calendar's bin)."""
        return self.edit(calendar_id, event_id, status="confirmed")

    def move(self, source: str, event_id: str, destination: str) -> Event:
        """`events.move`, or "change owner": the event leaves `source` (cancelled there, as
        a sync shows a deleted event) and is in `destination` with the same id, organized by
        that calendar, its description and private properties with it. A copy `destination`
        had (the event was moved away from it before) is replaced."""
        event = self.event(source, event_id)
        self._store(dataclasses.replace(event, status="cancelled"))
        self._events.setdefault(destination, {})
        self._purged.discard((destination, event_id))
        moved = dataclasses.replace(
            event, calendar_id=destination, organizer_email=destination, organizer_self=True
        )
        return self._store(moved)

    def event(self, calendar_id: str, event_id: str) -> Event:
        """The stored event, as it is (no faults, purged or not)."""
        return self._events[calendar_id][event_id]

    def events(self, calendar_id: str) -> list[Event]:
        return list(self._events.get(calendar_id, {}).values())

    def is_purged(self, calendar_id: str, event_id: str) -> bool:
        return (calendar_id, event_id) in self._purged

    def expire_sync_tokens(self) -> None:
        """Every token issued so far is answered 410 from now on."""
        self._oldest_token = self._sequence + 1

    def before_next_patch(self, edit: Callable[[Event], None], times: int = 1) -> None:
        """Run `edit(event)` just before each of the next `times` patches is applied: a user's
        concurrent change, which the patch then meets as a 412."""
        self.faults.add("patch_event", Fault(prepare=lambda event, **_: edit(event)), times)

    def fail_next(self, method: str, error: Exception, times: int = 1) -> None:
        """The next call(s) of `method` raise `error` before doing anything."""
        self.faults.add(method, Fault(error=error), times)

    # -- CalendarPort --------------------------------------------------------------------------
    def changes(
        self, calendar_id: str, sync_token: str | None, time_min: datetime
    ) -> Iterator[ChangePage]:
        yield from self.faults.run(
            "changes", lambda: self._pages(calendar_id, sync_token, time_min), calendar_id
        )

    def get_event(self, calendar_id: str, event_id: str) -> Event:
        return self.faults.run("get_event", lambda: self._live(calendar_id, event_id))

    def instances(self, calendar_id: str, event_id: str) -> list[Event]:
        """A series' exceptions only (the instances that differ from its rule): all that
        syncd reads them for."""

        def exceptions() -> list[Event]:
            return [e for e in self.events(calendar_id) if e.recurring_event_id == event_id]

        return self.faults.run("instances", exceptions)

    def patch_event(
        self, event: Event, *, description: str, private_properties: Mapping[str, str | None]
    ) -> Event:
        def patch() -> Event:
            current = self._live(event.calendar_id, event.id)
            if event.etag and event.etag != current.etag:
                raise Conflict(f"patch event {event.id!r}: HTTP 412 conditionNotMet")
            merged = dict(current.private_properties)
            for key, value in private_properties.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            changed = dataclasses.replace(
                current, description=description, private_properties=merged
            )
            return self._store(changed)

        return self.faults.run("patch_event", patch, event)

    # -- inside --------------------------------------------------------------------------------
    def _store(self, event: Event) -> Event:
        self._sequence += 1
        event = dataclasses.replace(
            event,
            etag=f'"{self._sequence}"',
            private_properties=dict(event.private_properties),
        )
        self._events[event.calendar_id][event.id] = event
        self._changed_at[event.calendar_id, event.id] = self._sequence
        return event

    def _live(self, calendar_id: str, event_id: str) -> Event:
        event = self._events.get(calendar_id, {}).get(event_id)
        if event is None or (calendar_id, event_id) in self._purged:
            raise EventGone(f"get event {event_id!r} on calendar {calendar_id!r}: HTTP 404")
        return event

    def _pages(
        self, calendar_id: str, sync_token: str | None, time_min: datetime
    ) -> list[ChangePage]:
        if calendar_id not in self._events:
            raise CalendarGone(f"list events on calendar {calendar_id!r}: HTTP 404 notFound")
        since = self._since(sync_token)
        listed = sorted(
            (
                event
                for event in self._events[calendar_id].values()
                if self._changed_at[calendar_id, event.id] > since
                and (sync_token is not None or _ends_after(event, time_min))
            ),
            key=lambda event: self._changed_at[calendar_id, event.id],
        )
        items = [_bare(e) if e.cancelled else e for e in listed]
        chunks = [items[i : i + self.page_size] for i in range(0, len(items), self.page_size)]
        chunks = chunks or [[]]
        last = len(chunks) - 1
        return [
            ChangePage(chunk, self.time_zone, _token(self._sequence) if i == last else None)
            for i, chunk in enumerate(chunks)
        ]

    def _since(self, sync_token: str | None) -> int:
        if sync_token is None:
            return 0
        number = sync_token.removeprefix("fake-sync-")
        if not number.isdecimal() or int(number) < self._oldest_token:
            raise SyncTokenExpired("list events: HTTP 410 fullSyncRequired")
        return int(number)


# -- Zoom --------------------------------------------------------------------------------------
@dataclass
class ZoomRecord:
    """One meeting as Zoom keeps it."""

    id: int
    host: str
    """The host's e-mail."""
    join_url: str
    password: str
    topic: str = "Zoom meeting"
    agenda: str = ""
    type: int = 2
    start_time: str | None = None
    duration: int | None = None
    timezone: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    recurrence: dict[str, Any] | None = None
    occurrences: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Occurrences changed from the rule: None once deleted, else the fields given."""

    @property
    def reference(self) -> str:
        """The agenda's first line, where syncd writes its reference."""
        return self.agenda.split("\n", 1)[0]

    def meeting(self) -> Meeting:
        """What "Get a meeting" answers, in as many fields as `Meeting` has."""
        shown = {
            "id": self.id,
            "join_url": self.join_url,
            "password": self.password,
            "agenda": self.agenda,
            "start_time": self.start_time,
            "timezone": self.timezone,
            "topic": self.topic,
            "type": self.type,
            "duration": self.duration,
            "host_email": self.host,
            "settings": dict(self.settings),
        }
        known = {f.name for f in dataclasses.fields(Meeting)}
        return Meeting(**{name: value for name, value in shown.items() if name in known})


def _not_found(meeting_id: int) -> MeetingNotFound:
    return MeetingNotFound(
        f"Zoom: meeting {meeting_id}: HTTP 404 code 3001: Meeting does not exist", status=404
    )


def _rejected(message: str) -> ZoomRejected:
    return ZoomRejected(f"Zoom: HTTP 400 code 300: {message}", status=400, code=INVALID_FIELD)


class FakeZoom:
    """`MeetingsPort` as `ZoomClient` provides it.

    * `create_meeting` makes the meeting under `spec.host` from `create_body(spec)`, the body
      the real client sends. The host is "me" (the account's owner, `owner`) or an active
      user's e-mail; another e-mail is answered 404 code 1001 (`ZoomNotFound`). Meetings
      name their host by e-mail (`host_email`), the owner's for "me".
    * `get_meeting` and `update_meeting` raise `ZoomNotFound` (code 3001) for a meeting Zoom
      does not have; `delete_meeting` answers False for one.
    * `update_meeting` applies the body's fields; `schedule_for` moves the meeting to that
      user (who must be an active user, else `ZoomRejected`, HTTP 400 code 300).
    * `find_meeting(host, reference)` looks through that host's meetings' agendas, as "List
      meetings" shows them (cut to 250 characters); an unknown host is `ZoomNotFound`.
    * Too long a topic or agenda is refused (`ZoomRejected`), as Zoom's validation does.

    After every create and update, each callable in `observers` is given the meeting: a
    test's window on the moment (two meetings carrying one reference, say).
    """

    def __init__(self, users: tuple[str, ...] = (), owner: str = "owner@example.com") -> None:
        self.owner = owner.lower()
        self.users = frozenset(u.lower() for u in (*users, owner))
        self.meetings: dict[int, ZoomRecord] = {}
        self.deleted_out_of_band: dict[int, ZoomRecord] = {}
        """Meetings deleted behind syncd's back, as they were then."""
        self.observers: list[Callable[[ZoomRecord], None]] = []
        self.faults = Faults()
        self._ids = itertools.count(2**32 + 101)

    # -- what the tests do -------------------------------------------------------------------
    def refuse_next_create(self) -> None:
        """Zoom answers the next create 400: no meeting is made."""
        self.faults.add("create_meeting", Fault(error=_rejected("Invalid field.")))

    def lose_next_create_response(self) -> None:
        """The next create reaches Zoom, which makes the meeting, but the answer is lost (a
        read timeout): the real client raises ZoomUnavailable with retry_safe=False."""
        lost = ZoomUnavailable("Zoom: create meeting: ReadTimeout", retry_safe=False)
        self.faults.add("create_meeting", Fault(error=lost, after=True))

    def reject_next_update(self) -> None:
        """Zoom answers the next update 400 (as it does a `schedule_for` it will not honour)."""
        error = _rejected("The value that you entered for the schedule_for field is invalid.")
        self.faults.add("update_meeting", Fault(error=error))

    def delete_before_next_update(self) -> None:
        """The next update finds the meeting just deleted in Zoom's web portal (404 3001)."""

        def deleted_just_now(meeting_id: int, _body: Mapping[str, Any]) -> None:
            self.delete_out_of_band(meeting_id)

        self.faults.add("update_meeting", Fault(prepare=deleted_just_now))

    def fail_next(self, method: str, error: Exception, times: int = 1) -> None:
        """The next call(s) of `method` raise `error` before Zoom does anything."""
        self.faults.add(method, Fault(error=error), times)

    def delete_out_of_band(self, meeting_id: int) -> None:
        """Someone deletes the meeting in Zoom's web portal."""
        record = self.meetings.pop(meeting_id, None)
        if record is not None:
            self.deleted_out_of_band[meeting_id] = dataclasses.replace(record)

    def arrives_late(self, spec: MeetingSpec) -> None:
        """A create sent by a process that has died since reaches Zoom now (no fault is
        queued for it: those are for the requests of the live process)."""
        with contextlib.suppress(ZoomNotFound):
            self._create(spec)

    def carrying(self, reference: str) -> list[ZoomRecord]:
        """The meetings whose agenda starts with `reference`."""
        return [m for m in self.meetings.values() if m.reference == reference]

    # -- MeetingsPort --------------------------------------------------------------------------
    def create_meeting(self, spec: MeetingSpec) -> Meeting:
        return self.faults.run("create_meeting", lambda: self._create(spec), spec)

    def get_meeting(self, meeting_id: int) -> Meeting:
        return self.faults.run(
            "get_meeting", lambda: self._existing(meeting_id).meeting(), meeting_id
        )

    def update_meeting(self, meeting_id: int, update: MeetingUpdate) -> None:
        self.patch_meeting(meeting_id, update_body(update))

    def patch_meeting(self, meeting_id: int, body: Mapping[str, Any]) -> None:
        def update() -> None:
            record = self._existing(meeting_id)
            self._apply(record, body)
            self._observe(record)

        self.faults.run("update_meeting", update, meeting_id, body)

    def delete_meeting(self, meeting_id: int) -> bool:
        return self.faults.run(
            "delete_meeting", lambda: self.meetings.pop(meeting_id, None) is not None, meeting_id
        )

    def update_occurrence(
        self, meeting_id: int, occurrence_id: str, change: OccurrenceChange
    ) -> bool:
        body = occurrence_body(change)

        def update() -> bool:
            record = self._existing(meeting_id)
            if record.occurrences.get(occurrence_id, {}) is None:
                return False
            record.occurrences[occurrence_id] = dict(body)
            return True

        return self.faults.run("update_occurrence", update, meeting_id, occurrence_id, body)

    def delete_occurrence(self, meeting_id: int, occurrence_id: str) -> bool:
        def delete() -> bool:
            record = self.meetings.get(meeting_id)
            if record is None or record.occurrences.get(occurrence_id, {}) is None:
                return False
            record.occurrences[occurrence_id] = None
            return True

        return self.faults.run("delete_occurrence", delete, meeting_id, occurrence_id)

    def find_meeting(self, host: str, reference: str, besides: int | None = None) -> Meeting | None:
        def find() -> Meeting | None:
            email = self._user(host)
            for record in list(self.meetings.values()):
                listed = record.agenda[:LIST_AGENDA_LENGTH]
                if record.host == email and reference in listed and record.id != besides:
                    return self._existing(record.id).meeting()
            return None

        return self.faults.run("find_meeting", find, host, reference)

    def meeting_references(self, host: str) -> dict[str, list[int]]:
        def listed() -> dict[str, list[int]]:
            email = self._user(host)
            found: dict[str, list[int]] = {}
            for record in list(self.meetings.values()):
                if record.host == email and record.agenda.startswith("syncd-ref:"):
                    found.setdefault(record.agenda.split("\n", 1)[0], []).append(record.id)
            return found

        return self.faults.run("meeting_references", listed, host)

    def active_user_emails(self) -> frozenset[str]:
        return self.faults.run("active_user_emails", lambda: self.users)

    def owner_email(self) -> str:
        return self.faults.run("owner_email", lambda: self.owner)

    def sign_in(self) -> None:
        self.faults.run("sign_in", lambda: None)

    # -- inside --------------------------------------------------------------------------------
    def _create(self, spec: MeetingSpec) -> Meeting:
        host = self._user(spec.host)
        meeting_id = next(self._ids)
        record = ZoomRecord(
            id=meeting_id,
            host=host,
            join_url=f"https://zoom.example/j/{meeting_id}?pwd=x{meeting_id % 9973}",
            password=f"p{meeting_id % 100_000}",
        )
        self._apply(record, create_body(spec))
        self.meetings[meeting_id] = record
        self._observe(record)
        return record.meeting()

    def _user(self, user: str) -> str:
        """The e-mail of user "me" or of a user named by e-mail."""
        email = self.owner if user == "me" else user.lower()
        if email not in self.users:
            raise HostUnknown(
                f"Zoom: user {user}: HTTP 404 code 1001: User does not exist", status=404
            )
        return email

    def _existing(self, meeting_id: int) -> ZoomRecord:
        record = self.meetings.get(meeting_id)
        if record is None:
            raise _not_found(meeting_id)
        return record

    def _apply(self, record: ZoomRecord, body: Mapping[str, Any]) -> None:
        if len(body.get("topic", "")) > 200 or len(body.get("agenda", "")) > 2000:
            raise _rejected("Validation Failed: topic or agenda too long.")
        if "schedule_for" in body:
            target = str(body["schedule_for"]).lower()
            if target not in self.users:
                raise _rejected("The value that you entered for the schedule_for field is invalid.")
            record.host = target
        for name in ("topic", "agenda", "type", "start_time", "duration", "timezone"):
            if name in body:
                setattr(record, name, body[name])
        if "recurrence" in body or "type" in body:
            record.recurrence = body.get("recurrence")
        record.settings.update(body.get("settings", {}))

    def _observe(self, record: ZoomRecord) -> None:
        for observer in self.observers:
            observer(record)


# -- the store and the clock -------------------------------------------------------------------
def memory_store() -> Store:
    """The real `Store`, migrated, on a private in-memory SQLite database: a copy of one
    migrated once (migrating takes longer than many a test; the state machine makes a new
    database for every run and every database it loses)."""
    name = f"syncd-test-{uuid.uuid4().hex}"
    # The database lives while a connection to it is open: this one until the store has its own.
    keeper = sqlite3.connect(f"file:{name}?mode=memory&cache=shared", uri=True)
    try:
        _migrated().backup(keeper)
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", "Selection of the SingletonThreadPool", SADeprecationWarning
            )
            store = Store.open(f"sqlite:///file:{name}?mode=memory&cache=shared&uri=true")
        with store.engine.connect():
            pass  # the pool keeps this connection, and with it the database
    finally:
        keeper.close()
    return store


@functools.cache
def _migrated() -> sqlite3.Connection:
    """A connection to a database migrated to the newest revision (kept for the process)."""
    template = Store.scratch()
    url = template.engine.url
    connection = sqlite3.connect(
        f"{url.database}?mode=memory&cache=shared", uri=True, check_same_thread=False
    )
    connection.execute("SELECT 1 FROM alembic_version")  # the same database, migrated
    return connection


class FakeClock:
    """The engine's notion of now, moved only by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# -- kill -9 -----------------------------------------------------------------------------------
class Crash(BaseException):
    """The process dies: no `except Exception` catches it, no cleanup writes anything."""


class Tripwire:
    """Counts the calls syncd makes through the ports it wraps (only those of the `methods`
    named, when given) and dies (raises `Crash`) at call number `at`, in one of three ways
    (`how`):

    * "before": the call never happens;
    * "after": it took effect (a store write committed, a meeting made, an event patched)
      but its answer was never seen;
    * "in flight": the request is still on its way; `in_flight` keeps it, as (method name,
      arguments), for the test to deliver later (a create reaching Zoom after its sender
      died: `FakeZoom.arrives_late`).

    After that, every call through it raises `Crash`, as a dead process does nothing more: in
    particular it never releases its calendar lease."""

    def __init__(
        self, at: int | None = None, how: str = "before", methods: Collection[str] = ()
    ) -> None:
        self.at = at
        self.how = how
        self.methods = frozenset(methods)
        self.calls = 0
        self.dead = False
        self.in_flight: tuple[str, tuple[Any, ...]] | None = None
        self.killed: str | None = None
        """Where the process died, e.g. "after create_meeting"."""

    def wrap(self, port: Any) -> Any:
        return _Wired(port, self)

    def arm(self, at: int, how: str, methods: Collection[str] = ()) -> None:
        """Die at the `at`-th call from now (of the `methods` named, if any)."""
        self.calls, self.at, self.how, self.methods = 0, at, how, frozenset(methods)

    def disarm(self) -> None:
        self.at = None

    def call(self, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.dead:
            raise Crash(f"{name} called by a dead process")
        counted = not self.methods or name in self.methods
        self.calls += counted
        if not counted or self.calls != self.at:
            return method(*args, **kwargs)
        self.dead = True
        self.killed = f"{self.how} {name}"
        if self.how == "in flight":
            self.in_flight = (name, args)
        elif self.how == "after":
            method(*args, **kwargs)
        raise Crash(f"killed {self.killed} (call {self.calls})")


class _Wired:
    """A port whose every method call goes through a `Tripwire`."""

    def __init__(self, port: Any, wire: Tripwire) -> None:
        self._port = port
        self._wire = wire

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._port, name)
        if not callable(attribute):
            return attribute
        return functools.partial(self._wire.call, name, attribute)
