"""One calendar's pass: finish what earlier passes left, handle what Google reports changed,
hold back a mass deletion, and only then advance the sync token."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from syncd.core.actions import Plan
from syncd.core.domain import CalendarState, Event, Link, LinkState, reference_for
from syncd.core.errors import (
    EventGone,
    GoogleAuthError,
    GoogleError,
    GoogleUnavailable,
    LeaseLost,
    MalformedEvent,
    SyncTokenExpired,
)
from syncd.core.meeting_spec import (
    Context,
    hosts_to_search,
    possible_hosts,
    resolve_host,
    settings_fingerprint,
)
from syncd.core.planner import adoptable_meeting_id, needs_instances, plan
from syncd.core.ports import CalendarPort, JournalPort
from syncd.engine.journal import PassBook
from syncd.engine.report import CalendarReport
from syncd.engine.steps import Recall, Unmet

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

    def verify(self, link: Link) -> None: ...

    def recall(self, event: Event, host: str, also: Iterable[str]) -> Recall: ...

    def take_over(self, event: Event, meeting_id: int) -> Link | None: ...

    def sweep_listed(
        self, links: Sequence[Link], also: Iterable[str], listed_after: datetime
    ) -> bool: ...

    def sweep(
        self,
        links: Sequence[Link],
        unmet: Mapping[str, Unmet],
        also: Iterable[str],
        listed_after: datetime,
    ) -> bool: ...


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
class Audit:
    """Each live meeting is looked up in Zoom at most once a `period`, spread over the passes
    (`interval` apart), so that one deleted there by hand is made again without waiting for
    its event to change."""

    period: timedelta
    interval: timedelta

    def batch(self, live: int) -> int:
        return max(1, math.ceil(live * (self.interval / self.period)))


@dataclass(frozen=True)
class PassSettings:
    lookback: timedelta
    guard: DeleteGuard
    audit: Audit | None = None
    recovery: timedelta = timedelta(0)
    """How long after a pass found the journal empty a create it lost track of may still
    reach Zoom: duplicates are looked for once that time has passed."""
    workers: int = 1
    """How many of a page's events are handled at once (each has its own journal row)."""


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
        self._fingerprint = settings_fingerprint(
            context.settings, users_known=context.zoom_users is not None
        )
        self._deletions: dict[str, Plan] = {}
        self._deletions_counted = False
        self._handled: set[str] = set()
        self._instances: list[Event] = []
        """Instances of series Google listed apart (moved, cancelled, own description):
        handled once the pass has planned every series it read."""
        self._recovering_until: datetime | None = None

    def run(self) -> None:
        sync_token = time_zone = None
        self.book.start_pass()
        state = self.store.calendar(self.calendar_id)
        self._start_recovery(state)
        try:
            self._audit()
            self._resume()
            sync_token, time_zone = self._read_changes(self._sync_token(state))
            self._finish_series()
            self._settle_deletions()
            self._finish_recovery()
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
            fingerprint=self._fingerprint,
        )

    def _sync_token(self, state: CalendarState) -> str | None:
        """The stored token, unless the config that shapes meetings changed since: then every
        event is listed and planned again (a changed tag, host or Zoom setting reaches the
        meetings that exist, and the mass-change guard sees what a renamed tag would do)."""
        if state.sync_token is not None and state.settings_fingerprint != self._fingerprint:
            log.info(
                "calendar %s: the config's meeting settings changed: planning every event again",
                self.calendar_id,
            )
            return None
        return state.sync_token

    # -- a journal found empty ----------------------------------------------------------------
    def _start_recovery(self, state: CalendarState) -> None:
        """A journal empty for this calendar (a first run, or a lost database) may have
        forgotten meetings that Zoom has: until the recovery is over, an event without one
        is looked up by its reference before it is planned."""
        self._recovering_until = state.recovering_until
        if (
            state.sync_token is None
            and self._recovering_until is None
            and self.store.count_live(self.calendar_id) == 0
        ):
            self._recovering_until = self.book.now() + self.settings.recovery
            self.book.recovering(self._recovering_until)

    def _may_be_forgotten(self, event: Event, link: Link | None) -> bool:
        """An event a lost journal may have known: one of a full listing's without a link
        (it reads every event), or one journaled `creating` by a lookup Zoom could not
        answer, or by a create of unknown outcome (Zoom may have its meeting under another
        host than the link's)."""
        if self._recovering_until is None or event.recurring_event_id:
            return False
        if link is None:
            return self.report.full_sync
        return link.state is LinkState.CREATING and link.replaced_meeting_id is None

    def _finish_recovery(self) -> None:
        """Once a create syncd lost track of can no longer reach Zoom, delete any duplicate
        it made; then the recovery is over. Every host the config may use is looked at: the
        lost create went out under the host its event had then (another organizer's, or the
        fallback's for now), which no journal remembers, and a cancelled event is listed
        bare, without its organizer. While an event's create is of unknown outcome, whether
        a meeting is its own or a stray cannot be told: the recovery waits for it."""
        until = self._recovering_until
        if until is None or self.book.now() < until:
            return
        hosts = possible_hosts(self.context)
        if hosts is None:
            self._recovery_waits("the Zoom account's users cannot be listed")
            return
        live = self.store.live_links(self.calendar_id)
        if not self.runner.sweep_listed(live, hosts, until):
            self._recovery_waits("Zoom's hosts are listed over several passes")
            return
        listed = self._listed_in_full()
        if any(link is not None and link.state is LinkState.CREATING for _, link in listed):
            self._recovery_waits("a create's outcome is not known yet")
            return
        if self.runner.sweep(live, self._unmet(listed), hosts, until):
            self.book.recovering(None)

    def _recovery_waits(self, why: str) -> None:
        log.info(
            "calendar %s: %s to look for meetings syncd lost track of; will try again next pass",
            self.calendar_id,
            why,
        )

    def _listed_in_full(self) -> list[tuple[Event, Link | None]]:
        """Every event of the calendar (listed in full, once a recovery), with its link."""
        time_min = self.book.now() - self.settings.lookback
        pages = self.google.changes(self.calendar_id, None, time_min)
        events = [event for page in pages for event in page.events]
        links = self.store.links(self.calendar_id, (event.id for event in events))
        return [(event, links.get(event.id)) for event in events]

    def _unmet(self, listed: list[tuple[Event, Link | None]]) -> dict[str, Unmet]:
        """The events that have no meeting and no create under way, by reference: a meeting
        Zoom has for one is a stray. Not a cancelled event under `on_cancel = "keep"`: its
        meeting stays, untracked."""
        unmet = {}
        keep_cancelled = self.context.settings.on_cancel == "keep"
        for event, link in listed:
            if (event.cancelled and keep_cancelled) or event.recurring_event_id:
                continue  # an instance's meeting is its series'; a kept one stays
            if link is not None and (
                link.meeting_id is not None
                or link.replaced_meeting_id is not None
                or link.state is LinkState.CREATING
            ):
                continue
            host = None if event.cancelled else resolve_host(event, self.context).host
            unmet[reference_for(self.calendar_id, event.id)] = Unmet(event.id, host)
        return unmet

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
            self._instances += [e for e in page.events if e.recurring_event_id]
            events = [e for e in page.events if not e.recurring_event_id]
            links = self.store.links(self.calendar_id, (e.id for e in events))
            self._handle_all([(event, links.get(event.id)) for event in events])
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

    def _audit(self) -> None:
        audit = self.settings.audit
        if audit is None:
            return
        batch = audit.batch(self.store.count_live(self.calendar_id))
        seen_before = self.book.now() - audit.period
        for link in self.store.links_to_audit(self.calendar_id, seen_before, batch):
            self._check_stop()
            self.runner.verify(link)

    def _finish_series(self) -> None:
        """An instance changed: its series is planned again (unless this pass did already),
        so that its meeting's occurrences follow; then the instance, with its series' link."""
        instances, self._instances = self._instances, []
        for series_id in dict.fromkeys(i.recurring_event_id for i in instances):
            if series_id is None or series_id in self._handled:
                continue
            link = self.store.links(self.calendar_id, [series_id]).get(series_id)
            if link is None or link.meeting_id is None:
                continue
            series = self._current(link)
            if series is not None:
                self._handle(series, link)
        for instance in instances:
            self._handle(instance, self._link_for(instance))

    def _link_for(self, event: Event) -> Link | None:
        """The event's link; for an instance of a series, the series' link."""
        key = event.recurring_event_id or event.id
        return self.store.links(self.calendar_id, [key]).get(key)

    def _planned(self, event: Event, link: Link | None) -> Plan | None:
        """The event's plan; a series whose meeting has occurrences is read with its
        instances first (None if they cannot be read now: the event is queued)."""
        if needs_instances(event, self.context):
            try:
                instances = self.google.instances(self.calendar_id, event.id)
            except EventGone:
                instances = []
            except GoogleAuthError:
                raise
            except GoogleError as exc:  # this series waits; the calendar's pass goes on
                self.runner.queue(self.calendar_id, event.id, exc)
                return None
            event = replace(event, instances=tuple(instances))
        return plan(event, link, self.context)

    def _current(self, link: Link) -> Event | None:
        try:
            return self.google.get_event(link.calendar_id, link.event_id)
        except EventGone:
            return Event(calendar_id=link.calendar_id, id=link.event_id, status="cancelled")
        except (GoogleUnavailable, MalformedEvent) as exc:
            self.runner.queue(link.calendar_id, link.event_id, exc)
            return None

    def _handle_all(self, items: list[tuple[Event, Link | None]]) -> None:
        """Handle a page's events, up to `workers` at once; return once all are handled or
        queued (the sync token follows), or raise the first error, the others stopping
        before their next event."""
        workers = min(self.settings.workers, len(items))
        if workers <= 1:
            for event, link in items:
                self._handle(event, link)
            return
        pending = iter(items)
        lock, failed = threading.Lock(), threading.Event()

        def work() -> None:
            while not failed.is_set():
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                try:
                    self._handle(*item)
                except BaseException:
                    failed.set()
                    raise

        with ThreadPoolExecutor(workers, thread_name_prefix=f"events-{self.calendar_id}") as pool:
            for done in [pool.submit(work) for _ in range(workers)]:
                done.result()

    # -- one event -----------------------------------------------------------------------------
    def _handle(self, event: Event, link: Link | None) -> None:
        self._check_stop()
        self._handled.add(event.id)
        if link is None:
            link = self._moved_here(event)
        recalled = Recall.NOTHING
        if self._may_be_forgotten(event, link):
            host = link.host if link and link.host else resolve_host(event, self.context).host
            recalled = self.runner.recall(event, host, hosts_to_search(event, self.context))
            if recalled is Recall.FOUND:
                link = self._link_for(event)
        first = self._planned(event, link) if recalled is not Recall.UNKNOWN else None
        if first is not None:
            self._carry_out(first)
        self._on_progress(self.calendar_id, self.report.count("events_seen"))

    def _moved_here(self, event: Event) -> Link | None:
        """The link another watched calendar has for this event's meeting, taken over if the
        event moved here from it (it names the meeting, on its organizer's copy)."""
        if event.cancelled or event.recurring_event_id or not event.organizer_self:
            return None
        meeting_id = adoptable_meeting_id(event)
        return None if meeting_id is None else self.runner.take_over(event, meeting_id)

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
            replanned = self._planned(fresh, self._link_for(fresh))
            if replanned is None:
                return
            decision = replanned
        self.runner.queue(
            self.calendar_id,
            first.event.id,
            GoogleError(f"event {first.event.id} kept changing while syncd wrote it"),
        )

    def _settle_deletions(self) -> None:
        """Carry out the deletions this pass planned, unless there are suspiciously many.

        A deletion once held stays held until an operator allows it (or the event asks for
        its meeting again); new ones are counted together with those still held."""
        self._deletions_counted = True
        plans = list(self._deletions.values())
        live = self.store.count_live(self.calendar_id)
        held = [p for p in plans if _held(p) and not self.settings.guard.allowed]
        new = [p for p in plans if p not in held]
        if self.settings.guard.trips(len(new) + self.store.count_held(self.calendar_id), live):
            held, new = held + new, []
        for decision in new:
            self._check_stop()
            self._carry_out(decision)
        for decision in held:
            self.runner.hold(decision, "deletion held back by the mass-change guard")
        waiting = self.store.count_held(self.calendar_id)
        if waiting:
            self.report.warning = (
                f"{waiting} deletions of its {live} meetings held back by the mass-change "
                "guard: run `syncd sync --allow-deletes` if they are intended"
            )
            log.error("calendar %s: %s", self.calendar_id, self.report.warning)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise PassInterrupted("syncd is stopping")
        self.book.check()


def _held(decision: Plan) -> bool:
    return decision.link is not None and decision.link.held_at is not None
