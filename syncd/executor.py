"""Carrying out one event's plan against Zoom and Google, journaling every step.

Each step is committed to the store before the next request goes out, so a crash anywhere
leaves a row that tells the next pass exactly what to finish (DESIGN section 4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from syncd.description import BlockInfo, find_block, insert_block
from syncd.domain import MEETING_ID_PROPERTY, Event, Link, LinkState, Meeting, MeetingSpec
from syncd.google_calendar import Conflict, GoogleCalendar, GoogleError
from syncd.planner import Plan, Settings, Step, adoptable_meeting_id, reference_for, wants_meeting
from syncd.report import CalendarReport
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


def where(event: Event) -> str:
    return f"{event.calendar_id}/{event.id}"


class Executor:
    def __init__(
        self,
        store: Store,
        google: GoogleCalendar,
        zoom: ZoomClient,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        retry_max_seconds: float,
        create_settle_seconds: float,
    ) -> None:
        self.store = store
        self.google = google
        self.zoom = zoom
        self.settings = settings
        self._clock = clock
        self._retry_max_seconds = retry_max_seconds
        self._create_settle = timedelta(seconds=create_settle_seconds)
        self.zoom_down: ZoomError | None = None
        """Zoom failed in a way that will fail every request this pass: stop sending them."""
        self._hosts_at_limit: dict[str, datetime] = {}
        self._owner: str | None = None
        self._guard: Callable[[], None] = lambda: None

    def new_pass(self) -> None:
        self.zoom_down = None

    def work_for(self, owner: str | None, guard: Callable[[], None]) -> None:
        """Whose lease the journal writes are fenced by, and the check made before each
        request that changes Zoom or Google (it raises when the lease is gone)."""
        self._owner = owner
        self._guard = guard

    def carry_out(
        self, event: Event, link: Link | None, decision: Plan, report: CalendarReport
    ) -> None:
        try:
            self._steps(event, link, decision, report)
        except StepFailed as failure:
            self._record_failure(event.calendar_id, event.id, failure, report)

    def queue(
        self, calendar_id: str, event_id: str, cause: Exception, report: CalendarReport
    ) -> None:
        """Queue an event whose plan could not even be made (its event could not be read)."""
        self._record_failure(calendar_id, event_id, StepFailed(cause), report)

    def _steps(
        self, event: Event, link: Link | None, decision: Plan, report: CalendarReport
    ) -> None:
        reference = reference_for(event.calendar_id, event.id)
        info = _block_of(link)
        for step in decision.steps:
            if step is Step.WRITE_BACK:
                assert info is not None
                self._write_back(event, info, report)
            elif step is Step.RESOLVE:
                self._resolve(event, link)
            else:
                assert decision.spec is not None
                meeting = self._obtain(step, event, link, decision.spec, reference, report)
                info = BlockInfo(meeting.join_url, meeting.id, meeting.password)

    # -- getting a meeting ---------------------------------------------------------------------
    def _obtain(
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
            assert link is not None
            found = self._find(link, link.host or spec.host)
        elif step is Step.ADOPT:
            found = self._adoptable(event, reference)
        if found is None:
            return self._create(event, spec, reference, report)
        self.store.record_meeting(
            event.calendar_id, event.id, reference, found, spec.host, self._clock(), self._owner
        )
        report.meetings_adopted += 1
        log.info(
            "event %s %r: found its meeting %s, reusing it", where(event), event.summary, found.id
        )
        return found

    def _find(self, link: Link, host: str) -> Meeting | None:
        """The meeting an earlier create of unknown outcome made, if Zoom has it.

        Not found is trusted only once that create can no longer be under way: a syncd that
        was killed mid-request may have left it still travelling to Zoom."""
        found = self._zoom_call(lambda: self.zoom.find_meeting(host, link.reference))
        settled_at = (link.create_sent_at or self._clock()) + self._create_settle
        if found is None and link.create_sent_at is not None and self._clock() < settled_at:
            pending = ZoomError(
                f"a create sent at {link.create_sent_at:%H:%M:%S} UTC may still reach Zoom"
            )
            raise StepFailed(pending, retry_at=settled_at)
        return found

    def _adoptable(self, event: Event, reference: str) -> Meeting | None:
        """The meeting the event names, if it exists and was made for this very event."""
        meeting_id = adoptable_meeting_id(event)
        assert meeting_id is not None
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
        if self.zoom_down is not None:
            raise StepFailed(self.zoom_down, create_refused=True)
        self._guard()
        self.store.begin_create(
            event.calendar_id, event.id, reference, spec.host, self._clock(), self._owner
        )
        try:
            meeting = self._zoom_call(lambda: self.zoom.create_meeting(spec))
        except StepFailed as failure:
            cause = failure.cause
            if isinstance(cause, ZoomDailyLimit):
                self._hosts_at_limit[spec.host] = cause.retry_at
            failure.create_refused = not (
                isinstance(cause, ZoomUnavailable) and not cause.retry_safe
            )
            raise
        self.store.record_meeting(
            event.calendar_id, event.id, reference, meeting, spec.host, self._clock(), self._owner
        )
        report.meetings_created += 1
        log.info(
            "event %s %r: created Zoom meeting %s (host %s)%s",
            where(event),
            event.summary,
            meeting.id,
            spec.host,
            f"; {spec.note}" if spec.note else "",
        )
        _check_zoom_kept_the_time(spec, meeting)
        return meeting

    def _resolve(self, event: Event, link: Link | None) -> None:
        """An event that no longer wants a meeting, after a create of unknown outcome: find out
        whether the meeting exists, so that it is on record, and stop retrying."""
        assert link is not None
        if link.state is LinkState.CREATING and link.host:
            found = self._find(link, link.host)
            if found is not None:
                self.store.record_meeting(
                    link.calendar_id,
                    link.event_id,
                    link.reference,
                    found,
                    link.host,
                    self._clock(),
                    self._owner,
                )
        self.store.settle(link.calendar_id, link.event_id)

    def _zoom_call(self, call: Callable[[], T]) -> T:
        """Call Zoom unless it already failed this pass; turn its errors into StepFailed."""
        if self.zoom_down is not None:
            raise StepFailed(self.zoom_down)
        try:
            return call()
        except ZoomDailyLimit as exc:
            raise StepFailed(exc, retry_at=exc.retry_at) from exc
        except ZoomError as exc:
            if isinstance(exc, ZoomAuthError | ZoomUnavailable):
                self.zoom_down = exc
            raise StepFailed(exc) from exc

    # -- writing back --------------------------------------------------------------------------
    def _write_back(self, event: Event, info: BlockInfo, report: CalendarReport) -> None:
        properties = {MEETING_ID_PROPERTY: str(info.meeting_id)}
        for _ in range(WRITE_BACK_ATTEMPTS):
            if not wants_meeting(event, self.settings.tag):
                log.info(
                    "event %s changed while syncd wrote it and no longer asks for a "
                    "meeting; leaving it alone",
                    where(event),
                )
                return
            if _shows(event, info, properties):
                break
            self._guard()
            try:
                event = self.google.patch_event(
                    event,
                    description=insert_block(event.description, info),
                    private_properties=properties,
                )
                report.events_written += 1
                log.info(
                    "event %s %r: wrote meeting %s into the description",
                    where(event),
                    event.summary,
                    info.meeting_id,
                )
                break
            except Conflict:
                log.info("event %s changed while syncd wrote it; merging again", where(event))
                event = self._reread(event)
            except GoogleError as exc:
                raise StepFailed(exc) from exc
        else:
            raise StepFailed(Conflict(f"event {event.id} kept changing while syncd wrote it"))
        self.store.record_linked(event.calendar_id, event.id, self._owner)

    def _reread(self, event: Event) -> Event:
        try:
            return self.google.get_event(event.calendar_id, event.id)
        except GoogleError as exc:
            raise StepFailed(exc) from exc

    # -- failures ------------------------------------------------------------------------------
    def _record_failure(
        self, calendar_id: str, event_id: str, failure: StepFailed, report: CalendarReport
    ) -> None:
        link = self.store.links(calendar_id, [event_id]).get(event_id)
        attempts = link.attempts if link else 0
        delay = min(self._retry_max_seconds, FIRST_RETRY_SECONDS * 2**attempts)
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


def _check_zoom_kept_the_time(spec: MeetingSpec, meeting: Meeting) -> None:
    """Zoom answers with the start it understood: say so if it is not the one sent."""
    if spec.start_time is None:
        return
    if (meeting.start_time, meeting.timezone) != (spec.start_time, spec.timezone):
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


def _block_of(link: Link | None) -> BlockInfo | None:
    if link is None or link.meeting_id is None or link.join_url is None:
        return None
    return BlockInfo(link.join_url, link.meeting_id, link.passcode)
