"""One sync pass: read what changed, plan, carry out each step with the journal, advance.

The order inside a calendar is fixed: first finish what earlier passes left (crashes, queued
failures), then the changes Google reports, and only then the sync token moves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from syncd.description import BlockInfo, find_block, insert_block
from syncd.domain import MEETING_ID_PROPERTY, Event, Link, Meeting, MeetingSpec
from syncd.google_calendar import (
    Conflict,
    EventGone,
    GoogleAuthError,
    GoogleCalendar,
    GoogleError,
    GoogleUnavailable,
    SyncTokenExpired,
)
from syncd.planner import Plan, Settings, Step, plan, reference_for
from syncd.store import Store
from syncd.zoom import (
    ZoomAuthError,
    ZoomClient,
    ZoomDailyLimit,
    ZoomError,
    ZoomNotFound,
    ZoomUnavailable,
)

log = logging.getLogger(__name__)

WRITE_BACK_ATTEMPTS = 3
FIRST_RETRY_SECONDS = 60.0
T = TypeVar("T")


@dataclass
class CalendarReport:
    calendar_id: str
    full_sync: bool = False
    events_seen: int = 0
    meetings_created: int = 0
    meetings_adopted: int = 0
    events_written: int = 0
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    credentials_refused: bool = False


@dataclass
class PassReport:
    calendars: list[CalendarReport] = field(default_factory=list)
    credentials_error: str | None = None
    """Google or Zoom refused syncd's credentials: nothing will work until they are fixed."""

    @property
    def ok(self) -> bool:
        return all(c.error is None and not c.failures for c in self.calendars)


class PassInterrupted(Exception):
    """The daemon is stopping: the pass ends after the event in hand, its token unmoved."""


