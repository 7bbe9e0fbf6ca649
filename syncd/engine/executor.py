"""Carrying out plans against Zoom and Google, journaling every step.

Each step is committed to the store before the next request goes out, so a crash anywhere
leaves a row that tells the next pass exactly what to finish (docs/design.md, "The journal").
A failed step queues only its own event. The executor runs each action with one `match` and
never asks the planner anything: when the event changed under it (Google answered 412), it
hands the fresh event back, and the engine plans it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.core.actions import (
    Action,
    Adopt,
    Create,
    Delete,
    Depart,
    DropReplaced,
    FindOrCreate,
    Forget,
    Keep,
    Plan,
    Reconcile,
    Rehost,
    RemoveBlock,
    Resolve,
    ShowSeriesBlock,
    Update,
    WriteBack,
    describe,
)
from syncd.core.description import BlockInfo, find_note
from syncd.core.domain import Event, Link, reference_for
from syncd.core.errors import ZoomAuthError, ZoomUnavailable
from syncd.core.ports import CalendarPort, MeetingsPort
from syncd.engine.event_steps import EventSteps
from syncd.engine.failures import note, verdict
from syncd.engine.journal import JournalWriter
from syncd.engine.meeting_steps import MeetingSteps
from syncd.engine.report import CalendarReport
from syncd.engine.steps import EventChanged, Recall, StepFailed, Unmet, about, where
from syncd.engine.zoom_health import ZoomHealth
from syncd.engine.zoom_listings import HostListings

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 60.0


@dataclass
class _Progress:
    """One plan's state as its actions run: the event as last read or written, and the
    meeting the event should show."""

    event: Event
    block: BlockInfo | None
    replaced: int | None
    """The meeting a re-host replaces by `block`'s, until it is deleted."""


