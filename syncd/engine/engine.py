"""One sync pass over every calendar: take each calendar's lease, run its pass, report.

A dry run is the same pass with a preview executor and a pass book that records nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from syncd.core.domain import CalendarState
from syncd.core.errors import ZoomAuthError, ZoomError
from syncd.core.meeting_spec import ALWAYS, Context, Settings
from syncd.core.ports import CalendarPort, MeetingsPort, StorePort
from syncd.engine.calendar_pass import Audit, CalendarPass, DeleteGuard, PassSettings, PlanRunner
from syncd.engine.executor import Executor, PreviewExecutor
from syncd.engine.journal import JournalWriter, PassBook, PreviewBook
from syncd.engine.lease import CalendarBusy, CalendarLease, owner_name
from syncd.engine.report import CalendarReport, PassReport
from syncd.engine.zoom_health import ZoomHealth
from syncd.engine.zoom_listings import HostListings

log = logging.getLogger(__name__)

USERS_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class EngineOptions:
    settings: Settings = field(default_factory=Settings)
    lookback: timedelta = timedelta(days=7)
    retry_max_seconds: float = 3600.0
    park_after: int = 8
    note_after: timedelta = timedelta(minutes=10)
    """How long an event waits for its meeting before its block says why (unless the wait is
    known to be long sooner: parked, or not retried before then)."""
    lease_seconds: float = 60.0
    create_settle_seconds: float = 120.0
    """How long a create of unknown outcome may still reach Zoom (its request timeout, twice,
    and a margin): only after that does not finding its meeting mean it was never made."""
    guard: DeleteGuard = field(default_factory=DeleteGuard)
    audit: Audit | None = None
    dry_run: bool = False
    workers: int = 1
    """Calendars worked on at once, each by a thread of its own."""
    sweep_listings_per_pass: int = 1_000_000
    """How many hosts a recovery's sweep may list in one pass (the rest in the next ones)."""


ProgressCallback = Callable[[str, int], None]
"""Called with (calendar id, events handled so far) after every event."""


class ZoomUsers:
    """The account's active users' e-mails, looked up once an hour, not per event (only
    `host = "organizer"` needs them)."""

    def __init__(self, zoom: MeetingsPort, clock: Callable[[], datetime]) -> None:
        self._zoom = zoom
        self._clock = clock
        self._emails: frozenset[str] | None = None
        self._fetched_at: datetime | None = None
        self._lock = threading.Lock()  # calendars' passes ask at once: one listing for all

    def emails(self) -> frozenset[str] | None:
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at > USERS_TTL:
                try:
                    self._emails = self._zoom.active_user_emails()
                    self._fetched_at = now
                except ZoomError as exc:
                    log.warning("cannot list the Zoom account's users: %s", exc)
            return self._emails


_NEVER_READ = datetime.min.replace(tzinfo=UTC)


def others_read_until(
    states: Iterable[CalendarState], watched: Iterable[str]
) -> Callable[[str], datetime]:
    """For each watched calendar, the instant up to which every other watched calendar's
    changes have been read (the earliest of theirs): an event gone from it before then did
    not move to one of them unless that one took its link over."""
    read_at = {state.id: state.changes_read_at for state in states}
    earliest = sorted((read_at.get(c) or _NEVER_READ, c) for c in set(watched))

    def until(calendar_id: str) -> datetime:
        others = (moment for moment, other in earliest if other != calendar_id)
        return next(others, ALWAYS)

    return until


