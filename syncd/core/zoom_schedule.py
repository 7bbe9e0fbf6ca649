"""When Zoom schedules the occurrences of a recurring meeting (type 8), per its documentation.

A series is expanded in the meeting's own time zone: every occurrence keeps the local wall time
of the first, so across a DST change its UTC instant moves by an hour. Where the documentation
leaves a reading open, `Reading` names the choice, and `READINGS` holds every combination: a
translation syncd sends must schedule the same instants under all of them.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from syncd.core.domain import MeetingSpec, MeetingType, OccurrenceChange

DAILY, WEEKLY, MONTHLY = 1, 2, 3
MAX_INTERVAL = {DAILY: 90, WEEKLY: 12, MONTHLY: 3}
MAX_OCCURRENCES = 60
"""Zoom's published spec; its web pages say 50 (syncd keeps to 60, the API's limit)."""
MONTHLY_WEEKS = (-1, 1, 2, 3, 4)
UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Reading:
    """One way to read what Zoom's documentation leaves open."""

    weeks_start_sunday: bool = True
    """A week of `weekly_days` (1 = Sunday) runs Sunday to Saturday, else Monday to Sunday:
    it matters for a `repeat_interval` over 1."""
    end_is_local_date: bool = False
    """`end_date_time` ends the series on its date in the meeting's zone, not at its instant."""
    short_month_takes_last_day: bool = True
    """A `monthly_day` past a month's end falls on its last day, else that month is skipped."""
    fold: int = 0
    """A wall time that a DST change repeats or skips: the first reading (0) or the second."""

    def describe(self) -> str:
        return (
            f"weeks from {'Sunday' if self.weeks_start_sunday else 'Monday'}, "
            f"end {'as a local date' if self.end_is_local_date else 'as an instant'}, "
            f"short months {'on their last day' if self.short_month_takes_last_day else 'skipped'}"
            f", DST-ambiguous times read {'first' if self.fold == 0 else 'second'}"
        )


READINGS = tuple(
    Reading(sunday, local, last, fold)
    for sunday, local, last, fold in itertools.product(
        (True, False), (False, True), (True, False), (0, 1)
    )
)
"""Every reading, Zoom's most likely (the default) first."""


def occurrence_id(start: datetime) -> str:
    """Zoom's id for an occurrence: its start, in milliseconds since the epoch."""
    return str(int(start.astimezone(UTC).timestamp() * 1000))


def misread(recurrence: Mapping[str, Any], starts: list[datetime], zone: str) -> Reading | None:
    """The first reading under which Zoom would schedule other instants than `starts` for
    `recurrence` from `starts[0]` in `zone`; None when every reading agrees with them."""
    for reading in READINGS:
        if occurrence_starts(recurrence, starts[0], zone, reading) != starts:
            return reading
    return None


def from_next(spec: MeetingSpec, now: datetime) -> MeetingSpec:
    """A series that has begun, as Zoom is sent it: from its first occurrence not yet over,
    with the count left. Zoom may ignore a start in the past on update, and what is over
    need not be scheduled. Unchanged when nothing is over, all is, or a reading would differ."""
    first = parse_utc(spec.start_time)
    if spec.recurrence is None or first is None or spec.timezone is None:
        return spec
    recurrence = dict(spec.recurrence)
    starts = occurrence_starts(recurrence, first, spec.timezone)
    left = [s for s in starts if s + timedelta(minutes=spec.duration or 0) > now]
    if not left or len(left) == len(starts) or "end_times" not in recurrence:
        return spec
    rest = recurrence | {"end_times": len(left)}
    if misread(rest, left, spec.timezone) is not None:
        return spec
    return replace(
        spec, start_time=left[0].strftime(UTC_FORMAT), recurrence=tuple(sorted(rest.items()))
    )


def next_start(spec: MeetingSpec, now: datetime) -> datetime | None:
    """When the meeting made from `spec` next starts (or started, if it is on now); None
    without a fixed time or once it is over. A series' occurrences as Zoom has them: its
    rule's, less those deleted, moved ones where they were moved."""
    first = parse_utc(spec.start_time)
    if first is None or spec.timezone is None:
        return None
    if spec.recurrence is None:
        return first if first + timedelta(minutes=spec.duration or 0) > now else None
    changed = dict(spec.occurrences)
    ahead = []
    for start in occurrence_starts(dict(spec.recurrence), first, spec.timezone):
        change = changed.get(occurrence_id(start))
        if change is not None and change.removed:
            continue
        if change is not None:
            start = parse_utc(change.start_time) or start
        minutes = (change.duration if change else None) or spec.duration or 0
        if start + timedelta(minutes=minutes) > now:
            ahead.append(start)
    return min(ahead, default=None)  # a moved occurrence may come before an earlier one


def parse_utc(text: object) -> datetime | None:
    """A `yyyy-MM-ddTHH:mm:ssZ` string as an aware UTC datetime, else None."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def weekdays(text: object) -> list[int] | None:
    """Zoom's weekly_days ("1,3": Sunday and Tuesday) as sorted day numbers, else None."""
    if not isinstance(text, str | int) or isinstance(text, bool):
        return None
    parts = str(text).split(",")
    if not all(part.strip().isdigit() and int(part) in range(1, 8) for part in parts):
        return None
    return sorted({int(part) for part in parts})


