"""One calendar's pass: finish what earlier passes left, handle what Google reports changed,
hold back a mass deletion, and only then advance the sync token."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from syncd.actions import Plan
from syncd.domain import Event, Link
from syncd.google_calendar import (
    EventGone,
    GoogleAuthError,
    GoogleError,
    GoogleUnavailable,
    SyncTokenExpired,
)
from syncd.journal import PassBook
from syncd.planner import Context, plan
from syncd.ports import CalendarPort, JournalPort
from syncd.report import CalendarReport
from syncd.store import LeaseLost

log = logging.getLogger(__name__)

PLAN_ATTEMPTS = 3
"""How often one event is planned again in a pass after it changed under a write."""


class PassInterrupted(Exception):
    """The daemon is stopping: the pass ends after the event in hand."""


class PlanRunner(Protocol):
    """The executor, live or preview."""

    def carry_out(self, plan: Plan) -> Event | None: ...

    def queue(self, calendar_id: str, event_id: str, cause: Exception) -> None: ...

    def hold(self, plan: Plan, reason: str) -> None: ...


@dataclass(frozen=True)
class DeleteGuard:
    """A pass that would delete more than `share` of a calendar's live meetings, and at least
    `minimum` of them, deletes none unless `allowed` (vdirsyncer's guard against mirroring a
    side that suddenly went empty: a calendar unshared, a tag renamed in the config)."""

    share: float = 0.5
    minimum: int = 5
    allowed: bool = False

    def trips(self, deletions: int, live: int) -> bool:
        return not self.allowed and deletions >= self.minimum and deletions > self.share * live


@dataclass(frozen=True)
class PassSettings:
    lookback: timedelta
    guard: DeleteGuard


class CalendarPass:
    def __init__(
        self,
        calendar_id: str,
        *,
        store: JournalPort,
        google: CalendarPort,
        book: PassBook,
        runner: PlanRunner,
        context: Context,
        settings: PassSettings,
        report: CalendarReport,
        stop: threading.Event,
        on_progress: Callable[[str, int], None],
    ) -> None:
        self.calendar_id = calendar_id
        self.store = store
        self.google = google
        self.book = book
        self.runner = runner
        self.context = context
        self.settings = settings
        self.report = report
        self._stop = stop
        self._on_progress = on_progress
        self._deletions: dict[str, Plan] = {}
        self._deletions_counted = False

    def run(self) -> None:
        sync_token = time_zone = None
        self.book.start_pass()
        try:
            self._resume()
            state = self.store.calendar(self.calendar_id)
            sync_token, time_zone = self._read_changes(state.sync_token)
            self._settle_deletions()
        except GoogleError as exc:
            self.report.error = str(exc)
            self.report.credentials_refused = isinstance(exc, GoogleAuthError)
            log.error(
                "calendar %s: pass failed, will try again next pass: %s", self.calendar_id, exc
            )
        except PassInterrupted as exc:
            self.report.error = f"interrupted: {exc}"
            log.info("calendar %s: pass interrupted: %s", self.calendar_id, exc)
        except LeaseLost as exc:
            self.report.error = f"stopped: {exc}"
            log.error("calendar %s: stopped, another syncd has it now: %s", self.calendar_id, exc)
            return  # nothing more may be written for this calendar, its sync token least of all
        self.book.finish_pass(
            sync_token=sync_token,
            time_zone=time_zone,
            error=self.report.error or self.report.warning,
        )

    # -- reading -------------------------------------------------------------------------------
    def _read_changes(self, sync_token: str | None) -> tuple[str | None, str | None]:
        try:
            return self._read_pages(sync_token)
        except SyncTokenExpired:
            log.info("calendar %s: sync token expired, listing everything again", self.calendar_id)
            self.book.forget_sync_token()
            return self._read_pages(None)

    def _read_pages(self, sync_token: str | None) -> tuple[str | None, str | None]:
        self.report.full_sync = sync_token is None
        time_min = self.book.now() - self.settings.lookback
        next_token = None
        time_zone = self.context.calendar_zone
        for page in self.google.changes(self.calendar_id, sync_token, time_min):
            time_zone = page.time_zone or time_zone
            self.context = replace(self.context, calendar_zone=time_zone)
            links = self.store.links(self.calendar_id, (e.id for e in page.events))
            for event in page.events:
                self._handle(event, links.get(event.id))
            next_token = page.next_sync_token
        return next_token, time_zone

    def _resume(self) -> None:
        """Finish what an earlier pass left: a crash mid-step, a failure whose time has come,
        and, when the operator allows them, the deletions the guard held back."""
        due = self.store.due_links(
            self.calendar_id, self.book.now(), held_too=self.settings.guard.allowed
        )
        for link in due:
            event = self._current(link)
            if event is not None:
                self._handle(event, link)

    def _current(self, link: Link) -> Event | None:
        try:
            return self.google.get_event(link.calendar_id, link.event_id)
        except EventGone:
            return Event(calendar_id=link.calendar_id, id=link.event_id, status="cancelled")
        except GoogleUnavailable as exc:
            self.runner.queue(link.calendar_id, link.event_id, exc)
            return None

    # -- one event -----------------------------------------------------------------------------
    def _handle(self, event: Event, link: Link | None) -> None:
        self._check_stop()
        self._carry_out(plan(event, link, self.context))
        self.report.events_seen += 1
        self._on_progress(self.calendar_id, self.report.events_seen)

    def _carry_out(self, first: Plan) -> None:
        """Run a plan; plan again with the fresh event while a write finds it changed."""
        decision = first
        for _ in range(PLAN_ATTEMPTS):
            if decision.idle:
                return
            if decision.guarded_deletes and not self._deletions_counted:
                self._deletions[decision.event.id] = decision  # run once the pass is counted
                return
            fresh = self.runner.carry_out(decision)
            if fresh is None:
                return
            link = self.store.links(self.calendar_id, [fresh.id]).get(fresh.id)
            decision = plan(fresh, link, self.context)
        self.runner.queue(
            self.calendar_id,
            first.event.id,
            GoogleError(f"event {first.event.id} kept changing while syncd wrote it"),
        )

    def _settle_deletions(self) -> None:
        """Carry out the deletions this pass planned, unless there are suspiciously many."""
        plans = list(self._deletions.values())
        self._deletions_counted = True
        live = self.store.count_live(self.calendar_id)
        if self.settings.guard.trips(len(plans), live):
            self.report.warning = (
                f"{len(plans)} of {live} meetings would be deleted: held back by the "
                "mass-change guard; run `syncd sync --allow-deletes` if that is intended"
            )
            log.error("calendar %s: %s", self.calendar_id, self.report.warning)
            for decision in plans:
                self.runner.hold(decision, "deletion held back by the mass-change guard")
            return
        for decision in plans:
            self._check_stop()
            self._carry_out(decision)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise PassInterrupted("syncd is stopping")
        self.book.check()