class Engine:
    def __init__(
        self,
        store: StorePort,
        google: CalendarPort,
        zoom: MeetingsPort,
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
        self._owner = owner_name()
        self._stop = threading.Event()
        self._health = ZoomHealth()
        self._listings = HostListings(options.sweep_listings_per_pass)
        self._users = ZoomUsers(zoom, self._clock)
        self._event_workers = 1
        self._others_read_until: Callable[[str], datetime] = lambda _calendar: _NEVER_READ

    @property
    def owner(self) -> str:
        """This process's name in leases and the journal."""
        return self._owner

    def request_stop(self) -> None:
        """Finish the event in hand, then end the pass without advancing its sync token."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_pass(self, calendar_ids: list[str]) -> PassReport:
        """One pass over the calendars; StoreError if the database cannot be used at all."""
        self.store.check_file()
        self._health.new_pass()
        self._listings.new_pass()
        self._sign_in_to_zoom()
        self._others_read_until = others_read_until(self.store.calendars(), calendar_ids)
        report = PassReport()
        workers = max(1, min(self.options.workers, len(calendar_ids)))
        self._event_workers = max(1, self.options.workers // workers)  # the rest, per calendar
        with ThreadPoolExecutor(workers, thread_name_prefix="calendar") as pool:
            calendars = list(pool.map(self._sync_unless_stopping, calendar_ids))
        for calendar in calendars:
            if calendar is None:
                continue
            report.calendars.append(calendar)
            if calendar.credentials_refused:
                report.credentials_error = calendar.error
        if isinstance(self._health.down, ZoomAuthError):
            report.credentials_error = str(self._health.down)
        return report

    def _sign_in_to_zoom(self) -> None:
        """Zoom refusing syncd's credentials is the administrator's problem, not any event's:
        found before the first event, it sends no event's request to Zoom (each waits, and
        says so only once its wait is long), and the pass reports it once."""
        if self.options.dry_run:
            return
        try:
            self.zoom.sign_in()
        except ZoomAuthError as exc:
            log.error("%s; no meeting is made or changed until it is fixed", exc)
            self._health.down = exc
            return
        except ZoomError:
            return  # not answering: each event finds out, and waits for its retry
        self._retry_if_zoom_answers()

    def _retry_if_zoom_answers(self) -> None:
        """Events that wait for Zoom as a whole are tried at once when it answers again (one
        light request asks), not hours later at their back-off's time."""
        if not self.store.count_waiting_on_zoom():
            return
        try:
            self.zoom.owner_email()
        except ZoomError:
            return
        due = self.store.zoom_answers_again(self._clock())
        if due:
            log.info("Zoom answers again: %d waiting events are tried now", due)

    def _sync_unless_stopping(self, calendar_id: str) -> CalendarReport | None:
        return None if self._stop.is_set() else self.sync_calendar(calendar_id)

    def sync_calendar(self, calendar_id: str) -> CalendarReport:
        report = CalendarReport(calendar_id)
        try:
            with self._open(calendar_id, report) as (book, runner):
                self._calendar_pass(calendar_id, book, runner, report).run()
        except CalendarBusy as busy:
            report.busy = True
            report.error = str(busy)
            log.info("%s; leaving it this pass", busy)
        return report

    def _calendar_pass(
        self, calendar_id: str, book: PassBook, runner: PlanRunner, report: CalendarReport
    ) -> CalendarPass:
        settings = self.options.settings
        context = Context(
            settings=settings,
            calendar_zone=self.store.calendar(calendar_id).time_zone,
            now=self._clock(),
            zoom_users=self._users.emails() if settings.host == "organizer" else None,
            others_read_until=self._others_read_until(calendar_id),
        )
        return CalendarPass(
            calendar_id,
            store=self.store,
            google=self.google,
            book=book,
            runner=runner,
            context=context,
            settings=PassSettings(
                lookback=self.options.lookback,
                guard=self.options.guard,
                audit=self.options.audit,
                recovery=timedelta(seconds=self.options.create_settle_seconds),
                workers=self._event_workers,
            ),
            report=report,
            stop=self._stop,
            on_progress=self._on_progress,
        )

    @contextmanager
    def _open(
        self, calendar_id: str, report: CalendarReport
    ) -> Iterator[tuple[PassBook, PlanRunner]]:
        """The calendar's pass book and executor: under its lease, or a preview's."""
        if self.options.dry_run:
            yield PreviewBook(self._clock), PreviewExecutor(report)
            return
        with CalendarLease(
            self.store, calendar_id, self._owner, self.options.lease_seconds
        ) as lease:
            journal = JournalWriter(self.store, calendar_id, self._owner, self._clock, lease.check)
            executor = Executor(
                self.google,
                self.zoom,
                journal,
                self._health,
                self._listings,
                report,
                retry_max_seconds=self.options.retry_max_seconds,
                park_after=self.options.park_after,
                note_after=self.options.note_after,
                create_settle_seconds=self.options.create_settle_seconds,
            )
            yield journal, executor
