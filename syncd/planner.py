"""What should happen to one event, given what the store knows (pure).

The planner turns (event, stored link) into a `Plan`: the meeting the event should have and
the steps that get it there. The engine carries the steps out and journals each one.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from syncd.description import find_block, remove_block
from syncd.domain import MEETING_ID_PROPERTY, Event, Link, LinkState, MeetingSpec
from syncd.tagging import is_tagged, strip_tag
from syncd.timing import AllDayPolicy, has_ended, meeting_time

TOPIC_LIMIT = 200
AGENDA_LIMIT = 250
"""Zoom allows 2,000 characters, but lists meetings with their agenda cut to 250: the
reference at the agenda's end must survive that cut to be found after a lost response."""
REFERENCE_PREFIX = "syncd-ref:"
_HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Settings:
    """The parts of the configuration that decide what an event should get."""

    tag: str = "#zoom"
    host: str = "me"
    all_day: AllDayPolicy = AllDayPolicy.NO_FIXED_TIME


class Step(enum.StrEnum):
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
    text = _HTML_TAG.sub("\n", remove_block(event.description))
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    room = AGENDA_LIMIT - len(reference) - 1
    return f"{text[:room]}\n{reference}" if text else reference


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


def plan(
    event: Event, link: Link | None, settings: Settings, calendar_zone: str | None, now: datetime
) -> Plan:
    """The steps that give a tagged event its meeting; none for anything else."""
    if event.cancelled or event.recurring_event_id:
        return Plan((), reason="cancelled" if event.cancelled else "instance of a series")
    if not is_tagged(event, settings.tag):
        return Plan((), reason="not tagged")
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
    if link is None and event.private_properties.get(MEETING_ID_PROPERTY, "").isdigit():
        return Step.ADOPT
    return Step.CREATE