class Executor:
    def __init__(
        self,
        google: CalendarPort,
        zoom: MeetingsPort,
        journal: JournalWriter,
        health: ZoomHealth,
        listings: HostListings,
        report: CalendarReport,
        *,
        retry_max_seconds: float,
        create_settle_seconds: float,
        park_after: int = 8,
        note_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self.journal = journal
        self.report = report
        self.meetings = MeetingSteps(
            zoom, journal, health, listings, report, timedelta(seconds=create_settle_seconds)
        )
        self.events = EventSteps(google, journal, report)
        self._retry_max_seconds = retry_max_seconds
        self._park_after = park_after
        self._note_after = note_after

    def carry_out(self, plan: Plan) -> Event | None:
        """Run the plan; the fresh event when it changed under a write and must be planned
        again, else None (done, or failed and queued)."""
        for remark in plan.notes:
            log.info("event %s %r: %s", where(plan.event), plan.event.summary, remark)
        link = plan.link
        progress = _Progress(
            plan.event,
            link.block if link else None,
            link.replaced_meeting_id if link else None,
        )
        try:
            for action in plan.actions:
                self._run(action, progress)
        except EventChanged as changed:
            log.info("event %s changed while syncd wrote it; looking again", where(plan.event))
            return changed.event
        except StepFailed as failure:
            parked = self._record_failure(
                plan.event.calendar_id, plan.event.id, failure, plan.event.summary
            )
            if _asks_for_a_meeting(plan):
                self._tell(progress.event, failure, parked)
        return None

    def queue(self, calendar_id: str, event_id: str, cause: Exception) -> None:
        """Queue an event whose plan could not even be made (its event could not be read)."""
        self._record_failure(calendar_id, event_id, StepFailed(cause))

    def recall(self, event: Event, host: str, also: Iterable[str]) -> Recall:
        """Look in Zoom for a meeting the journal forgot, made for this event (under `host`,
        else under any of `also`). When Zoom cannot be asked, the event is queued as if a
        create of unknown outcome had been sent (unless one was), so that it is looked up
        again before anything is created."""
        try:
            found = self.meetings.recall(event, host, also)
        except StepFailed as failure:
            if self.journal.link(event.id) is None:
                reference = reference_for(event.calendar_id, event.id)
                self.journal.begin_create(event, reference, host)
            parked = self._record_failure(event.calendar_id, event.id, failure, event.summary)
            self._tell(event, failure, parked)  # it waits for its meeting all the same
            return Recall.UNKNOWN
        return Recall.FOUND if found else Recall.NOTHING

    def take_over(self, event: Event, meeting_id: int) -> Link | None:
        """The event moved here from another watched calendar with its meeting (a change of
        owner, `events.move`): that calendar's link becomes this one's, so the meeting and
        its join link stay; its plan then moves it to the new host if need be."""
        reference = reference_for(event.calendar_id, event.id)
        source = self.journal.take_over(event.id, meeting_id, reference)
        if source is None:
            return None
        self.report.count("meetings_adopted")
        log.info(
            "event %s %r: moved here from calendar %s; it keeps meeting %s",
            where(event),
            event.summary,
            source,
            meeting_id,
            extra=about(event.calendar_id, event.id, "moved_in", meeting_id),
        )
        return self.journal.link(event.id)

    def sweep_listed(
        self, links: Sequence[Link], also: Iterable[str], listed_after: datetime
    ) -> bool:
        """Whether every host a sweep looks through is listed after `listed_after`, listing
        this pass's share of them; False if not yet (or Zoom could not be asked)."""
        try:
            return self.meetings.sweep_listed(links, also, listed_after)
        except StepFailed as failure:
            self._sweep_failed(failure)
            return False

    def sweep(
        self,
        links: Sequence[Link],
        unmet: Mapping[str, Unmet],
        also: Iterable[str],
        listed_after: datetime,
    ) -> bool:
        """Delete duplicates of the linked meetings, and any meeting of an event that has
        none now (looking at the hosts `also` too); False if Zoom could not be asked."""
        try:
            self.meetings.sweep(links, unmet, also, listed_after)
        except StepFailed as failure:
            self._sweep_failed(failure)
            return False
        return True

    def _sweep_failed(self, failure: StepFailed) -> None:
        log.warning(
            "calendar %s: looking for duplicate meetings failed, will try again next pass: %s",
            self.journal.calendar_id,
            failure,
        )

    def verify(self, link: Link) -> None:
        """The audit of one live meeting; a failure is logged and tried next period."""
        if link.meeting_id is None:
            return
        try:
            self.meetings.verify(link, link.meeting_id)
        except StepFailed as failure:
            log.warning(
                "audit of meeting %s (event %s/%s) failed: %s",
                link.meeting_id,
                link.calendar_id,
                link.event_id,
                failure,
            )

    def hold(self, plan: Plan, reason: str) -> None:
        """The mass-change guard holds this plan back; it is looked at again with back-off."""
        attempts = plan.link.attempts if plan.link else 0
        self.journal.held(plan.event.id, reason, self._retry_at(attempts))
        self.report.count("deletions_held")

    def _run(self, action: Action, progress: _Progress) -> None:
        event = progress.event
        match action:
            case Create(spec=spec, reference=reference):
                progress.block = self.meetings.create(event, spec, reference)
            case FindOrCreate(spec=spec, reference=reference, host=host, sent_at=sent_at):
                progress.block = self.meetings.find_or_create(
                    event, spec, reference, host, sent_at, action.besides
                )
            case Adopt(meeting_id=meeting_id, spec=spec, reference=reference):
                progress.block = self.meetings.adopt(event, meeting_id, spec, reference)
            case Update():
                progress.block = self.meetings.update(event, action) or progress.block
            case Rehost():
                replacement = self.meetings.rehost(event, action)
                if replacement is not None:
                    progress.block, progress.replaced = replacement, action.meeting_id
            case Reconcile():
                progress.block = self.meetings.reconcile(event, action) or progress.block
            case Delete(meeting_id=meeting_id, why=why):
                self.meetings.delete_followed(event, meeting_id, why)
            case DropReplaced(meeting_id=meeting_id, even_if_current=force):
                current = None if force else progress.block
                self.meetings.drop_replaced(event, meeting_id, current)
            case Resolve():
                self.meetings.resolve(event, action)
            case WriteBack(block=block):
                progress.event = self.events.write_back(
                    event, block or progress.block, progress.replaced
                )
            case ShowSeriesBlock(block=block):
                progress.event = self.events.show(event, block)
            case RemoveBlock():
                progress.event = self.events.remove_block(event)
            case Keep():
                self.journal.kept(event.id)
                log.info(
                    "event %s %r: cancelled; its meeting is kept",
                    where(event),
                    event.summary,
                    extra=about(event.calendar_id, event.id, "kept"),
                )
            case Depart():
                self.journal.departed(event.id)
                log.info(
                    "event %s: gone from the calendar; its meeting %s waits for the other "
                    "calendars to be read, in case the event moved to one of them",
                    where(event),
                    progress.block.meeting_id if progress.block else None,
                    extra=about(event.calendar_id, event.id, "departed"),
                )
            case Forget():
                self.journal.forget(event.id)

    # -- failures ------------------------------------------------------------------------------
    def _retry_at(self, attempts: int) -> datetime:
        delay = min(self._retry_max_seconds, FIRST_RETRY_SECONDS * 2**attempts)
        return self.journal.now() + timedelta(seconds=delay)

    def _record_failure(
        self, calendar_id: str, event_id: str, failure: StepFailed, summary: str | None = None
    ) -> bool:
        """Queue the event for a retry, or park it: at once for a refusal that retrying
        cannot fix, else after `park_after` tries. True if parked."""
        link = self.journal.link(event_id)
        attempts = (link.attempts if link else 0) + 1
        retry_at = failure.retry_at or self._retry_at(attempts - 1)
        park = verdict(failure.cause).permanent or attempts >= self._park_after
        parked = self.journal.failed(
            event_id,
            reference_for(calendar_id, event_id),
            str(failure),
            retry_at,
            failure.create_refused,
            park=park,
            summary=summary,
            on_zoom=_zoom_down(failure.cause),
        )
        self.report.failures.append(f"{calendar_id}/{event_id}: {failure}")
        meeting_id = link.meeting_id if link else None
        fields = about(calendar_id, event_id, "parked" if parked else "failed", meeting_id)
        if parked:
            self.report.count("parked")
            log.error(
                "event %s/%s parked after %d tries, no more retries until `syncd retry %s/%s`: %s",
                calendar_id,
                event_id,
                attempts,
                calendar_id,
                event_id,
                failure,
                extra=fields,
            )
        else:
            log.warning(
                "event %s/%s failed, retry at %s: %s",
                calendar_id,
                event_id,
                retry_at.isoformat(timespec="seconds"),
                failure,
                extra=fields,
            )
        return parked

    def _tell(self, event: Event, failure: StepFailed, parked: bool) -> None:
        """An event that asks for a meeting and has none shows why, in its block, once its
        wait is long: parked, or not retried before it has waited `note_after` (a blip that
        heals sooner is never seen in the event, which every attendee reads). Once per
        change of the reason: the note is compared with the one it shows."""
        link = self.journal.link(event.id)
        if link is not None and link.state.has_meeting:
            return  # it shows a working meeting; that stays
        if not (parked or self._long_wait(link)):
            return
        text = note(failure.cause, parked)
        if not event.organizer_self or find_note(event.description) == text:
            return
        try:
            self.events.show_note(event, text)
        except (StepFailed, EventChanged) as exc:
            log.info("event %s: the note on its meeting could wait: %s", where(event), exc)

    def _long_wait(self, link: Link | None) -> bool:
        if link is None or link.waiting_since is None or link.next_attempt_at is None:
            return True
        return link.next_attempt_at >= link.waiting_since + self._note_after


def _zoom_down(cause: Exception) -> bool:
    """Zoom failed as a whole (no answer, a 5xx, the credentials refused), not this request
    alone: a 429 is the request's rate, which an answering Zoom does not lift."""
    if isinstance(cause, ZoomAuthError):
        return True
    return isinstance(cause, ZoomUnavailable) and cause.status != 429


def _asks_for_a_meeting(plan: Plan) -> bool:
    """The plan was to get the event a meeting (it had none)."""
    return any(isinstance(a, Create | FindOrCreate | Adopt) for a in plan.actions)


class PreviewExecutor:
    """A dry run: says what each plan would do, and does none of it."""

    def __init__(self, report: CalendarReport) -> None:
        self.report = report

    def carry_out(self, plan: Plan) -> Event | None:
        steps = ", then ".join(describe(action) for action in plan.actions)
        log.info(
            "dry run: event %s %r: would %s (%s)",
            where(plan.event),
            plan.event.summary,
            steps,
            plan.reason,
        )
        return None

    def queue(self, calendar_id: str, event_id: str, cause: Exception) -> None:
        log.warning("dry run: event %s/%s cannot be read: %s", calendar_id, event_id, cause)

    def hold(self, plan: Plan, reason: str) -> None:
        log.warning("dry run: event %s: %s", where(plan.event), reason)

    def verify(self, link: Link) -> None:
        """A dry run audits nothing: the audit's only effect is on the journal."""

    def recall(self, event: Event, host: str, also: Iterable[str]) -> Recall:
        """A dry run looks nothing up: it says "would create" for a forgotten meeting too."""
        return Recall.NOTHING

    def take_over(self, event: Event, meeting_id: int) -> Link | None:
        """A dry run moves no link: it says "would reuse the meeting the event names"."""
        return None

    def sweep_listed(
        self, links: Sequence[Link], also: Iterable[str], listed_after: datetime
    ) -> bool:
        """A dry run lists nothing."""
        return True

    def sweep(
        self,
        links: Sequence[Link],
        unmet: Mapping[str, Unmet],
        also: Iterable[str],
        listed_after: datetime,
    ) -> bool:
        """A dry run deletes nothing."""
        return True
