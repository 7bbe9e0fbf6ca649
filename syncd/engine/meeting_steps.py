"""The steps of a plan that talk to Zoom: getting, changing and deleting meetings."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from syncd.core.actions import Reconcile, Rehost, Resolve, Update
from syncd.core.description import BlockInfo, find_block
from syncd.core.domain import (
    MEETING_ID_PROPERTY,
    REPLACED_PROPERTY,
    Event,
    Link,
    Meeting,
    MeetingSpec,
    MeetingType,
    OccurrenceChange,
    reference_for,
)
from syncd.core.errors import (
    HostUnknown,
    MeetingNotFound,
    ZoomAuthError,
    ZoomDailyLimit,
    ZoomError,
    ZoomNotFound,
    ZoomRejected,
    ZoomUnavailable,
)
from syncd.core.meeting_changes import MeetingUpdate, meeting_update
from syncd.core.ports import MeetingsPort
from syncd.core.zoom_schedule import from_next, occurrence_changes
from syncd.engine.journal import JournalWriter
from syncd.engine.report import CalendarReport
from syncd.engine.steps import StepFailed, Unmet, about, where
from syncd.engine.zoom_health import ZoomHealth
from syncd.engine.zoom_listings import HostListings, Listing

log = logging.getLogger(__name__)
T = TypeVar("T")


class MeetingSteps:
    def __init__(
        self,
        zoom: MeetingsPort,
        journal: JournalWriter,
        health: ZoomHealth,
        listings: HostListings,
        report: CalendarReport,
        create_settle: timedelta,
    ) -> None:
        self._zoom = zoom
        self._journal = journal
        self._health = health
        self._report = report
        self._create_settle = create_settle
        self._listings = listings
        self._me_email: str | None = None

    # -- a journal recovered from Zoom ---------------------------------------------------------
    def _delete_stray(self, host: str, event_id: str, meeting_id: int) -> None:
        self._journal.check()
        self._zoom_call(partial(self._zoom.delete_meeting, meeting_id), host)
        self._report.count("meetings_deleted")
        calendar_id = self._journal.calendar_id
        log.warning(
            "event %s/%s: deleted meeting %s, made by a create that reached Zoom after syncd "
            "lost track of it; the event has no meeting now",
            calendar_id,
            event_id,
            meeting_id,
            extra=about(calendar_id, event_id, "stray_deleted", meeting_id),
        )

    def recall(self, event: Event, host: str, also: Iterable[str] = ()) -> bool:
        """Record the meeting Zoom has for the event's reference as found, if there is one
        (a first run, or a lost database). Each host is listed once a pass: the event's own,
        then every host listed before is looked through too, and if none has it, the hosts
        `also` (a meeting made before the event's host changed is its former host's)."""
        reference = reference_for(event.calendar_id, event.id)
        self._listings.of(host, self._references)
        listers = self._listings.hosts_with(reference)
        if not listers:
            for other in _each_worker_its_own_start(self._listings.not_listed(also), reference):
                self._listings.of(other, self._references)
            listers = self._listings.hosts_with(reference)
        if not listers:
            return False
        lister = host if host in listers else listers[0]
        ids = self._listings.ids(lister, reference)
        block = find_block(event.description)
        meeting_id = block.meeting_id if block and block.meeting_id in ids else ids[0]
        try:
            meeting = self._zoom_call(partial(self._zoom.get_meeting, meeting_id), lister)
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            return False
        self.record_found(event, reference, meeting, lister)
        return True

    def _named_besides(
        self, event: Event, reference: str, found: int
    ) -> tuple[Meeting, bool] | None:
        """Another live meeting of the event's (carrying its reference) that the event names,
        and whether a re-host's write-back named it as the one it replaces."""
        block = find_block(event.description)
        replaced = _meeting_id(event.private_properties.get(REPLACED_PROPERTY))
        named = (
            replaced,
            block.meeting_id if block else None,
            _meeting_id(event.private_properties.get(MEETING_ID_PROPERTY)),
        )
        for meeting_id in dict.fromkeys(n for n in named if n is not None and n != found):
            try:
                other = self._zoom_call(partial(self._zoom.get_meeting, meeting_id), None)
            except StepFailed as failure:
                if not _meeting_gone(failure):
                    raise
                continue
            if reference in other.agenda:
                return other, meeting_id == replaced
        return None

    def _references(self, host: str) -> Listing:
        """The host's meetings by reference; none for a host Zoom does not know (creating
        one for it then fails, and tells the user why)."""
        try:
            return self._zoom_call(partial(self._zoom.meeting_references, host), host)
        except StepFailed as failure:
            cause = failure.cause
            if isinstance(cause, HostUnknown):
                return {}
            raise

    def sweep_listed(
        self, links: Sequence[Link], also: Iterable[str], listed_after: datetime
    ) -> bool:
        """List, as far as this pass's share of listings allows, the hosts a sweep looks
        through (the links' and `also`); True once every one is listed after `listed_after`,
        the end of the recovery window."""
        calendar = links[0].calendar_id if links else self._journal.calendar_id
        ready = True
        for host in _each_worker_its_own_start(_hosts_of(links) | set(also), calendar):
            listing = self._listings.for_sweep(
                host, listed_after, self._journal.now, self._references
            )
            ready = ready and listing is not None
        return ready

    def sweep(
        self,
        links: Sequence[Link],
        unmet: Mapping[str, Unmet],
        also: Iterable[str],
        listed_after: datetime,
    ) -> None:
        """Delete each meeting that a create syncd lost track of (killed mid-request, then its
        database lost) made after the recovery looked, or that the recovery could not find
        (one under a host it did not list): a duplicate of a linked meeting, under the link's
        host or another (the lost create went out under the host its event had then), or a
        meeting of an event that has none now (`unmet`, by reference: untagged, cancelled or
        refused since). Looks at the hosts of both, and `also` at these, in listings made
        after every lost create could have landed (`listed_after`, the end of the recovery
        window), shared by the calendars' sweeps. Never a meeting a link holds: one whose
        event moved to another calendar still carries the old calendar's reference until
        its agenda is updated."""
        by_reference = {link.reference: link for link in links if link.meeting_id is not None}
        hosts = _hosts_of(links) | {each.host for each in unmet.values() if each.host}
        calendar = links[0].calendar_id if links else self._journal.calendar_id
        listed = {
            host: self._listings.for_sweep(
                host, listed_after, self._journal.now, self._references, budgeted=False
            )
            or {}
            for host in _each_worker_its_own_start(hosts | set(also), calendar)
        }
        listings = dict(sorted(listed.items()))
        for host, listing in listings.items():
            for reference, ids in listing.items():
                if reference in unmet:
                    for stray in ids:
                        if not self._journal.holds_meeting(stray):
                            self._delete_stray(host, unmet[reference].event_id, stray)
        for link, host, stray in duplicates(listings, by_reference, self._still_has):
            if self._journal.holds_meeting(stray):
                continue  # an event's own meeting: moved here from another calendar
            self._journal.check()
            self._zoom_call(partial(self._zoom.delete_meeting, stray), host)
            self._report.count("meetings_deleted")
            log.warning(
                "event %s/%s: deleted meeting %s, a duplicate of its meeting %s that "
                "reached Zoom after syncd lost track of it",
                link.calendar_id,
                link.event_id,
                stray,
                link.meeting_id,
                extra=about(link.calendar_id, link.event_id, "duplicate_deleted", stray),
            )

    def _still_has(self, link: Link) -> bool:
        """Zoom has the link's meeting, made for its event (one made this pass may be missing
        from its host's listing, taken before)."""
        if link.meeting_id is None:
            return False
        try:
            meeting = self._zoom_call(partial(self._zoom.get_meeting, link.meeting_id), link.host)
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            return False
        return link.reference in meeting.agenda

    def create(
        self, event: Event, spec: MeetingSpec, reference: str, replaces: int | None = None
    ) -> BlockInfo:
        blocked_until = self._health.limit_until(spec.host, self._journal.now())
        if blocked_until is not None:
            limit = ZoomError(f"Zoom: host {spec.host} has used up today's meetings")
            raise StepFailed(limit, retry_at=blocked_until, create_refused=True)
        if self._health.down is not None:
            raise StepFailed(self._health.down, create_refused=True)
        self._journal.check()
        self._journal.begin_create(event, reference, spec.host, replaces)
        try:
            sent = from_next(spec, self._journal.now())
            meeting = self._zoom_call(lambda: self._zoom.create_meeting(sent), spec.host)
        except StepFailed as failure:
            cause = failure.cause
            failure.create_refused = not (
                isinstance(cause, ZoomUnavailable) and not cause.retry_safe
            )
            raise
        # The occurrences are journaled as changed only once they are: a crash in between
        # leaves them to the next pass.
        bare = replace(spec, occurrences=())
        self._journal.meeting(event, reference, meeting, spec.host, bare)
        self._report.count("meetings_created")
        log.info(
            "event %s %r: created Zoom meeting %s (host %s)%s",
            where(event),
            event.summary,
            meeting.id,
            spec.host,
            f"; {spec.note}" if spec.note else "",
            extra=about(event.calendar_id, event.id, "created", meeting.id),
        )
        _check_zoom_kept_the_time(sent, meeting)
        changes = occurrence_changes(None, spec, True, self._journal.now())
        self.change_occurrences(event, meeting.id, spec, changes)
        return block_of_meeting(meeting)

    def find_or_create(
        self,
        event: Event,
        spec: MeetingSpec,
        reference: str,
        host: str,
        sent_at: datetime | None,
        besides: int | None = None,
    ) -> BlockInfo:
        found = self.find(host, reference, sent_at, besides)
        if found is None:
            return self.create(event, spec, reference)
        return self.record_found(event, reference, found, host, replacing=besides)

    def find(
        self, host: str, reference: str, sent_at: datetime | None, besides: int | None = None
    ) -> Meeting | None:
        """The meeting an earlier create of unknown outcome made, if Zoom has it.

        Not found is trusted only once that create can no longer be under way: a syncd that
        was killed mid-request may have left it still travelling to Zoom."""
        found = self._zoom_call(lambda: self._zoom.find_meeting(host, reference, besides), host)
        now = self._journal.now()
        if found is None and sent_at is not None and now < sent_at + self._create_settle:
            pending = ZoomError(f"a create sent at {sent_at:%H:%M:%S} UTC may still reach Zoom")
            raise StepFailed(pending, retry_at=sent_at + self._create_settle)
        return found

    def record_found(
        self,
        event: Event,
        reference: str,
        meeting: Meeting,
        host: str,
        *,
        replacing: int | None = None,
    ) -> BlockInfo:
        """A meeting made for this event under `host`, found again. What it was made from is
        unknown, so none is recorded: the next pass compares it with the event.

        Where the event names another live meeting of its own, either a re-host replaced
        that one (the journal says so, `replacing`; or its write-back did; or its host is
        not the found one's): the re-host, cut short, is finished (the old one is deleted
        once the found one is shown); or the found one is a duplicate (a create syncd lost
        track of): the event keeps the meeting its attendees know, and the recovery's sweep
        deletes the other."""
        replaced = None
        other = self._named_besides(event, reference, meeting.id)
        if other is not None:
            named, by_rehost = other
            if by_rehost or named.id == replacing or _hosted_apart(named, meeting):
                replaced = (named.id, named.host_email or "me")
            else:
                meeting = named
        self._journal.meeting(event, reference, meeting, host, None, replaced)
        self._report.count("meetings_adopted")
        log.info(
            "event %s %r: found its meeting %s, reusing it",
            where(event),
            event.summary,
            meeting.id,
            extra=about(event.calendar_id, event.id, "adopted", meeting.id),
        )
        return block_of_meeting(meeting)

    def adopt(self, event: Event, meeting_id: int, spec: MeetingSpec, reference: str) -> BlockInfo:
        """The meeting the event names, if it exists and was made for this very event."""
        try:
            meeting = self._zoom_call(lambda: self._zoom.get_meeting(meeting_id), spec.host)
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            meeting = None
        if meeting is None or reference not in meeting.agenda:
            return self.create(event, spec, reference)
        return self.record_found(event, reference, meeting, self._host_of(meeting, spec.host))

    def _host_of(self, meeting: Meeting, expected: str) -> str:
        """Who hosts a meeting syncd did not record: the expected host unless Zoom names
        another. Zoom names "me" by its e-mail, so that is looked up to tell: a meeting of
        alice's taken for one of "me"'s would later be "re-hosted" by a second meeting."""
        shown = meeting.host_email
        if shown is None or shown.lower() == expected.lower():
            return expected
        if expected == "me" and shown.lower() == self._me():
            return "me"
        return shown

    def _me(self) -> str:
        """The e-mail of "me", looked up once."""
        if self._me_email is None:
            self._me_email = self._zoom_call(self._zoom.owner_email, None)
        return self._me_email

    # -- keeping it in step --------------------------------------------------------------------
    def update(self, event: Event, action: Update) -> BlockInfo | None:
        """PATCH what changed, then the occurrences; a meeting deleted in Zoom meanwhile is
        made again (its new block then replaces the old one)."""
        try:
            self._apply(event, action.meeting_id, action.changes, action.spec, action.occurrences)
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            log.warning(
                "event %s %r: meeting %s was deleted in Zoom; making a new one",
                where(event),
                event.summary,
                action.meeting_id,
                extra=about(event.calendar_id, event.id, "recreated", action.meeting_id),
            )
            return self.create(event, action.spec, action.reference)
        if action.changes:
            log.info(
                "event %s %r: updated meeting %s (%s)",
                where(event),
                event.summary,
                action.meeting_id,
                ", ".join(sorted(action.changes.names())),
                extra=about(event.calendar_id, event.id, "updated", action.meeting_id),
            )
        return None

    def change_occurrences(
        self,
        event: Event,
        meeting_id: int,
        spec: MeetingSpec,
        changes: Sequence[tuple[str, OccurrenceChange]],
    ) -> None:
        """Delete or move a series' occurrences, then journal the series as `spec`."""
        if not changes:
            return
        self._journal.changing(event.id)
        self._send_occurrences(event, meeting_id, spec, changes)

    def _send_occurrences(
        self,
        event: Event,
        meeting_id: int,
        spec: MeetingSpec,
        changes: Sequence[tuple[str, OccurrenceChange]],
    ) -> None:
        if not changes:
            return
        for occurrence, change in changes:
            self._journal.check()
            try:
                found = self._zoom_call(
                    partial(self._change_occurrence, meeting_id, occurrence, change), spec.host
                )
            except StepFailed as failure:
                if not isinstance(failure.cause, ZoomRejected):
                    raise
                # Retrying cannot help, and must not hold up the series' other occurrences.
                log.warning(
                    "event %s %r: meeting %s: Zoom refused to change occurrence %s: %s",
                    where(event),
                    event.summary,
                    meeting_id,
                    occurrence,
                    failure,
                    extra=about(event.calendar_id, event.id, "occurrence_failed", meeting_id),
                )
                continue
            log.info(
                "event %s %r: meeting %s: occurrence %s %s%s",
                where(event),
                event.summary,
                meeting_id,
                occurrence,
                "deleted" if change.removed else f"moved to {change.start_time}",
                "" if found else " (Zoom did not have it)",
                extra=about(event.calendar_id, event.id, "occurrence_changed", meeting_id),
            )
        self._journal.updated(event.id, spec)
        self._report.count("meetings_updated")

    def reconcile(self, event: Event, action: Reconcile) -> BlockInfo | None:
        """Read the meeting and PATCH only what differs from the event: a GET does not count
        against the host's daily allowance of updates, a PATCH does."""
        try:
            meeting = self._zoom_call(
                lambda: self._zoom.get_meeting(action.meeting_id), action.spec.host
            )
        except StepFailed as failure:
            if not _meeting_gone(failure):
                raise
            return self.create(event, action.spec, action.reference)
        now = self._journal.now()
        changes = meeting_update(_as_made_from(meeting, action.spec), action.spec, now)
        occurrences = tuple(occurrence_changes(None, action.spec, True, now))
        if not changes and not occurrences:
            self._journal.updated(event.id, action.spec)
            return None
        update = Update(action.meeting_id, changes, action.spec, action.reference, occurrences)
        return self.update(event, update)

    def _change_occurrence(
        self, meeting_id: int, occurrence: str, change: OccurrenceChange
    ) -> bool:
        if change.removed:
            return self._zoom.delete_occurrence(meeting_id, occurrence)
        return self._zoom.update_occurrence(meeting_id, occurrence, change)

    def _apply(
        self,
        event: Event,
        meeting_id: int,
        changes: MeetingUpdate,
        spec: MeetingSpec,
        occurrences: Sequence[tuple[str, OccurrenceChange]],
    ) -> None:
        """PATCH the meeting, then its occurrences; the journal records `spec` once both are
        done, and that the meeting is changing before either goes out. A refused occurrence
        is skipped, so only the PATCH can be refused."""
        if not changes and not occurrences:
            return
        self._journal.changing(event.id)
        if changes:
            self._journal.check()
            self._zoom_call(lambda: self._zoom.update_meeting(meeting_id, changes), spec.host)
            if not occurrences:
                self._journal.updated(event.id, spec)
            self._report.count("meetings_updated")
        self._send_occurrences(event, meeting_id, spec, occurrences)

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
                extra=about(link.calendar_id, link.event_id, "recreated", meeting_id),
            )
            self._journal.meeting_gone(link.event_id)
            return
        self._journal.checked(link.event_id)

    def rehost(self, event: Event, action: Rehost) -> BlockInfo | None:
        """Zoom moves a meeting to another host of the account with `schedule_for`. Where it
        will not, a new meeting is made under the new host, replacing the old one, which is
        deleted only once the new one is written back (`drop_replaced`): a refused create
        leaves the event its working meeting."""
        if action.changes is not None:
            try:
                self._apply(
                    event, action.meeting_id, action.changes, action.spec, action.occurrences
                )
            except StepFailed as failure:
                if not isinstance(failure.cause, ZoomRejected | ZoomNotFound):
                    raise
                log.info(
                    "event %s %r: Zoom will not move meeting %s to %s (%s); making a new one",
                    where(event),
                    event.summary,
                    action.meeting_id,
                    action.spec.host,
                    failure,
                    extra=about(event.calendar_id, event.id, "rehosted", action.meeting_id),
                )
            else:
                log.info(
                    "event %s %r: meeting %s moved from host %s to %s",
                    where(event),
                    event.summary,
                    action.meeting_id,
                    action.old_host,
                    action.spec.host,
                    extra=about(event.calendar_id, event.id, "rehosted", action.meeting_id),
                )
                return None
        return self.create(event, action.spec, action.reference, replaces=action.meeting_id)

    def drop_replaced(self, event: Event, meeting_id: int, current: BlockInfo | None) -> None:
        """Delete the meeting a re-host replaced, unless it is still `current`, the meeting
        the event has (its replacement not yet made)."""
        if current is not None and current.meeting_id == meeting_id:
            return
        self.delete(event, meeting_id, "replaced by a meeting of the new host")
        self._journal.replaced_dropped(event.id)

    def delete_followed(self, event: Event, meeting_id: int, why: str) -> None:
        """Delete the event's own meeting, journaled first as changing: an event restored
        (or tagged again) after a crash here has its meeting read again, and made again if
        it is gone, rather than shown as it was."""
        self._journal.changing(event.id)
        self.delete(event, meeting_id, why)

    def delete(self, event: Event, meeting_id: int, why: str) -> None:
        self._journal.check()
        existed = self._zoom_call(lambda: self._zoom.delete_meeting(meeting_id), None)
        self._report.count("meetings_deleted")
        log.info(
            "event %s %r: deleted Zoom meeting %s (%s)%s",
            where(event),
            event.summary,
            meeting_id,
            why,
            "" if existed else "; it was already gone",
            extra=about(event.calendar_id, event.id, "deleted", meeting_id),
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
            self._journal.meeting(event, action.reference, found, action.host, None)
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


def duplicates(
    listings: Mapping[str, Listing],
    links: Mapping[str, Link],
    still_has: Callable[[Link], bool],
) -> Iterator[tuple[Link, str, int]]:
    """The meetings of the hosts' `listings` that duplicate a link's meeting, as (link, host,
    meeting id): every other meeting that carries its reference, under any host. Only where
    Zoom has the linked meeting (listed, else `still_has(link)`), so that an event is never
    left without one, and never a meeting a re-host is still replacing."""
    carrying: dict[str, dict[int, str]] = {}
    for host, listing in listings.items():
        for reference, ids in listing.items():
            if reference in links:
                for meeting_id in ids:
                    carrying.setdefault(reference, {}).setdefault(meeting_id, host)
    for reference, listed in carrying.items():
        link = links[reference]
        keep = (link.meeting_id, link.replaced_meeting_id)
        others = sorted(meeting_id for meeting_id in listed if meeting_id not in keep)
        if others and (link.meeting_id in listed or still_has(link)):
            for meeting_id in others:
                yield link, listed[meeting_id], meeting_id


def _hosts_of(links: Iterable[Link]) -> set[str]:
    return {link.host for link in links if link.meeting_id is not None and link.host}


def _each_worker_its_own_start(hosts: Iterable[str], key: str) -> list[str]:
    """The hosts in an order of `key`'s own (an event's reference, a calendar): workers
    looking through the same hosts for different events list different ones at once, instead
    of queueing behind one another."""
    ordered = sorted(hosts)
    if not ordered:
        return ordered
    start = zlib.crc32(key.encode()) % len(ordered)
    return ordered[start:] + ordered[:start]


def _meeting_gone(failure: StepFailed) -> bool:
    """Zoom says the meeting does not exist (404 code 3001), not that something else is
    missing (a user, 1001)."""
    return isinstance(failure.cause, MeetingNotFound)


def _as_made_from(meeting: Meeting, spec: MeetingSpec) -> MeetingSpec:
    """The meeting as Zoom shows it, in the terms of the spec it is compared with."""
    shown = {name: meeting.settings[name] for name, _ in spec.settings if name in meeting.settings}
    return MeetingSpec(
        topic=meeting.topic,
        agenda=meeting.agenda,
        type=_meeting_type(meeting.type) or spec.type,
        host=spec.host,
        start_time=meeting.start_time,
        duration=meeting.duration,
        timezone=meeting.timezone,
        settings=tuple(sorted(shown.items())),
    )


def _hosted_apart(one: Meeting, other: Meeting) -> bool:
    first, second = one.host_email, other.host_email
    return first is not None and second is not None and first.lower() != second.lower()


def _meeting_id(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdecimal() else None


def _meeting_type(value: int | None) -> MeetingType | None:
    try:
        return MeetingType(value) if value is not None else None
    except ValueError:
        return None


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