def occurrence_starts(
    recurrence: Mapping[str, Any], first: datetime, zone: str, reading: Reading = Reading()
) -> list[datetime]:
    """The UTC start instants of a valid recurrence whose first start is `first`, expanded in
    `zone` (the meeting's `timezone`); after MAX_OCCURRENCES at most."""
    local_zone = ZoneInfo(zone)
    wall = first.astimezone(local_zone)
    until = parse_utc(recurrence.get("end_date_time"))
    limit = int(recurrence.get("end_times", MAX_OCCURRENCES))
    starts: list[datetime] = []
    for day in _days(recurrence, wall.date(), reading):
        local = datetime.combine(day, wall.time(), tzinfo=local_zone).replace(fold=reading.fold)
        start = local.astimezone(UTC)
        if until is not None and _after_end(local, until, local_zone, reading):
            break
        starts.append(start)
        if len(starts) >= min(limit, MAX_OCCURRENCES):
            break
    return starts


def _after_end(local: datetime, until: datetime, zone: ZoneInfo, reading: Reading) -> bool:
    if reading.end_is_local_date:
        return local.date() > until.astimezone(zone).date()
    return local.astimezone(UTC) > until


def _days(recurrence: Mapping[str, Any], start: date, reading: Reading) -> Iterator[date]:
    kind = int(recurrence["type"])
    interval = int(recurrence.get("repeat_interval", 1))
    if kind == DAILY:
        return (start + timedelta(days=k) for k in itertools.count(0, interval))
    if kind == WEEKLY:
        days = weekdays(recurrence.get("weekly_days", "1")) or []
        return _weekly(start, interval, days, reading.weeks_start_sunday)
    return _monthly(recurrence, start, interval, reading.short_month_takes_last_day)


def _weekly(start: date, interval: int, days: list[int], from_sunday: bool) -> Iterator[date]:
    # Zoom numbers days from Sunday (1); Python's weekday() from Monday (0).
    offsets = sorted((day - 1) if from_sunday else (day - 2) % 7 for day in days)
    week_start = start - timedelta(
        days=(start.isoweekday() % 7) if from_sunday else start.weekday()
    )
    for week in itertools.count(0, interval):
        for offset in offsets:
            day = week_start + timedelta(weeks=week, days=offset)
            if day >= start:
                yield day


def _monthly(
    recurrence: Mapping[str, Any], start: date, interval: int, take_last_day: bool
) -> Iterator[date]:
    for months in itertools.count(0, interval):
        years, month = divmod(start.month - 1 + months, 12)
        day = _day_in_month(recurrence, start.year + years, month + 1, take_last_day)
        if day is not None and day >= start:
            yield day


def _day_in_month(
    recurrence: Mapping[str, Any], year: int, month: int, take_last_day: bool
) -> date | None:
    last = calendar.monthrange(year, month)[1]
    if "monthly_week" not in recurrence:
        wanted = int(recurrence.get("monthly_day", 1))
        if wanted > last and not take_last_day:
            return None
        return date(year, month, min(wanted, last))
    weekday = (int(recurrence["monthly_week_day"]) - 2) % 7
    week = int(recurrence["monthly_week"])
    if week == -1:
        end = date(year, month, last)
        return end - timedelta(days=(end.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))


def occurrence_changes(
    old: MeetingSpec | None, new: MeetingSpec, rescheduled: bool, now: datetime
) -> list[tuple[str, OccurrenceChange]]:
    """The occurrences of a series to delete or move so that Zoom has `new`'s: all of them
    once Zoom has (re)scheduled the series from its rule, else those that changed since
    `old`; never one that is over. An occurrence no longer moved goes back to its rule's
    time and duration. (One no longer removed cannot: Zoom has no way to restore it.)"""
    if new.type is not MeetingType.RECURRING_FIXED_TIME:
        return []
    wanted = dict(new.occurrences)
    if rescheduled or old is None:
        changes = list(wanted.items())
    else:
        had = dict(old.occurrences)
        changes = [(key, change) for key, change in wanted.items() if had.get(key) != change]
        for key, change in had.items():
            if key not in wanted and not change.removed:
                changes.append((key, OccurrenceChange(_rule_start(key), new.duration)))
    return sorted((key, c) for key, c in changes if _ends(key, c, new.duration) > now)


def _rule_start(occurrence_id: str) -> str:
    """An occurrence's own start as its rule has it: Zoom's id is that instant in ms."""
    return datetime.fromtimestamp(int(occurrence_id) / 1000, tz=UTC).strftime(UTC_FORMAT)


def _ends(occurrence_id: str, change: OccurrenceChange, duration: int | None) -> datetime:
    """When the occurrence is over: the later of its rule's end and its moved end."""
    starts = [_rule_start(occurrence_id), change.start_time or _rule_start(occurrence_id)]
    minutes = timedelta(minutes=change.duration or duration or 0)
    return max(datetime.strptime(s, UTC_FORMAT).replace(tzinfo=UTC) for s in starts) + minutes
