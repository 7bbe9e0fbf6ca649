"""What should happen to one event, given what the store knows (pure).

The planner turns (event, stored link) into a `Plan`: the meeting the event should have and
the steps that get it there. The engine carries the steps out and journals each one.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime

from syncd.description import find_block, plain_text, remove_block
from syncd.domain import MEETING_ID_PROPERTY, Event, Link, LinkState, MeetingSpec
from syncd.tagging import is_tagged, strip_tag
from syncd.timing import AllDayPolicy, has_ended, meeting_time

TOPIC_LIMIT = 200
AGENDA_LIMIT = 2000
REFERENCE_PREFIX = "syncd-ref:"


@dataclass(frozen=True)
class Settings:
    """The parts of the configuration that decide what an event should get."""

    tag: str = "#zoom"
    host: str = "me"
    all_day: AllDayPolicy = AllDayPolicy.NO_FIXED_TIME


class Step(enum.StrEnum):
    RESOLVE = "resolve"
    """The event wants no meeting any more: settle what an earlier failed attempt left."""
    CREATE = "create"
    """Create the meeting: no meeting exists for this event."""
    FIND_OR_CREATE = "find_or_create"
    """An earlier create's outcome is unknown: look for its reference first."""
    ADOPT = "adopt"
    """The event names a meeting the store does not know (a lost database): reuse it."""
    WRITE_BACK = "write_back"
    """Put the meeting into the event's description and extended properties."""


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    spec: MeetingSpec | None = None
    reason: str = ""

    @property
    def idle(self) -> bool:
        return not self.steps


def reference_for(calendar_id: str, event_id: str) -> str:
    """A stable name for an event's meeting, written into its agenda (our idempotency key)."""
    digest = hashlib.sha256(f"{calendar_id}\n{event_id}".encode()).hexdigest()[:24]
    return f"{REFERENCE_PREFIX}{digest}"


def resolve_host(event: Event, host_setting: str) -> str:
    if host_setting == "organizer":
        return event.organizer_email or "me"
    return host_setting


def topic_for(event: Event, tag: str) -> str:
    topic = strip_tag(event.summary, tag) or "Meeting"
    return topic[:TOPIC_LIMIT]


def agenda_for(event: Event, reference: str) -> str:
    """The reference first: Zoom lists meetings with their agenda cut short, and the lookup
    after a lost create response must still see it; then the description as plain text."""
    text = plain_text(remove_block(event.description))
    room = AGENDA_LIMIT - len(reference) - 1
    return f"{reference}\n{text[:room]}" if text else reference


def meeting_spec(event: Event, settings: Settings, calendar_zone: str | None) -> MeetingSpec | None:
    when = meeting_time(event, calendar_zone, settings.all_day)
    if when is None:
        return None
    return MeetingSpec(
        topic=topic_for(event, settings.tag),
        agenda=agenda_for(event, reference_for(event.calendar_id, event.id)),
        type=when.type,
        host=resolve_host(event, settings.host),
        start_time=when.start_time,
        duration=when.duration,
        timezone=when.timezone,
        note=when.note,
    )


def carries_link(event: Event, link: Link) -> bool:
    """Does the event already show this link's meeting, block and property both?"""
    block = find_block(event.description)
    return (
        block is not None
        and block.meeting_id == link.meeting_id
        and block.join_url == link.join_url
        and event.private_properties.get(MEETING_ID_PROPERTY) == str(link.meeting_id)
    )


def wants_meeting(event: Event, tag: str) -> bool:
    """A live, tagged event in its organizer's calendar (an invitation's copy is left alone)."""
    return (
        not event.cancelled
        and not event.recurring_event_id
        and event.organizer_self
        and is_tagged(event, tag)
    )


def adoptable_meeting_id(event: Event) -> int | None:
    """The meeting id the event carries from an earlier link, if it carries a valid one."""
    value = event.private_properties.get(MEETING_ID_PROPERTY, "")
    return int(value) if value.isascii() and value.isdecimal() else None


def plan(
    event: Event, link: Link | None, settings: Settings, calendar_zone: str | None, now: datetime
) -> Plan:
    """The steps that give a tagged event its meeting; none for anything else."""
    if not wants_meeting(event, settings.tag):
        if link is not None and link.next_attempt_at is not None:
            return Plan((Step.RESOLVE,), reason="no longer asks for a meeting")
        return Plan((), reason="does not ask for a meeting")
    if link is not None and link.state is LinkState.LINKED:
        if carries_link(event, link):
            return Plan((), reason="up to date")
        return Plan((Step.WRITE_BACK,), reason="event lost its meeting block")
    if link is not None and link.state is LinkState.CREATED:
        return Plan((Step.WRITE_BACK,), reason="meeting not yet written back")
    if link is None and has_ended(event, now):
        return Plan((), reason="event has ended")
    spec = meeting_spec(event, settings, calendar_zone)
    if spec is None:
        return Plan((), reason="all-day event (all_day = skip)")
    return Plan((_first_step(event, link), Step.WRITE_BACK), spec=spec, reason="tagged")


def _first_step(event: Event, link: Link | None) -> Step:
    if link is not None and link.state is LinkState.CREATING:
        return Step.FIND_OR_CREATE
    if link is None and adoptable_meeting_id(event) is not None:
        return Step.ADOPT
    return Step.CREATE
