"""Event times to Zoom's start_time, timezone and duration (pure); docs/design.md, "Time"."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from syncd.core.domain import REMOVED, Event, MeetingType, OccurrenceChange
from syncd.core.recurrence import ExactSeries, NoFixedTime, translate
from syncd.core.zoom_schedule import occurrence_id
from syncd.core.zoom_zones import is_known_zone, zoom_zone


class AllDayPolicy(enum.StrEnum):
    NO_FIXED_TIME = "no_fixed_time"
    SKIP = "skip"


@dataclass(frozen=True)
class MeetingTime:
    type: MeetingType
    start_time: str | None = None
    duration: int | None = None
    timezone: str | None = None
    recurrence: tuple[tuple[str, Any], ...] | None = None
    occurrences: tuple[tuple[str, OccurrenceChange], ...] = ()
    """A series' occurrences that are not as its rule has them, by Zoom occurrence id."""
    zone: str | None = None
    """The event's own zone (`timezone` is the one Zoom is sent)."""
    no_fixed_time: str | None = None
    """Why the meeting has no fixed time."""
    note: str | None = None


NO_FIXED_TIME = MeetingType.RECURRING_NO_FIXED_TIME


def zoom_utc(instant: datetime) -> str:
    """Zoom's unambiguous form: UTC with `Z`, whole seconds."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def display_zone(event: Event, calendar_zone: str | None) -> str:
    """The zone attendees should see: the event's own, else the calendar's, else UTC."""
    for candidate in (event.start.time_zone if event.start else None, calendar_zone):
        if is_known_zone(candidate):
            return str(candidate)
    return "UTC"


def duration_minutes(start: datetime, end: datetime) -> int:
    """Absolute minutes between two instants, rounded up; at least one.

    Both are converted to UTC first: Python subtracts datetimes that share a tzinfo as wall
    times, which would make a DST night an hour off.
    """
    seconds = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    return max(1, math.ceil(seconds / 60))


def meeting_time(
    event: Event, calendar_zone: str | None, all_day: AllDayPolicy
) -> MeetingTime | None:
    """When the event's meeting happens, in Zoom's terms; None when it gets no meeting."""
    if event.start is None or event.end is None:
        return None
    zone = display_zone(event, calendar_zone)
    shown = zoom_zone(zone)
    if event.start.all_day:
        if all_day is AllDayPolicy.SKIP:
            return None
        why = "an all-day event"
        return MeetingTime(NO_FIXED_TIME, timezone=shown.name, zone=zone, no_fixed_time=why)
    assert event.start.date_time is not None and event.end.date_time is not None
    duration = duration_minutes(event.start.date_time, event.end.date_time)
    if event.recurrence:
        start = event.start.date_time.astimezone(ZoneInfo(zone))
        series = translate(event.recurrence, start, shown.name)
        if isinstance(series, NoFixedTime):
            why = f"a series Zoom cannot express: {series.reason}"
            return MeetingTime(NO_FIXED_TIME, timezone=shown.name, zone=zone, no_fixed_time=why)
        return MeetingTime(
            MeetingType.RECURRING_FIXED_TIME,
            start_time=zoom_utc(series.starts[0]),
            duration=duration,
            timezone=shown.name,
            recurrence=series.recurrence,
            occurrences=_occurrences(event, series, duration),
            zone=zone,
            note=shown.note,
        )
    return MeetingTime(
        MeetingType.SCHEDULED,
        start_time=zoom_utc(event.start.date_time),
        duration=duration,
        timezone=shown.name,
        zone=zone,
        note=shown.note,
    )


def _occurrences(
    event: Event, series: ExactSeries, duration: int
) -> tuple[tuple[str, OccurrenceChange], ...]:
    """The occurrences an EXDATE removes, and the instances cancelled or moved."""
    changed = {occurrence_id(start): REMOVED for start in series.skipped}
    rule = set(series.starts)
    for instance in event.instances:
        original = instance.original_start.date_time if instance.original_start else None
        if original is None or original.astimezone(UTC) not in rule:
            continue
        start, end = instance.start, instance.end
        if instance.cancelled or start is None or end is None or start.date_time is None:
            changed[occurrence_id(original)] = REMOVED
            continue
        assert end.date_time is not None
        own = OccurrenceChange(
            zoom_utc(start.date_time), duration_minutes(start.date_time, end.date_time)
        )
        if own != OccurrenceChange(zoom_utc(original), duration):
            changed[occurrence_id(original)] = own
    return tuple(sorted(changed.items()))


def has_ended(event: Event, now: datetime) -> bool:
    """True for a one-off event that is over; a series is never over here."""
    if event.recurrence or event.end is None:
        return False
    if event.end.date_time is not None:
        return event.end.date_time <= now
    return event.end.date is not None and date.fromisoformat(event.end.date) <= now.date()
