"""Plain data that flows between the adapters, the planner and the engine."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncd.core.description import BlockInfo

MEETING_ID_PROPERTY = "syncd_meeting_id"
"""Key in the event's `extendedProperties.private` that names its Zoom meeting."""
REPLACED_PROPERTY = "syncd_replaced_meeting_id"
"""The meeting a re-host replaced, named with the new one until a later write: after a lost
database, the only trace of an old meeting the re-host had not yet deleted."""
REFERENCE_PREFIX = "syncd-ref:"


def reference_for(calendar_id: str, event_id: str) -> str:
    """A stable name for an event's meeting, written into its agenda (our idempotency key)."""
    digest = hashlib.sha256(f"{calendar_id}\n{event_id}".encode()).hexdigest()[:24]
    return f"{REFERENCE_PREFIX}{digest}"


@dataclass(frozen=True)
class EventTime:
    """Google's `start`/`end`: either `date_time` (timed) or `date` (all-day)."""

    date_time: datetime | None = None
    date: str | None = None
    time_zone: str | None = None

    @property
    def all_day(self) -> bool:
        return self.date_time is None


@dataclass(frozen=True)
class Event:
    """A Google Calendar event as syncd needs it."""

    calendar_id: str
    id: str
    status: str = "confirmed"
    etag: str | None = None
    summary: str = ""
    description: str = ""
    start: EventTime | None = None
    end: EventTime | None = None
    recurrence: tuple[str, ...] = ()
    recurring_event_id: str | None = None
    original_start: EventTime | None = None
    """For one instance of a series: when the series' rule has it start."""
    instances: tuple[Event, ...] = ()
    """For a series whose meeting has Zoom occurrences: its instances, cancelled ones
    included (read so that the occurrences follow those cancelled or moved)."""
    organizer_email: str | None = None
    organizer_self: bool = True
    """This copy of the event is in its organizer's calendar (not an invitation's copy)."""
    private_properties: Mapping[str, str] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


class MeetingType(enum.IntEnum):
    """Zoom's meeting `type` values that syncd creates."""

    SCHEDULED = 2
    RECURRING_NO_FIXED_TIME = 3
    RECURRING_FIXED_TIME = 8


@dataclass(frozen=True)
class OccurrenceChange:
    """One occurrence of a series that is not as its rule has it: removed (an EXDATE, a
    cancelled instance), or moved to its own start (UTC `Z`) and duration."""

    start_time: str | None = None
    duration: int | None = None

    @property
    def removed(self) -> bool:
        return self.start_time is None


REMOVED = OccurrenceChange()


@dataclass(frozen=True)
class MeetingSpec:
    """The Zoom meeting an event should have, in Zoom's own terms."""

    topic: str
    agenda: str
    type: MeetingType
    host: str
    start_time: str | None = None
    """UTC with `Z`, never a local time: see docs/design.md, "Time"."""
    duration: int | None = None
    timezone: str | None = None
    settings: tuple[tuple[str, Any], ...] = ()
    """Zoom's own `settings` fields from `[zoom.settings]`, as sorted (name, value) pairs."""
    recurrence: tuple[tuple[str, Any], ...] | None = None
    """A series' Zoom `recurrence` object (type 8), as sorted (name, value) pairs."""
    occurrences: tuple[tuple[str, OccurrenceChange], ...] = ()
    """A series' occurrences that differ from its rule, by Zoom occurrence id, sorted."""
    zone: str | None = field(default=None, compare=False)
    """The event's own time zone (`timezone` is the one Zoom knows), for `syncd status`."""
    no_fixed_time: str | None = field(default=None, compare=False)
    """Why a meeting of type 3 has no fixed time (a series Zoom cannot express, all day)."""
    note: str | None = field(default=None, compare=False)
    """Why the meeting is less exact than the event, or who hosts it and why (logged, never
    sent); not part of what the meeting is made from."""


@dataclass(frozen=True)
class Meeting:
    """A Zoom meeting as Zoom describes it."""

    id: int
    join_url: str
    password: str = ""
    agenda: str = ""
    start_time: str | None = None
    timezone: str | None = None
    topic: str = ""
    type: int | None = None
    duration: int | None = None
    host_email: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


class LinkState(enum.StrEnum):
    """Where an event's meeting is in the journal (docs/design.md, "The journal")."""

    PENDING = "pending"
    """No meeting exists for sure (none was asked for, or Zoom refused the request)."""
    CREATING = "creating"
    """A create may have reached Zoom; its outcome is unknown until the reference is looked up."""
    CREATED = "created"
    """The meeting exists; the event does not carry it yet."""
    LINKED = "linked"
    """The meeting exists and the event's description carries it."""
    KEPT = "kept"
    """The event was cancelled and `on_cancel = "keep"` left its meeting in Zoom."""

    @property
    def has_meeting(self) -> bool:
        return self in (LinkState.CREATED, LinkState.LINKED, LinkState.KEPT)


@dataclass(frozen=True)
class Link:
    """What the store knows about one event's meeting."""

    calendar_id: str
    event_id: str
    reference: str
    state: LinkState
    meeting_id: int | None = None
    join_url: str | None = None
    passcode: str = ""
    host: str | None = None
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    create_sent_at: datetime | None = None
    """When the last create request went out (its outcome may be unknown)."""
    made_from: MeetingSpec | None = None
    """What the meeting was last created or updated from: a pass compares it with what the
    event asks for now, so that it knows without asking Zoom whether anything changed."""
    held_at: datetime | None = None
    """When the mass-change guard held back this link's deletion."""
    parked_at: datetime | None = None
    """When syncd stopped retrying (`last_error` says why) until `syncd retry`."""
    replaced_meeting_id: int | None = None
    """A meeting a re-host replaced with a new one, to delete once the new one exists."""
    summary: str | None = None
    """The event's summary when syncd last created, found or failed to make its meeting."""
    waiting_since: datetime | None = None
    """When the event's first failure since it last had what it asked for happened."""
    departed_at: datetime | None = None
    """When the event was first seen gone from its calendar (its meeting not yet deleted:
    the event may have moved to another watched calendar)."""

    @property
    def block(self) -> BlockInfo | None:
        """What the event's block should say about this link's meeting, if it has one."""
        if self.meeting_id is None or self.join_url is None:
            return None
        return BlockInfo(self.join_url, self.meeting_id, self.passcode)


@dataclass(frozen=True)
class ChangePage:
    """One page of a calendar's changed events."""

    events: list[Event]
    time_zone: str | None
    next_sync_token: str | None


@dataclass(frozen=True)
class CalendarState:
    """A watched calendar as the store keeps it: its sync token, last pass and lease."""

    id: str
    sync_token: str | None = None
    time_zone: str | None = None
    last_pass_started_at: datetime | None = None
    last_pass_finished_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    settings_fingerprint: str | None = None
    recovering_until: datetime | None = None
    out_of_scope_since: datetime | None = None
    """Since when the calendar is no longer watched (its user left the directory's scope):
    not read, its links and meetings kept."""
    changes_read_at: datetime | None = None
    """Every change made before this instant has been read (the start of the last pass
    whose listing completed)."""
