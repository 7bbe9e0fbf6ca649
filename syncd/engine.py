"""One sync pass: read what changed, plan, carry out, and only then advance the sync token.

Inside a calendar the order is fixed: take the calendar's lease, finish what earlier passes
left (crashes, queued failures), handle the changes Google reports, store the new token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from syncd.domain import Event, Link
from syncd.executor import Executor, where
from syncd.google_calendar import (
    EventGone,
    GoogleAuthError,
    GoogleCalendar,
    GoogleError,
    GoogleUnavailable,
    SyncTokenExpired,
)
from syncd.lease import CalendarBusy, CalendarLease, owner_name
from syncd.planner import Settings, plan
from syncd.report import CalendarReport, PassReport
from syncd.store import LeaseLost, Store
from syncd.zoom import ZoomAuthError, ZoomClient

log = logging.getLogger(__name__)


class PassInterrupted(Exception):
    """The daemon is stopping, or lost the calendar: the pass ends after the event in hand."""


@dataclass(frozen=True)
class EngineOptions:
    settings: Settings = field(default_factory=Settings)
    lookback: timedelta = timedelta(days=7)
    retry_max_seconds: float = 3600.0
    lease_seconds: float = 60.0
    create_settle_seconds: float = 120.0
    """How long a create of unknown outcome may still reach Zoom (its request timeout, twice,
    and a margin): only after that does not finding its meeting mean it was never made."""
    dry_run: bool = False


ProgressCallback = Callable[[str, int], None]
"""Called with (calendar id, events handled so far) after every event."""


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
        self._executor = Executor(
            store,
            google,
            zoom,
            options.settings,
            self._clock,
            retry_max_seconds=options.retry_max_seconds,
            create_settle_seconds=options.create_settle_seconds,
        )
        self._owner = owner_name()
        self._stop = threading.Event()
        self._lease: CalendarLease | None = None

    def request_stop(self) -> None:
        """Finish the event in hand, then end the pass without advancing its sync token."""
        self._stop.set()

    def run_pass(self, calendar_ids: list[str]) -> PassReport:
        self._executor.new_pass()
        report = PassReport()
        for calendar_id in calendar_ids:
            if self._stop.is_set():
                break
            calendar = self.sync_calendar(calendar_id)
            report.calendars.append(calendar)
            if calendar.credentials_refused:
                report.credentials_error = calendar.error
        if isinstance(self._executor.zoom_down, ZoomAuthError):
            report.credentials_error = str(self._executor.zoom_down)
        return report

    def sync_calendar(self, calendar_id: str) -> CalendarReport:
        report = CalendarReport(calendar_id)
        try:
            with self._leased(calendar_id):
                self._sync_leased(calendar_id, report)
        except CalendarBusy as busy:
            report.busy = True
            report.error = str(busy)
            log.info("%s; leaving it this pass", busy)
        return report

    @contextmanager
    def _leased(self, calendar_id: str) -> Iterator[None]:
        if self.options.dry_run:  # a dry run writes nothing, so it needs no lease
            yield
            return
        with CalendarLease(
            self.store, calendar_id, self._owner, self.options.lease_seconds
        ) as lease:
            self._lease = lease
            self._executor.work_for(self._owner, lease.check)
            try:
                yield
            finally:
                self._lease = None
                self._executor.work_for(None, lambda: None)

    def _sync_leased(self, calendar_id: str, report: CalendarReport) -> None:
        state = self.store.calendar(calendar_id)
        dry = self.options.dry_run
        sync_token = time_zone = None
        if not dry:
            self.store.start_pass(calendar_id)
        try:
            if not dry:
                self._resume(calendar_id, state.time_zone, report)
            sync_token, time_zone = self._read_changes(calendar_id, state.sync_token, report)
        except GoogleError as exc:
            report.error = str(exc)
            report.credentials_refused = isinstance(exc, GoogleAuthError)
            log.error("calendar %s: pass failed, will try again next pass: %s", calendar_id, exc)
        except PassInterrupted as exc:
            report.error = f"interrupted: {exc}"
            log.info("calendar %s: pass interrupted: %s", calendar_id, exc)
        except LeaseLost as exc:
            report.error = f"stopped: {exc}"
            log.error("calendar %s: stopped, another syncd has it now: %s", calendar_id, exc)
            return  # nothing more may be written for this calendar, its sync token least of all
        if not dry:
            self.store.finish_pass(
                calendar_id, sync_token=sync_token, time_zone=time_zone, error=report.error
            )

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
                self._handle(event, links.get(event.id), time_zone, report)
            next_token = page.next_sync_token
        return next_token, time_zone

    def _resume(self, calendar_id: str, time_zone: str | None, report: CalendarReport) -> None:
        """Finish what an earlier pass left: a crash mid-step, or a failure whose time has come."""
        for link in self.store.due_links(calendar_id, self._clock()):
            event = self._current(link, report)
            if event is not None:
                self._handle(event, link, time_zone, report)

    def _current(self, link: Link, report: CalendarReport) -> Event | None:
        try:
            return self.google.get_event(link.calendar_id, link.event_id)
        except EventGone:
            return Event(calendar_id=link.calendar_id, id=link.event_id, status="cancelled")
        except GoogleUnavailable as exc:
            self._executor.queue(link.calendar_id, link.event_id, exc, report)
            return None

    # -- one event -----------------------------------------------------------------------------
    def _handle(
        self, event: Event, link: Link | None, time_zone: str | None, report: CalendarReport
    ) -> None:
        self._check_stop()
        decision = plan(event, link, self.options.settings, time_zone, self._clock())
        if not decision.idle:
            if self.options.dry_run:
                log.info(
                    "dry run: event %s %r: would %s (%s)",
                    where(event),
                    event.summary,
                    ", then ".join(decision.steps),
                    decision.reason,
                )
            else:
                self._executor.carry_out(event, link, decision, report)
        report.events_seen += 1
        self._on_progress(event.calendar_id, report.events_seen)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise PassInterrupted("syncd is stopping")
        if self._lease is not None:
            self._lease.check()
