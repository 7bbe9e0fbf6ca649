"""Google Calendar through google-api-python-client: list changes, get, patch with If-Match.

Wire formats and HTTP errors stop here: callers see `Event`s and the typed exceptions below.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date as datetime_date
from datetime import datetime
from typing import Any, TypeVar

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from syncd.adapters.google_auth import CountedHttp, Identities, error_reason
from syncd.adapters.quota import SlidingWindowQuota
from syncd.adapters.retry import RetryPolicy, call_with_retries, parse_retry_after
from syncd.core.domain import ChangePage, Event, EventTime
from syncd.core.errors import (
    CalendarGone,
    Conflict,
    EventGone,
    GoogleAuthError,
    GoogleError,
    GoogleRefused,
    GoogleUnavailable,
    MalformedEvent,
    SyncTokenExpired,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 2500
T = TypeVar("T")


_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
_USER_RATE_LIMIT = "userRateLimitExceeded"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _WireTime(_Wire):
    date_time: AwareDatetime | None = Field(None, alias="dateTime")
    date: datetime_date | None = None
    time_zone: str | None = Field(None, alias="timeZone")


class _WireOrganizer(_Wire):
    email: str | None = None
    self_: bool = Field(False, alias="self")


class _WireProperties(_Wire):
    private: dict[str, str] = Field(default_factory=dict)


class _WireEvent(_Wire):
    """The fields of Google's Event resource syncd reads, checked: an event that does not
    fit is reported and skipped, never a crash of the pass."""

    id: str = Field(min_length=1)
    status: str = "confirmed"
    etag: str | None = None
    summary: str | None = None
    description: str | None = None
    start: _WireTime | None = None
    end: _WireTime | None = None
    recurrence: list[str] = Field(default_factory=list)
    recurring_event_id: str | None = Field(None, alias="recurringEventId")
    original_start_time: _WireTime | None = Field(None, alias="originalStartTime")
    organizer: _WireOrganizer | None = None
    extended_properties: _WireProperties | None = Field(None, alias="extendedProperties")


def _event_time(wire: _WireTime | None) -> EventTime | None:
    if wire is None or (wire.date_time is None and wire.date is None):
        return None
    return EventTime(
        date_time=wire.date_time,
        date=wire.date.isoformat() if wire.date else None,
        time_zone=wire.time_zone,
    )


def parse_event(calendar_id: str, item: Mapping[str, Any]) -> Event:
    """The event, or MalformedEvent naming it and what does not fit."""
    try:
        wire = _WireEvent.model_validate(item)
    except ValidationError as exc:
        name = item.get("id") if isinstance(item, Mapping) else None
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "event"
        raise MalformedEvent(
            f"event {name!r} on calendar {calendar_id!r}: {where}: {problem['msg']}"
        ) from None
    organizer = wire.organizer
    return Event(
        calendar_id=calendar_id,
        id=wire.id,
        status=wire.status,
        etag=wire.etag,
        summary=wire.summary or "",
        description=wire.description or "",
        start=_event_time(wire.start),
        end=_event_time(wire.end),
        recurrence=tuple(wire.recurrence),
        recurring_event_id=wire.recurring_event_id,
        original_start=_event_time(wire.original_start_time),
        organizer_email=organizer.email if organizer else None,
        organizer_self=organizer.self_ if organizer else True,
        private_properties=dict(wire.extended_properties.private)
        if wire.extended_properties
        else {},
    )


def _readable(calendar_id: str, items: list[Any]) -> Iterator[Event]:
    for item in items:
        try:
            yield parse_event(calendar_id, item)
        except MalformedEvent as exc:
            log.warning("%s; skipped", exc)


def _rate_limited(exc: HttpError) -> bool:
    status = exc.resp.status
    return status == 429 or (status == 403 and error_reason(exc) in _RATE_LIMIT_REASONS)


def _translate(exc: HttpError, calendar_id: str, what: str) -> GoogleError:
    status, reason = exc.resp.status, error_reason(exc)
    detail = f"{what} on calendar {calendar_id!r}: HTTP {status} {reason}".rstrip()
    if status == 410:
        return SyncTokenExpired(detail)
    if status == 412:
        return Conflict(detail)
    if status == 401:
        return GoogleAuthError(detail)
    if status >= 500 or _rate_limited(exc):
        return GoogleUnavailable(detail, parse_retry_after(exc.resp.get("retry-after")))
    if status in (403, 404) and what == "list events":
        return CalendarGone(detail)
    if status == 404:
        return EventGone(detail)
    if status in (400, 403):
        return GoogleRefused(detail)
    return GoogleError(detail)


@dataclass(frozen=True)
class CalendarAccess:
    time_zone: str | None
    role: str
    """Google's `accessRole`: owner and writer may change events; reader, freeBusyReader not."""

    @property
    def writable(self) -> bool:
        return self.role in ("owner", "writer")


