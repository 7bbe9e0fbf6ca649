"""The calendars behind the Google Calendar simulator: events, changes, sync and page tokens.

Plain Python guarded by one lock; `google.py` puts HTTP around it. Every change bumps the
calendar's change counter and stamps the event with it: a sync token is that counter (plus the
calendar's epoch, renewed by `expire_sync_tokens`), and an incremental listing returns the events
stamped after it. A listing's first page snapshots the whole result, so paging is stable.
"""

from __future__ import annotations

import base64
import copy
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from syncd.sim.google_instances import instances
from syncd.sim.google_listing import ListQuery, listed, matches
from syncd.sim.google_wire import (
    GoogleError,
    event_instant,
    invalid,
    not_found,
    render_instant,
    rfc3339,
    zone_named,
)

# Fields a client may send but the server owns; a write silently ignores them.
_SERVER_OWNED = ("kind", "etag", "htmlLink", "created", "updated", "creator")
EXTENDED_KEY_MAX = 44
EXTENDED_VALUE_MAX = 1024
_SNAPSHOTS_KEPT = 256
_BASE32HEX = frozenset("0123456789abcdefghijklmnopqrstuv")


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Google's patch semantics: objects merge, arrays and scalars replace, null clears."""
    merged = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            base = merged.get(key)
            merged[key] = merge_patch(base if isinstance(base, dict) else {}, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _limit_extended(event: dict[str, Any]) -> None:
    """Keys over 44 characters are dropped and values cut at 1024, silently, as Google does."""
    props = event.get("extendedProperties")
    if not isinstance(props, dict):
        return
    for scope, values in props.items():
        if isinstance(values, dict):
            props[scope] = {
                k: str(v)[:EXTENDED_VALUE_MAX]
                for k, v in values.items()
                if len(k) <= EXTENDED_KEY_MAX
            }


def _new_event_id() -> str:
    return base64.b32hexencode(uuid.uuid4().bytes).decode().lower().rstrip("=")


@dataclass
class _Calendar:
    id: str
    time_zone: str
    summary: str
    access_role: str = "owner"
    """What the simulated account may do: owner, writer, reader or freeBusyReader."""
    epoch: str = field(default_factory=lambda: secrets.token_hex(4))
    counter: int = 0
    updated: int = 0
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    stamps: dict[str, int] = field(default_factory=dict)


@dataclass
class _Snapshot:
    calendar_id: str
    items: list[dict[str, Any]]
    sync_token: str


class CalendarStore:
    """Calendars and their events, with a change counter per calendar for sync tokens."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._calendars: dict[str, _Calendar] = {}
        self._snapshots: OrderedDict[str, _Snapshot] = OrderedDict()
        self._last_micros = 0

    # -- calendars ---------------------------------------------------------------------------
    def add_calendar(
        self, calendar_id: str, time_zone: str, summary: str | None, access_role: str = "owner"
    ) -> None:
        zone_named(time_zone, "timeZone")
        with self._lock:
            if calendar_id in self._calendars:
                raise ValueError(f"calendar {calendar_id!r} exists already")
            cal = _Calendar(calendar_id, time_zone, summary or calendar_id, access_role)
            cal.updated = self._tick()
            self._calendars[calendar_id] = cal

    def remove_calendar(self, calendar_id: str) -> None:
        with self._lock:
            self._calendar(calendar_id)
            del self._calendars[calendar_id]

    def expire_sync_tokens(self) -> None:
        with self._lock:
            for cal in self._calendars.values():
                cal.epoch = secrets.token_hex(4)

    def _calendar(self, calendar_id: str) -> _Calendar:
        cal = self._calendars.get(calendar_id)
        if cal is None:
            raise not_found()
        return cal

    def _writable_calendar(self, calendar_id: str) -> _Calendar:
        cal = self._calendar(calendar_id)
        if cal.access_role not in ("owner", "writer"):
            raise GoogleError(
                403, "You need to have writer access to this calendar.", "requiredAccessLevel"
            )
        return cal

    # -- writes ------------------------------------------------------------------------------
    def put(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Create, or replace as a whole, an event (server-owned fields are filled in)."""
        with self._lock:
            cal = self._calendar(calendar_id)
            body = copy.deepcopy(event)
            old = cal.events.get(body.get("id", ""))
            return self._store(cal, self._complete(cal, body, old))

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            cal = self._writable_calendar(calendar_id)
            event_id = body.get("id")
            if event_id is not None:
                _check_client_id(event_id)
                if event_id in cal.events:
                    raise GoogleError(409, "The requested identifier already exists.", "duplicate")
            return self._store(cal, self._complete(cal, _writable(body), None))

    def edit(self, calendar_id: str, event_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """A user's edit: the given top-level fields replace the stored ones (None clears)."""
        with self._lock:
            cal = self._calendar(calendar_id)
            event = copy.deepcopy(self._event(cal, event_id))
            for key, value in fields.items():
                if value is None:
                    event.pop(key, None)
                else:
                    event[key] = copy.deepcopy(value)
            return self._store(cal, self._complete(cal, event, event))

    def patch(
        self, calendar_id: str, event_id: str, body: dict[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        with self._lock:
            cal = self._writable_calendar(calendar_id)
            current = self._event(cal, event_id)
            if if_match is not None and if_match not in ("*", current["etag"]):
                raise GoogleError(
                    412,
                    "Precondition Failed",
                    "conditionNotMet",
                    location="If-Match",
                    location_type="header",
                )
            merged = merge_patch(current, _writable(body))
            merged["id"] = event_id
            return self._store(cal, self._complete(cal, merged, current))

    def delete(self, calendar_id: str, event_id: str) -> None:
        """What Google does on delete: the event stays, cancelled, for incremental sync."""
        with self._lock:
            cal = self._calendar(calendar_id)
            event = copy.deepcopy(self._event(cal, event_id))
            event["status"] = "cancelled"
            self._store(cal, event)

    def move(self, source: str, event_id: str, destination: str) -> dict[str, Any]:
        """`events.move`, and Google Calendar's "change owner": the event leaves `source`
        (cancelled there, as a sync shows a deleted event) and is in `destination` with the
        same id, organized by that calendar, its extended properties with it."""
        with self._lock:
            src, dst = self._writable_calendar(source), self._writable_calendar(destination)
            event = copy.deepcopy(self._event(src, event_id))
            if event_id in dst.events:
                raise GoogleError(409, "The requested identifier already exists.", "duplicate")
            self._store(src, {**copy.deepcopy(event), "status": "cancelled"})
            event["organizer"] = {"email": destination, "self": True}
            return self._store(dst, self._complete(dst, event, None))

    def _complete(
        self, cal: _Calendar, event: dict[str, Any], old: dict[str, Any] | None
    ) -> dict[str, Any]:
        event_id = event.setdefault("id", _new_event_id())
        event["kind"] = "calendar#event"
        event.setdefault("status", "confirmed")
        eid = base64.urlsafe_b64encode(f"{event_id} {cal.id}".encode()).decode().rstrip("=")
        event["htmlLink"] = f"https://www.google.com/calendar/event?eid={eid}"
        event["creator"] = (old or event).get("creator", {"email": cal.id, "self": True})
        event.setdefault("organizer", {"email": cal.id, "self": True})
        event.setdefault("iCalUID", f"{event_id}@google.com")
        event.setdefault("sequence", 0)
        event.setdefault("reminders", {"useDefault": True})
        event.setdefault("eventType", "default")
        if old is not None:
            event["created"] = old["created"]
        _check_required(event)
        self._normalize_times(cal, event)
        _limit_extended(event)
        return event

    @staticmethod
    def _normalize_times(cal: _Calendar, event: dict[str, Any]) -> None:
        """Check start/end and write date-times with the calendar zone's offset, as Google."""
        bounds = []
        for key in ("start", "end", "originalStartTime"):
            when = event.get(key)
            if when is None:
                continue
            moment = event_instant(when, cal.time_zone, key)
            bounds.append(moment)
            if "dateTime" in when:
                event[key] = {**when, "dateTime": render_instant(moment, cal.time_zone)}
        if "start" in event and "end" in event and bounds[1] < bounds[0]:
            raise GoogleError(
                400,
                "The specified time range is empty.",
                "timeRangeEmpty",
                domain="calendar",
                location="end",
            )

    def _store(self, cal: _Calendar, event: dict[str, Any]) -> dict[str, Any]:
        micros = self._tick()
        cal.counter += 1
        cal.updated = micros
        event.setdefault("created", rfc3339(micros))
        event["updated"] = rfc3339(micros)
        event["etag"] = f'"{micros}"'
        cal.events[event["id"]] = event
        cal.stamps[event["id"]] = cal.counter
        return copy.deepcopy(cal.events[event["id"]])

    def _tick(self) -> int:
        """Microseconds since the epoch, strictly increasing even at millisecond precision."""
        self._last_micros = max(time.time_ns() // 1000, self._last_micros + 1000)
        return self._last_micros

    # -- reads -------------------------------------------------------------------------------
    def get(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._event(self._calendar(calendar_id), event_id))

    def all_events(self, calendar_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._calendar(calendar_id).events.values()))

    @staticmethod
    def _event(cal: _Calendar, event_id: str) -> dict[str, Any]:
        event = cal.events.get(event_id)
        if event is None:
            raise not_found()
        return event

    def instances_page(
        self, calendar_id: str, event_id: str, *, show_deleted: bool, max_results: int, offset: int
    ) -> dict[str, Any]:
        """One page of events.instances (the page token is the offset)."""
        with self._lock:
            cal = self._calendar(calendar_id)
            master = self._event(cal, event_id)
            exceptions = [e for e in cal.events.values() if e.get("recurringEventId") == event_id]
            found = instances(
                master,
                exceptions,
                cal.time_zone,
                show_deleted=show_deleted,
                limit=offset + max_results + 1,
            )
            page: dict[str, Any] = {
                "kind": "calendar#events",
                "timeZone": cal.time_zone,
                "items": found[offset : offset + max_results],
            }
            if len(found) > offset + max_results:
                page["nextPageToken"] = str(offset + max_results)
            return page

    def list_page(self, calendar_id: str, query: ListQuery) -> dict[str, Any]:
        """One page of events.list; the first page snapshots the whole result."""
        with self._lock:
            cal = self._calendar(calendar_id)
            key, offset = self._start_or_resume(cal, query)
            snapshot = self._snapshots[key]
            end = offset + query.max_results
            page = {
                "kind": "calendar#events",
                "etag": f'"{cal.updated}"',
                "summary": cal.summary,
                "updated": rfc3339(cal.updated),
                "timeZone": cal.time_zone,
                "accessRole": cal.access_role,
                "defaultReminders": [{"method": "popup", "minutes": 10}],
                "items": copy.deepcopy(snapshot.items[offset:end]),
            }
            if end < len(snapshot.items):
                page["nextPageToken"] = _encode(f"{key}:{end}")
            else:
                page["nextSyncToken"] = snapshot.sync_token
            return page

    def _start_or_resume(self, cal: _Calendar, query: ListQuery) -> tuple[str, int]:
        if query.page_token is not None:
            return self._resume(cal, query.page_token)
        if query.sync_token is not None:
            since = self._sync_point(cal, query.sync_token)
            items = self._changes(cal, since)
        else:
            items = self._matching(cal, query)
        key = secrets.token_urlsafe(9)
        sync_token = _encode(f"{cal.epoch}:{cal.counter}:{cal.id}")
        self._snapshots[key] = _Snapshot(cal.id, items, sync_token)
        while len(self._snapshots) > _SNAPSHOTS_KEPT:
            self._snapshots.popitem(last=False)
        return key, 0

    def _resume(self, cal: _Calendar, page_token: str) -> tuple[str, int]:
        key, _, offset = _decode(page_token).partition(":")
        snapshot = self._snapshots.get(key)
        if snapshot is None or snapshot.calendar_id != cal.id or not offset.isdigit():
            raise invalid("Invalid page token value.", "pageToken")
        return key, int(offset)

    @staticmethod
    def _sync_point(cal: _Calendar, sync_token: str) -> int:
        epoch, _, rest = _decode(sync_token).partition(":")
        counter, _, calendar_id = rest.partition(":")
        if epoch != cal.epoch or calendar_id != cal.id or not counter.isdigit():
            raise GoogleError(
                410,
                "Sync token is no longer valid, a full sync is required.",
                "fullSyncRequired",
                domain="calendar",
                location="syncToken",
            )
        return int(counter)

    @staticmethod
    def _changes(cal: _Calendar, since: int) -> list[dict[str, Any]]:
        changed = sorted((s, i) for i, s in cal.stamps.items() if s > since)
        return [listed(cal.events[event_id]) for _, event_id in changed]

    @staticmethod
    def _matching(cal: _Calendar, query: ListQuery) -> list[dict[str, Any]]:
        events = [e for e in cal.events.values() if matches(e, query, cal.time_zone)]
        if query.order_by_updated:
            events.sort(key=lambda e: e["updated"])
        return [listed(e) for e in events]


def _writable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _SERVER_OWNED}


def _check_required(event: dict[str, Any]) -> None:
    """Start and end are required, except on a cancelled exception (Google sends it bare)."""
    if event["status"] == "cancelled":
        return
    for required in ("start", "end"):
        if required not in event:
            raise invalid(f"Missing {required} time.", required)


def _check_client_id(event_id: str) -> None:
    if not (5 <= len(event_id) <= 1024 and set(event_id) <= _BASE32HEX):
        raise invalid("Invalid resource id value.", "id")


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeError):
        return ""