class StepFailed(Exception):
    """A step of a plan failed; the event is queued for a retry."""

    def __init__(
        self, cause: Exception, *, retry_at: datetime | None = None, create_refused: bool = False
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.retry_at = retry_at
        self.create_refused = create_refused
        """The failed step was a create that certainly made no meeting."""


@dataclass(frozen=True)
class EngineOptions:
    settings: Settings = field(default_factory=Settings)
    lookback: timedelta = timedelta(days=7)
    retry_max_seconds: float = 3600.0
    dry_run: bool = False


ProgressCallback = Callable[[str, int], None]


class Engine:
    def __init__(
        self,
        store: Store,
        google: GoogleCalendar,
        zoom: ZoomClient,
        options: EngineOptions,
        *,
        clock: Callable[[], datetime] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.google = google
        self.zoom = zoom
        self.options = options
        self._clock = clock or (lambda: datetime.now(UTC))
        self._on_progress = on_progress or (lambda _calendar, _count: None)
        self._zoom_down: ZoomError | None = None
        self._hosts_at_limit: dict[str, datetime] = {}
        self._stop = threading.Event()

    def request_stop(self) -> None:
        """Finish the event in hand, then end the pass without advancing its sync token."""
        self._stop.set()

    def run_pass(self, calendar_ids: list[str]) -> PassReport:
        self._zoom_down = None
        report = PassReport()
        for calendar_id in calendar_ids:
            if self._stop.is_set():
                break
            calendar = self.sync_calendar(calendar_id)
            report.calendars.append(calendar)
            if calendar.credentials_refused:
                report.credentials_error = calendar.error
        if isinstance(self._zoom_down, ZoomAuthError):
            report.credentials_error = str(self._zoom_down)
        return report

    def sync_calendar(self, calendar_id: str) -> CalendarReport:
        report = CalendarReport(calendar_id)
        state = self.store.calendar(calendar_id)
        dry = self.options.dry_run
        if not dry:
            self.store.start_pass(calendar_id)
        try:
            time_zone = state.time_zone
            if not dry:
                self._resume(calendar_id, time_zone, report)
            sync_token, time_zone = self._read_changes(calendar_id, state.sync_token, report)
        except GoogleError as exc:
            report.error = str(exc)
            report.credentials_refused = isinstance(exc, GoogleAuthError)
            log.error("calendar %s: pass failed, will try again next pass: %s", calendar_id, exc)
            sync_token = time_zone = None
        except PassInterrupted:
            report.error = "interrupted: syncd was stopping"
            log.info("calendar %s: pass interrupted by shutdown", calendar_id)
            sync_token = time_zone = None
        if not dry:
            self.store.finish_pass(
                calendar_id, sync_token=sync_token, time_zone=time_zone, error=report.error
            )
        return report

    # -- reading -------------------------------------------------------------------------------
    def _read_changes(
        self, calendar_id: str, sync_token: str | None, report: CalendarReport
    ) -> tuple[str | None, str | None]:
        try:
            return self._read_pages(calendar_id, sync_token, report)
        except SyncTokenExpired:
            log.info("calendar %s: sync token expired, listing everything again", calendar_id)
            if not self.options.dry_run:
                self.store.forget_sync_token(calendar_id)
            return self._read_pages(calendar_id, None, report)

    def _read_pages(
        self, calendar_id: str, sync_token: str | None, report: CalendarReport
    ) -> tuple[str | None, str | None]:
        report.full_sync = sync_token is None
        time_min = self._clock() - self.options.lookback
        next_token = time_zone = None
        for page in self.google.changes(calendar_id, sync_token, time_min):
            time_zone = page.time_zone or time_zone
            links = self.store.links(calendar_id, (e.id for e in page.events))
            for event in page.events:
                self._check_stop()
                self._handle(event, links.get(event.id), time_zone, report)
            report.events_seen += len(page.events)
            self._on_progress(calendar_id, report.events_seen)
            next_token = page.next_sync_token
        return next_token, time_zone

    def _resume(self, calendar_id: str, time_zone: str | None, report: CalendarReport) -> None:
        """Finish what an earlier pass left: a crash mid-step, or a failure whose time has come."""
        for link in self.store.unfinished_links(calendar_id, self._clock()):
            self._check_stop()
            try:
                event = self.google.get_event(calendar_id, link.event_id)
            except EventGone:
                event = Event(calendar_id=calendar_id, id=link.event_id, status="cancelled")
            except GoogleUnavailable as exc:
                self._record_failure(link.calendar_id, link.event_id, StepFailed(exc), report)
                continue
            self._handle(event, link, time_zone, report)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise PassInterrupted

    # -- carrying out --------------------------------------------------------------------------
    def _handle(
        self, event: Event, link: Link | None, time_zone: str | None, report: CalendarReport
    ) -> None:
        decision = plan(event, link, self.options.settings, time_zone, self._clock())
        if decision.idle:
            if link is not None and link.next_attempt_at is not None and not self.options.dry_run:
                self.store.settle(event.calendar_id, event.id)
            return
        if self.options.dry_run:
            steps = ", ".join(decision.steps)
            log.info("dry run: event %s %r: would %s", _where(event), event.summary, steps)
            return
        try:
            self._carry_out(event, link, decision, report)
        except StepFailed as failure:
            self._record_failure(event.calendar_id, event.id, failure, report)

    def _carry_out(
        self, event: Event, link: Link | None, decision: Plan, report: CalendarReport
    ) -> None:
        reference = reference_for(event.calendar_id, event.id)
        info = _block_of(link)
        for step in decision.steps:
            if step is Step.WRITE_BACK:
                assert info is not None
                self._write_back(event, info, report)
                continue
            assert decision.spec is not None
            meeting = self._obtain_meeting(step, event, link, decision.spec, reference, report)
            info = BlockInfo(meeting.join_url, meeting.id, meeting.password)

    def _obtain_meeting(
        self,
        step: Step,
        event: Event,
        link: Link | None,
        spec: MeetingSpec,
        reference: str,
        report: CalendarReport,
    ) -> Meeting:
        found: Meeting | None = None
        if step is Step.FIND_OR_CREATE:
            found = self._zoom_call(
                lambda: self.zoom.find_meeting(
                    (link.host if link and link.host else spec.host), reference
                )
            )
        elif step is Step.ADOPT:
            found = self._adoptable(event, reference)
        if found is None:
            return self._create(event, spec, reference, report)
        self.store.record_meeting(event.calendar_id, event.id, reference, found, spec.host)
        report.meetings_adopted += 1
        log.info(
            "event %s %r: found its meeting %s, reusing it", _where(event), event.summary, found.id
        )
        return found

    def _adoptable(self, event: Event, reference: str) -> Meeting | None:
        """The meeting the event names, if it exists and was made for this very event."""
        meeting_id = int(event.private_properties[MEETING_ID_PROPERTY])
        try:
            meeting = self._zoom_call(lambda: self.zoom.get_meeting(meeting_id))
        except StepFailed as failure:
            if isinstance(failure.cause, ZoomNotFound):
                return None
            raise
        return meeting if reference in meeting.agenda else None

    def _create(
        self, event: Event, spec: MeetingSpec, reference: str, report: CalendarReport
    ) -> Meeting:
        blocked_until = self._hosts_at_limit.get(spec.host)
        if blocked_until is not None and blocked_until > self._clock():
            limit = ZoomError(f"Zoom: host {spec.host} has used up today's meeting creations")
            raise StepFailed(limit, retry_at=blocked_until, create_refused=True)
        if self._zoom_down is not None:
            raise StepFailed(self._zoom_down, create_refused=True)
        self.store.begin_create(event.calendar_id, event.id, reference, spec.host)
        try:
            meeting = self._zoom_call(lambda: self.zoom.create_meeting(spec))
        except StepFailed as failure:
            if isinstance(failure.cause, ZoomDailyLimit):
                self._hosts_at_limit[spec.host] = failure.cause.retry_at
            cause = failure.cause
            failure.create_refused = not (
                isinstance(cause, ZoomUnavailable) and not cause.retry_safe
            )
            raise
        self.store.record_meeting(event.calendar_id, event.id, reference, meeting, spec.host)
        report.meetings_created += 1
        log.info(
            "event %s %r: created Zoom meeting %s (host %s)%s",
            _where(event),
            event.summary,
            meeting.id,
            spec.host,
            f"; {spec.note}" if spec.note else "",
        )
        if spec.start_time and meeting.start_time and meeting.start_time != spec.start_time:
            log.warning(
                "meeting %s: Zoom answered start_time %s for %s",
                meeting.id,
                meeting.start_time,
                spec.start_time,
            )
        return meeting

    def _zoom_call(self, call: Callable[[], T]) -> T:
        """Call Zoom unless it already failed this pass; turn its errors into StepFailed."""
        if self._zoom_down is not None:
            raise StepFailed(self._zoom_down)
        try:
            return call()
        except ZoomDailyLimit as exc:
            raise StepFailed(exc, retry_at=exc.retry_at) from exc
        except ZoomError as exc:
            if isinstance(exc, ZoomAuthError | ZoomUnavailable):
                self._zoom_down = exc
            raise StepFailed(exc) from exc

    def _write_back(self, event: Event, info: BlockInfo, report: CalendarReport) -> None:
        properties = {MEETING_ID_PROPERTY: str(info.meeting_id)}
        for _ in range(WRITE_BACK_ATTEMPTS):
            if find_block(event.description) == info and all(
                event.private_properties.get(k) == v for k, v in properties.items()
            ):
                break
            try:
                event = self.google.patch_event(
                    event,
                    description=insert_block(event.description, info),
                    private_properties=properties,
                )
                report.events_written += 1
                log.info(
                    "event %s %r: wrote meeting %s into the description",
                    _where(event),
                    event.summary,
                    info.meeting_id,
                )
                break
            except Conflict:
                log.info("event %s changed while syncd wrote it; merging again", _where(event))
                event = self._reread(event)
            except GoogleError as exc:
                raise StepFailed(exc) from exc
        else:
            raise StepFailed(Conflict(f"event {event.id} kept changing while syncd wrote it"))
        self.store.record_linked(event.calendar_id, event.id)

    def _reread(self, event: Event) -> Event:
        try:
            return self.google.get_event(event.calendar_id, event.id)
        except GoogleError as exc:
            raise StepFailed(exc) from exc

    def _record_failure(
        self, calendar_id: str, event_id: str, failure: StepFailed, report: CalendarReport
    ) -> None:
        link = self.store.links(calendar_id, [event_id]).get(event_id)
        attempts = link.attempts if link else 0
        delay = min(self.options.retry_max_seconds, FIRST_RETRY_SECONDS * 2**attempts)
        retry_at = failure.retry_at or self._clock() + timedelta(seconds=delay)
        self.store.record_failure(
            calendar_id,
            event_id,
            reference_for(calendar_id, event_id),
            error=str(failure),
            retry_at=retry_at,
            create_refused=failure.create_refused,
        )
        report.failures.append(f"{calendar_id}/{event_id}: {failure}")
        log.warning(
            "event %s/%s failed, retry at %s: %s",
            calendar_id,
            event_id,
            retry_at.isoformat(timespec="seconds"),
            failure,
        )


def _block_of(link: Link | None) -> BlockInfo | None:
    if link is None or link.meeting_id is None or link.join_url is None:
        return None
    return BlockInfo(link.join_url, link.meeting_id, link.passcode)


def _where(event: Event) -> str:
    return f"{event.calendar_id}/{event.id}"