class GoogleCalendar:
    """One client per daemon; each thread gets its own httplib2 connection (not thread-safe).

    Each calendar is read and written as `identities` says, and each request waits for room
    in that identity's and the project's quota."""

    def __init__(
        self,
        identities: Identities,
        *,
        api_endpoint: str = "",
        timeout: float = 30.0,
        send_updates: str = "none",
        retry: RetryPolicy | None = None,
        page_size: int = PAGE_SIZE,
        quota: SlidingWindowQuota | None = None,
    ) -> None:
        self._identities = identities
        self._quota = quota
        self._page_size = page_size
        self._api_endpoint = api_endpoint
        self._timeout = timeout
        self._send_updates = send_updates
        self._retry = retry or RetryPolicy()
        self._idle: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()

    @contextmanager
    def _events(self, identity: str) -> Iterator[Any]:
        """An `events()` resource, on its own httplib2 connection (not thread-safe), for one
        request as `identity`. googleapiclient builds a resource's methods from the discovery
        document each time it is asked for one, so each is built once and kept for the next
        request, of whichever thread and identity: as many are built as requests are ever in
        flight at once."""
        try:
            events, http = self._idle.get_nowait()
        except queue.Empty:
            http = google_auth_httplib2.AuthorizedHttp(
                self._identities.token(identity), http=CountedHttp(timeout=self._timeout)
            )
            service = build(
                "calendar",
                "v3",
                http=http,
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": self._api_endpoint} if self._api_endpoint else None,
            )
            events = service.events()
        http.credentials = self._identities.token(identity)
        try:
            yield events
        finally:
            self._idle.put((events, http))

    def _execute(self, make_request: Callable[[Any], Any], calendar_id: str, what: str) -> Any:
        identity = self._identities.of(calendar_id)

        def attempt() -> Any:
            counted = self._quota.request(identity) if self._quota else nullcontext()
            try:
                with counted, self._events(identity) as events:
                    return make_request(events).execute()
            except HttpError as exc:
                error = _translate(exc, calendar_id, what)
                if self._quota and isinstance(error, GoogleUnavailable) and _rate_limited(exc):
                    mine = error_reason(exc) == _USER_RATE_LIMIT
                    self._quota.pause(error.retry_after or 1.0, identity if mine else None)
                raise error from None
            except google.auth.exceptions.RefreshError as exc:
                detail = exc.args[0] if exc.args else type(exc).__name__
                if getattr(exc, "retryable", False):
                    raise GoogleUnavailable(f"Google's token endpoint failed: {detail}") from None
                raise GoogleAuthError(f"Google refused the credentials: {detail}") from None
            except google.auth.exceptions.TransportError as exc:
                raise GoogleUnavailable(
                    f"{what}: cannot reach Google's token endpoint: {exc}"
                ) from None
            except (TimeoutError, OSError, httplib2.HttpLib2Error) as exc:
                raise GoogleUnavailable(f"{what} on calendar {calendar_id!r}: {exc}") from None

        return call_with_retries(attempt, self._retry)

    def changes(
        self, calendar_id: str, sync_token: str | None, time_min: datetime
    ) -> Iterator[ChangePage]:
        """Pages of changed events: since `sync_token`, or everything from `time_min` on."""
        query: dict[str, Any] = {
            "calendarId": calendar_id,
            "maxResults": self._page_size,
            "showDeleted": True,
            "singleEvents": False,
        }
        if sync_token:
            query["syncToken"] = sync_token
        else:
            query["timeMin"] = time_min.isoformat()
        page_token: str | None = None
        while True:

            def list_page(events: Any, token: str | None = page_token) -> Any:
                return events.list(**query, pageToken=token)

            page = self._execute(list_page, calendar_id, "list events")
            page_token = page.get("nextPageToken")
            yield ChangePage(
                events=list(_readable(calendar_id, page.get("items", []))),
                time_zone=page.get("timeZone"),
                next_sync_token=page.get("nextSyncToken"),
            )
            if not page_token:
                return

    def instances(self, calendar_id: str, event_id: str) -> list[Event]:
        """The series' instances, cancelled ones included."""
        found: list[Event] = []
        page_token: str | None = None
        while True:

            def list_page(events: Any, token: str | None = page_token) -> Any:
                return events.instances(
                    calendarId=calendar_id,
                    eventId=event_id,
                    showDeleted=True,
                    maxResults=self._page_size,
                    pageToken=token,
                )

            page = self._execute(list_page, calendar_id, f"list instances of {event_id!r}")
            found += _readable(calendar_id, page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return found

    def probe(self, calendar_id: str) -> CalendarAccess:
        """Read one event to prove access: the calendar's time zone and what syncd may do."""
        page = self._execute(
            lambda events: events.list(calendarId=calendar_id, maxResults=1),
            calendar_id,
            "list events",
        )
        return CalendarAccess(page.get("timeZone"), str(page.get("accessRole", "")))

    def get_event(self, calendar_id: str, event_id: str) -> Event:
        item = self._execute(
            lambda events: events.get(calendarId=calendar_id, eventId=event_id),
            calendar_id,
            f"get event {event_id!r}",
        )
        return parse_event(calendar_id, item)

    def patch_event(
        self, event: Event, *, description: str, private_properties: Mapping[str, str | None]
    ) -> Event:
        """Write the description and private properties (None deletes one), only if the
        event is unchanged."""
        body = {
            "description": description,
            "extendedProperties": {"private": dict(private_properties)},
        }

        def make_request(events: Any) -> Any:
            request = events.patch(
                calendarId=event.calendar_id,
                eventId=event.id,
                body=body,
                sendUpdates=self._send_updates,
            )
            if event.etag:
                request.headers["If-Match"] = event.etag
            return request

        item = self._execute(make_request, event.calendar_id, f"patch event {event.id!r}")
        return parse_event(event.calendar_id, item)
