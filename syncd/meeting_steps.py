"""The steps of a plan that talk to Zoom: getting, changing and deleting meetings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from syncd.actions import Rehost, Resolve, Update
from syncd.description import BlockInfo
from syncd.domain import Event, Link, Meeting, MeetingSpec
from syncd.journal import JournalWriter
from syncd.ports import MeetingsPort
from syncd.report import CalendarReport
from syncd.steps import StepFailed, where
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
T = TypeVar("T")


class MeetingSteps:
    def __init__(
        self,
        zoom: MeetingsPort,
        journal: JournalWriter,
        health: ZoomHealth,
        report: CalendarReport,
        create_settle: timedelta,
    ) -> None:
        self._zoom = zoom
        self._journal = journal
        self._health = health
        self._report = report
        self._create_settle = create_settle

    def create(self, event: Event, spec: MeetingSpec, reference: str) -> BlockInfo:
        blocked_until = self._health.limit_until(spec.host, self._journal.now())
        if blocked_until is not None:
            limit = ZoomError(f"Zoom: host {spec.host} has used up today's meetings")
            raise StepFailed(limit, retry_at=blocked_until, create_refused=True)
        if self._health.down is not None:
            raise StepFailed(self._health.down, create_refused=True)
        self._journal.check()
        self._journal.begin_create(event.id, reference, spec.host)
        try:
            meeting = self._zoom_call(lambda: self._zoom.create_meeting(spec), spec.host)
        except StepFailed as failure:
            cause = failure.cause
            failure.create_refused = not (
                isinstance(cause, ZoomUnavailable) and not cause.retry_safe
            )
            raise
        self._journal.meeting(event.id, reference, meeting, spec.host, spec)
        self._report.meetings_created += 1
        log.info(
            "event %s %r: created Zoom meeting %s (host %s)%s",
            where(event),
            event.summary,
            meeting.id,
            spec.host,
            f"; {spec.note}" if spec.note else "",
        )
        _check_zoom_kept_the_time(spec, meeting)
        return block_of_meeting(meeting)

    def find_or_create(
        self,
        event: Event,
        spec: MeetingSpec,
        reference: str,
        host: str,
        sent_at: datetime | None,
    ) -> BlockInfo:
        found = self.find(host, reference, sent_at)
        if found is None:
            return self.create(event, spec, reference)
        return self.record_found(event, reference, found, spec)

    def find(self, host: str, reference: str, sent_at: datetime | None) -> Meeting | None:
        """The meeting an earlier create of unknown outcome made, if Zoom has it.

        Not found is trusted only once that create can no longer be under way: a syncd that
        was killed mid-request may have left it still travelling to Zoom."""
        found = self._zoom_call(lambda: self._zoom.find_meeting(host, reference), host)
        now = self._journal.now()
        if found is None and sent_at is not None and now < sent_at + self._create_settle:
            pending = ZoomError(f"a create sent at {sent_at:%H:%M:%S} UTC may still reach Zoom")
            raise StepFailed(pending, retry_at=sent_at + self._create_settle)
        return found

    def record_found(
        self, event: Event, reference: str, meeting: Meeting, spec: MeetingSpec
    ) -> BlockInfo:
        """A meeting made for this event, found again. What it was made from is unknown, so
        none is recorded: the next pass sends the event's whole schedule once."""
        self._journal.meeting(event.id, reference, meeting, spec.host, None)
        self._report.meetings_adopted += 1
        log.info(
            "event %s %r: found its meeting %s, reusing it", where(event), event.summary, meeting.id
        )
        return block_of_meeting(meeting)

    def adopt(
        self, event: Event, meeting_id: int, spec: MeetingSpec, reference: str
    ) -> BlockInfo:
        """The meeting the event names, if it exists and was made for this very event."""
        try:
            meeting = self._zoom_call(lambda: self._zoom.get_meeting(meeting_id), spec.host)
        except StepFailed as failure:
            if not isinstance(failure.cause, ZoomNotFound):
                raise
            meeting = None
        if meeting is None or reference not in meeting.agenda:
            return self.create(event, spec, reference)
        return self.record_found(event, reference, meeting, spec)

    # -- keeping it in step --------------------------------------------------------------------
    def update(self, event: Event, action: Update) -> BlockInfo | None:
        """PATCH what changed; a meeting deleted in Zoom meanwhile is made again (its new
        block then replaces the old one)."""
        try:
            self._patch(event, action.meeting_id, action.changes, action.spec)
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            log.warning(
                "event %s %r: meeting %s was deleted in Zoom; making a new one",
                where(event),
                event.summary,
                action.meeting_id,
            )
            return self.create(event, action.spec, action.reference)
        log.info(
            "event %s %r: updated meeting %s (%s)",
            where(event),
            event.summary,
            action.meeting_id,
            ", ".join(sorted(action.changes)),
        )
        return None

    def _patch(
        self, event: Event, meeting_id: int, body: Mapping[str, Any], spec: MeetingSpec
    ) -> None:
        self._journal.check()
        self._zoom_call(lambda: self._zoom.update_meeting(meeting_id, body), spec.host)
        self._journal.updated(event.id, spec)
        self._report.meetings_updated += 1

    def verify(self, link: Link, meeting_id: int) -> None:
        """The audit: is the meeting still in Zoom? If not, the event is due for a new one."""
        try:
            self._zoom_call(lambda: self._zoom.get_meeting(meeting_id), None)
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            log.warning(
                "event %s/%s: meeting %s was deleted in Zoom; making a new one",
                link.calendar_id,
                link.event_id,
                meeting_id,
            )
            self._journal.meeting_gone(link.event_id)
            return
        self._journal.checked(link.event_id)

    def rehost(self, event: Event, action: Rehost) -> BlockInfo | None:
        """Zoom moves a meeting to another host of the account with `schedule_for`; where it
        refuses, the old meeting goes first and a new one is made under the new host (a crash
        in between leaves a link whose update finds the meeting gone and makes it again)."""
        if action.changes is not None:
            try:
                self._patch(event, action.meeting_id, action.changes, action.spec)
            except StepFailed as failure:
                if not isinstance(failure.cause, ZoomRejected | ZoomNotFound):
                    raise
            else:
                log.info(
                    "event %s %r: meeting %s moved from host %s to %s",
                    where(event),
                    event.summary,
                    action.meeting_id,
                    action.old_host,
                    action.spec.host,
                )
                return None
        self.delete(event, action.meeting_id, f"host changes to {action.spec.host}")
        return self.create(event, action.spec, action.reference)

    def delete(self, event: Event, meeting_id: int, why: str) -> None:
        self._journal.check()
        existed = self._zoom_call(lambda: self._zoom.delete_meeting(meeting_id), None)
        self._report.meetings_deleted += 1
        log.info(
            "event %s %r: deleted Zoom meeting %s (%s)%s",
            where(event),
            event.summary,
            meeting_id,
            why,
            "" if existed else "; it was already gone",
        )

    def resolve(self, event: Event, action: Resolve) -> None:
        """An event that no longer wants a meeting, after a create of unknown outcome: find
        out whether the meeting exists, then delete it or keep it."""
        found = self.find(action.host, action.reference, action.sent_at)
        if found is None:
            self._journal.forget(event.id)
        elif action.delete:
            self.delete(event, found.id, "made by an interrupted create, no longer wanted")
            self._journal.forget(event.id)
        else:
            self._journal.meeting(event.id, action.reference, found, action.host, None)
            self._journal.kept(event.id)

    def _zoom_call(self, call: Callable[[], T], host: str | None) -> T:
        """Call Zoom unless it already failed this pass; turn its errors into StepFailed."""
        if self._health.down is not None:
            raise StepFailed(self._health.down)
        try:
            return call()
        except ZoomDailyLimit as exc:
            if host is not None:
                self._health.host_at_limit(host, exc.retry_at)
            raise StepFailed(exc, retry_at=exc.retry_at) from exc
        except ZoomError as exc:
            if isinstance(exc, ZoomAuthError | ZoomUnavailable):
                self._health.down = exc
            raise StepFailed(exc) from exc

    # -- the event -----------------------------------------------------------------------------


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


def block_of_meeting(meeting: Meeting) -> BlockInfo:
    return BlockInfo(meeting.join_url, meeting.id, meeting.password)
