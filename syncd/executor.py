"""Carrying out plans against Zoom and Google, journaling every step.

Each step is committed to the store before the next request goes out, so a crash anywhere
leaves a row that tells the next pass exactly what to finish (docs/design.md, "The journal").
A failed step queues only its own event. The executor runs each action with one `match` and
never asks the planner anything: when the event changed under it (Google answered 412), it
hands the fresh event back, and the engine plans it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from syncd.actions import (
    Action,
    Adopt,
    Create,
    Delete,
    FindOrCreate,
    Forget,
    Keep,
    Plan,
    Rehost,
    RemoveBlock,
    Resolve,
    Update,
    WriteBack,
    describe,
)
from syncd.description import BlockInfo, find_block, insert_block, remove_block
from syncd.domain import MEETING_ID_PROPERTY, Event, Meeting, MeetingSpec
from syncd.google_calendar import Conflict, GoogleError
from syncd.journal import JournalWriter
from syncd.planner import block_of, reference_for
from syncd.ports import CalendarPort, MeetingsPort
from syncd.report import CalendarReport
from syncd.zoom import (
    ZoomAuthError,
    ZoomDailyLimit,
    ZoomError,
    ZoomNotFound,
    ZoomRejected,
    ZoomUnavailable,
)
from syncd.zoom_health import ZoomHealth

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 60.0
T = TypeVar("T")


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


class EventChanged(Exception):
    """Google refused a write because the event changed since it was read (412)."""

    def __init__(self, event: Event) -> None:
        super().__init__(f"event {event.id} changed while syncd wrote it")
        self.event = event


def where(event: Event) -> str:
    return f"{event.calendar_id}/{event.id}"


@dataclass
class _Progress:
    """One plan's state as its actions run: the event as last read or written, and the
    meeting the event should show."""

    event: Event
    block: BlockInfo | None


class Executor:
    def __init__(
        self,
        google: CalendarPort,
        zoom: MeetingsPort,
        journal: JournalWriter,
        health: ZoomHealth,
        report: CalendarReport,
        *,
        retry_max_seconds: float,
        create_settle_seconds: float,
    ) -> None:
        self.google = google
        self.zoom = zoom
        self.journal = journal
        self.health = health
        self.report = report
        self._retry_max_seconds = retry_max_seconds
        self._create_settle = timedelta(seconds=create_settle_seconds)

    def carry_out(self, plan: Plan) -> Event | None:
        """Run the plan; the fresh event when it changed under a write and must be planned
        again, else None (done, or failed and queued)."""
        for note in plan.notes:
            log.info("event %s %r: %s", where(plan.event), plan.event.summary, note)
        progress = _Progress(plan.event, block_of(plan.link) if plan.link else None)
        try:
            for action in plan.actions:
                self._run(action, progress)
        except EventChanged as changed:
            log.info("event %s changed while syncd wrote it; looking again", where(plan.event))
            return changed.event
        except StepFailed as failure:
            self._record_failure(plan.event.calendar_id, plan.event.id, failure)
        return None

    def queue(self, calendar_id: str, event_id: str, cause: Exception) -> None:
        """Queue an event whose plan could not even be made (its event could not be read)."""
        self._record_failure(calendar_id, event_id, StepFailed(cause))

    def hold(self, plan: Plan, reason: str) -> None:
        """The mass-change guard holds this plan back; it is looked at again with back-off."""
        attempts = plan.link.attempts if plan.link else 0
        self.journal.held(plan.event.id, reason, self._retry_at(attempts))
        self.report.deletions_held += 1

    def _run(self, action: Action, progress: _Progress) -> None:
        event = progress.event
        match action:
            case Create(spec=spec, reference=reference):
                progress.block = self._create(event, spec, reference)
            case FindOrCreate(spec=spec, reference=reference, host=host, sent_at=sent_at):
                found = self._find(host, reference, sent_at)
                progress.block = (
                    self._record_found(event, reference, found, spec)
                    if found is not None
                    else self._create(event, spec, reference)
                )
            case Adopt(meeting_id=meeting_id, spec=spec, reference=reference):
                progress.block = self._adopt(event, meeting_id, spec, reference)
            case Update():
                progress.block = self._update(event, action) or progress.block
            case Rehost():
                progress.block = self._rehost(event, action) or progress.block
            case Delete(meeting_id=meeting_id, why=why):
                self._delete(event, meeting_id, why)
            case Resolve():
                self._resolve(event, action)
            case WriteBack(block=block):
                progress.event = self._write_back(event, block or progress.block)
            case RemoveBlock():
                progress.event = self._remove_block(event)
            case Keep():
                self.journal.kept(event.id)
                log.info("event %s %r: cancelled; its meeting is kept", where(event), event.summary)
            case Forget():
                self.journal.forget(event.id)

    # -- getting a meeting ---------------------------------------------------------------------
    def _create(self, event: Event, spec: MeetingSpec, reference: str) -> BlockInfo:
        blocked_until = self.health.limit_until(spec.host, self.journal.now())
        if blocked_until is not None:
            limit = ZoomError(f"Zoom: host {spec.host} has used up today's meetings")
            raise StepFailed(limit, retry_at=blocked_until, create_refused=True)
        if self.health.down is not None:
            raise StepFailed(self.health.down, create_refused=True)
        self.journal.check()
        self.journal.begin_create(event.id, reference, spec.host)
        try:
            meeting = self._zoom_call(lambda: self.zoom.create_meeting(spec), spec.host)
        except StepFailed as failure:
            cause = failure.cause
            failure.create_refused = not (
                isinstance(cause, ZoomUnavailable) and not cause.retry_safe
            )
            raise
        self.journal.meeting(event.id, reference, meeting, spec.host, spec)
        self.report.meetings_created += 1
        log.info(
            "event %s %r: created Zoom meeting %s (host %s)%s",
            where(event),
            event.summary,
            meeting.id,
            spec.host,
            f"; {spec.note}" if spec.note else "",
        )
        _check_zoom_kept_the_time(spec, meeting)
        return _block_of(meeting)

    def _find(self, host: str, reference: str, sent_at: datetime | None) -> Meeting | None:
        """The meeting an earlier create of unknown outcome made, if Zoom has it.

        Not found is trusted only once that create can no longer be under way: a syncd that
        was killed mid-request may have left it still travelling to Zoom."""
        found = self._zoom_call(lambda: self.zoom.find_meeting(host, reference), host)
        now = self.journal.now()
        if found is None and sent_at is not None and now < sent_at + self._create_settle:
            pending = ZoomError(f"a create sent at {sent_at:%H:%M:%S} UTC may still reach Zoom")
            raise StepFailed(pending, retry_at=sent_at + self._create_settle)
        return found

    def _record_found(
        self, event: Event, reference: str, meeting: Meeting, spec: MeetingSpec
    ) -> BlockInfo:
        """A meeting made for this event, found again. What it was made from is unknown, so
        none is recorded: the next pass sends the event's whole schedule once."""
        self.journal.meeting(event.id, reference, meeting, spec.host, None)
        self.report.meetings_adopted += 1
        log.info(
            "event %s %r: found its meeting %s, reusing it", where(event), event.summary, meeting.id
        )
        return _block_of(meeting)

    def _adopt(
        self, event: Event, meeting_id: int, spec: MeetingSpec, reference: str
    ) -> BlockInfo:
        """The meeting the event names, if it exists and was made for this very event."""
        try:
            meeting = self._zoom_call(lambda: self.zoom.get_meeting(meeting_id), spec.host)
        except StepFailed as failure:
            if not isinstance(failure.cause, ZoomNotFound):
                raise
            meeting = None
        if meeting is None or reference not in meeting.agenda:
            return self._create(event, spec, reference)
        return self._record_found(event, reference, meeting, spec)

    # -- keeping it in step --------------------------------------------------------------------
    def _update(self, event: Event, action: Update) -> BlockInfo | None:
        """PATCH what changed; a meeting deleted in Zoom meanwhile is made again (its new
        block then replaces the old one)."""
        self.journal.check()
        try:
            self._zoom_call(
                lambda: self.zoom.update_meeting(action.meeting_id, action.changes),
                action.spec.host,
            )
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            log.warning(
                "event %s %r: meeting %s was deleted in Zoom; making a new one",
                where(event),
                event.summary,
                action.meeting_id,
            )
            return self._create(event, action.spec, action.reference)
        self.journal.updated(event.id, action.spec)
        self.report.meetings_updated += 1
        log.info(
            "event %s %r: updated meeting %s (%s)",
            where(event),
            event.summary,
            action.meeting_id,
            ", ".join(sorted(action.changes)),
        )
        return None

    def _rehost(self, event: Event, action: Rehost) -> BlockInfo | None:
        """Zoom moves a meeting to another host of the account with `schedule_for`; where it
        refuses, the old meeting goes first and a new one is made under the new host (a crash
        in between leaves a link whose update finds the meeting gone and makes it again)."""
        if action.changes is not None:
            self.journal.check()
            try:
                self._zoom_call(
                    lambda: self.zoom.update_meeting(action.meeting_id, action.changes or {}),
                    action.spec.host,
                )
            except StepFailed as failure:
                if not isinstance(failure.cause, ZoomRejected | ZoomNotFound):
                    raise
            else:
                self.journal.updated(event.id, action.spec)
                self.report.meetings_updated += 1
                log.info(
                    "event %s %r: meeting %s moved from host %s to %s",
                    where(event),
                    event.summary,
                    action.meeting_id,
                    action.old_host,
                    action.spec.host,
                )
                return None
        self._delete(event, action.meeting_id, f"host changes to {action.spec.host}")
        return self._create(event, action.spec, action.reference)

    def _delete(self, event: Event, meeting_id: int, why: str) -> None:
        self.journal.check()
        existed = self._zoom_call(lambda: self.zoom.delete_meeting(meeting_id), None)
        self.report.meetings_deleted += 1
        log.info(
            "event %s %r: deleted Zoom meeting %s (%s)%s",
            where(event),
            event.summary,
            meeting_id,
            why,
            "" if existed else "; it was already gone",
        )

    def _resolve(self, event: Event, action: Resolve) -> None:
        """An event that no longer wants a meeting, after a create of unknown outcome: find
        out whether the meeting exists, then delete it or keep it."""
        found = self._find(action.host, action.reference, action.sent_at)
        if found is None:
            self.journal.forget(event.id)
        elif action.delete:
            self._delete(event, found.id, "made by an interrupted create, no longer wanted")
            self.journal.forget(event.id)
        else:
            self.journal.meeting(event.id, action.reference, found, action.host, None)
            self.journal.kept(event.id)

    def _zoom_call(self, call: Callable[[], T], host: str | None) -> T:
        """Call Zoom unless it already failed this pass; turn its errors into StepFailed."""
        if self.health.down is not None:
            raise StepFailed(self.health.down)
        try:
            return call()
        except ZoomDailyLimit as exc:
            if host is not None:
                self.health.host_at_limit(host, exc.retry_at)
            raise StepFailed(exc, retry_at=exc.retry_at) from exc
        except ZoomError as exc:
            if isinstance(exc, ZoomAuthError | ZoomUnavailable):
                self.health.down = exc
            raise StepFailed(exc) from exc

    # -- the event -----------------------------------------------------------------------------
    def _write_back(self, event: Event, info: BlockInfo | None) -> Event:
        if info is None:  # the planner puts WriteBack only after a step that has a meeting
            raise StepFailed(ValueError(f"event {event.id}: no meeting to write back"))
        properties = {MEETING_ID_PROPERTY: str(info.meeting_id)}
        if not _shows(event, info, properties):
            event = self._patch(event, insert_block(event.description, info), properties)
            self.report.events_written += 1
            log.info(
                "event %s %r: wrote meeting %s into the description",
                where(event),
                event.summary,
                info.meeting_id,
            )
        self.journal.linked(event.id)
        return event

    def _remove_block(self, event: Event) -> Event:
        event = self._patch(
            event, remove_block(event.description), {MEETING_ID_PROPERTY: None}
        )
        self.report.blocks_removed += 1
        log.info("event %s %r: removed the meeting block", where(event), event.summary)
        return event

    def _patch(
        self, event: Event, description: str, properties: Mapping[str, str | None]
    ) -> Event:
        self.journal.check()
        try:
            return self.google.patch_event(
                event, description=description, private_properties=properties
            )
        except Conflict:
            raise EventChanged(self._reread(event)) from None
        except GoogleError as exc:
            raise StepFailed(exc) from exc

    def _reread(self, event: Event) -> Event:
        try:
            return self.google.get_event(event.calendar_id, event.id)
        except GoogleError as exc:
            raise StepFailed(exc) from exc

    # -- failures ------------------------------------------------------------------------------
    def _retry_at(self, attempts: int) -> datetime:
        delay = min(self._retry_max_seconds, FIRST_RETRY_SECONDS * 2**attempts)
        return self.journal.now() + timedelta(seconds=delay)

    def _record_failure(self, calendar_id: str, event_id: str, failure: StepFailed) -> None:
        link = self.journal.store.links(calendar_id, [event_id]).get(event_id)
        retry_at = failure.retry_at or self._retry_at(link.attempts if link else 0)
        self.journal.failed(
            event_id,
            reference_for(calendar_id, event_id),
            str(failure),
            retry_at,
            failure.create_refused,
        )
        self.report.failures.append(f"{calendar_id}/{event_id}: {failure}")
        log.warning(
            "event %s/%s failed, retry at %s: %s",
            calendar_id,
            event_id,
            retry_at.isoformat(timespec="seconds"),
            failure,
        )


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


def _meeting_gone(failure: StepFailed) -> bool:
    return isinstance(failure.cause, ZoomNotFound)


def _same_time(spec: MeetingSpec, meeting: Meeting) -> bool:
    return (meeting.start_time, meeting.timezone) == (spec.start_time, spec.timezone)


def _check_zoom_kept_the_time(spec: MeetingSpec, meeting: Meeting) -> None:
    """Zoom answers with the start it understood: say so if it is not the one sent."""
    if spec.start_time is None:
        return
    if not _same_time(spec, meeting):
        log.warning(
            "meeting %s: sent start %s in %s, Zoom answered %s in %s",
            meeting.id,
            spec.start_time,
            spec.timezone,
            meeting.start_time,
            meeting.timezone,
        )


def _shows(event: Event, info: BlockInfo, properties: dict[str, str]) -> bool:
    return find_block(event.description) == info and all(
        event.private_properties.get(key) == value for key, value in properties.items()
    )


def _block_of(meeting: Meeting) -> BlockInfo:
    return BlockInfo(meeting.join_url, meeting.id, meeting.password)
