"""A Google series as Zoom's recurrence (pure): exact where Zoom can express it, else why not.

"Exact" is checked, not assumed: the occurrences Zoom would schedule, expanded in the zone it
is sent under every reading its documentation leaves open (`zoom_schedule.READINGS`), must be
the series' occurrences as python-dateutil expands the RRULE in the event's zone, as UTC
instants. The rule's own translation is tried first, then one read off its occurrences: a
limit of the rule's letter that its occurrences never meet (the interval of a series with one
occurrence) costs no fixed time. An EXDATE removes one occurrence of the rule; Zoom is told by
deleting that occurrence. See docs/design.md, "Recurring events".
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from syncd.core.zoom_schedule import (
    DAILY,
    MAX_INTERVAL,
    MAX_OCCURRENCES,
    MONTHLY,
    MONTHLY_WEEKS,
    WEEKLY,
    Reading,
    misread,
)

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""RFC 5545's weekdays in Python's order (Monday = 0)."""
UNITS = {DAILY: "days", WEEKLY: "weeks", MONTHLY: "months"}
NOT_EXPRESSIBLE = {
    "BYSETPOS": "BYSETPOS (the n-th of a set of days)",
    "BYMONTH": "BYMONTH (only some months)",
    "BYYEARDAY": "BYYEARDAY (days of the year)",
    "BYWEEKNO": "BYWEEKNO (weeks of the year)",
    "BYHOUR": "BYHOUR (several times a day)",
    "BYMINUTE": "BYMINUTE (several times a day)",
    "BYSECOND": "BYSECOND (several times a day)",
}
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
FURTHEST_ORDINAL = {"MONTHLY": 5, "YEARLY": 53}
"""How far a weekday may be numbered in a month, a year (dateutil ignores it in the others)."""


@dataclass(frozen=True)
class ExactSeries:
    """Zoom's recurrence for the series, and the series' occurrences."""

    recurrence: tuple[tuple[str, Any], ...]
    """Zoom's `recurrence` object, as sorted (name, value) pairs."""
    starts: tuple[datetime, ...]
    """The rule's occurrences (UTC), the first of which is the meeting's start_time."""
    skipped: tuple[datetime, ...] = ()
    """The occurrences an EXDATE removes."""


@dataclass(frozen=True)
class NoFixedTime:
    reason: str


class _Inexpressible(Exception):
    pass


def translate(lines: Sequence[str], start: datetime, zoom_zone: str) -> ExactSeries | NoFixedTime:
    """The Zoom recurrence for a series whose first instance starts at `start` (aware, in the
    event's zone) and whose `recurrence` lines are `lines`; Zoom expands it in `zoom_zone`."""
    return _translate(tuple(lines), start, str(start.tzinfo), zoom_zone)


@lru_cache(maxsize=4096)  # a pass asks several times per series (its state, its spec)
def _translate(
    lines: tuple[str, ...], start: datetime, event_zone: str, zoom_zone: str
) -> ExactSeries | NoFixedTime:
    """`event_zone` is in the key because one instant in two zones compares equal."""
    try:
        rule, exdates = _split(lines)
        parts = _parts(rule)
        starts = _expand(parts, start, MAX_OCCURRENCES + 1)
    except _Inexpressible as exc:
        return NoFixedTime(str(exc))
    if not starts:
        return NoFixedTime("the rule has no occurrences")
    if len(starts) > MAX_OCCURRENCES:
        has_end = "COUNT" in parts or "UNTIL" in parts
        why = "more than" if has_end else "no end; Zoom schedules at most"
        return NoFixedTime(f"{why} {MAX_OCCURRENCES} occurrences")
    try:
        skipped = _skipped(exdates, starts, start.tzinfo)
    except _Inexpressible as exc:
        return NoFixedTime(str(exc))
    if len(skipped) == len(starts):
        return NoFixedTime("every occurrence is excluded")
    recurrence = _recurrence(parts, start, starts, event_zone, zoom_zone)
    if isinstance(recurrence, NoFixedTime):
        return recurrence
    return ExactSeries(tuple(sorted(recurrence.items())), tuple(starts), skipped)


def _recurrence(
    parts: dict[str, str], start: datetime, starts: list[datetime], event_zone: str, zoom_zone: str
) -> dict[str, Any] | NoFixedTime:
    """The rule's own translation, else one read off its occurrences, if Zoom schedules
    exactly `starts` from it; else why not, as the rule's letter says."""
    own = _rule_recurrence(parts, start, starts, event_zone, zoom_zone)
    if isinstance(own, NoFixedTime):
        return _occurrences_recurrence(starts, zoom_zone) or own
    return own


def _rule_recurrence(
    parts: dict[str, str], start: datetime, starts: list[datetime], event_zone: str, zoom_zone: str
) -> dict[str, Any] | NoFixedTime:
    """The rule's own translation, if Zoom schedules exactly `starts` from it; else why not."""
    try:
        pattern = _zoom_pattern(parts, start, _day_shift(start, zoom_zone))
    except _Inexpressible as exc:
        return NoFixedTime(str(exc))
    recurrence = pattern | _end(starts)
    failure = misread(recurrence, starts, zoom_zone)
    if failure is None:
        return recurrence
    if failure == Reading() and zoom_zone != event_zone:
        return NoFixedTime(f"Zoom would expand it in {zoom_zone}, where its times differ")
    return NoFixedTime(f"Zoom could schedule other times ({failure.describe()})")


def _occurrences_recurrence(starts: list[datetime], zoom_zone: str) -> dict[str, Any] | None:
    """A recurrence read off the occurrences themselves from which Zoom schedules exactly
    `starts`, if there is one."""
    days = [s.astimezone(ZoneInfo(zoom_zone)).date() for s in starts]
    candidates = (pattern | _end(starts) for pattern in _patterns_through(days))
    return next((r for r in candidates if misread(r, starts, zoom_zone) is None), None)


def _end(starts: list[datetime]) -> dict[str, Any]:
    # COUNT and UNTIL alike end after the count of occurrences: `end_date_time` could be
    # read as an instant, a local date, the date its text shows, inclusive or not.
    return {"end_times": len(starts)}


# -- reading the lines ---------------------------------------------------------------------------
def _split(lines: Sequence[str]) -> tuple[str, list[str]]:
    rules, exdates = [], []
    for line in lines:
        name = re.split("[;:]", line, maxsplit=1)[0].strip().upper()
        if name == "RRULE":
            rules.append(line.split(":", 1)[1].strip())
        elif name == "EXDATE":
            exdates.append(line)
        elif name == "RDATE":
            raise _Inexpressible("RDATE (occurrences outside the rule)")
        else:
            raise _Inexpressible(f"{name or 'an empty line'} in its recurrence")
    if len(rules) != 1:
        raise _Inexpressible("several RRULEs" if rules else "no RRULE")
    return rules[0], exdates


def _parts(rule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in rule.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise _Inexpressible(f"an RRULE part it cannot read: {item!r}")
        parts[name.strip().upper()] = value.strip().upper()
    # Not expanded at all: Zoom has no words for them, and dateutil searches up to the year
    # 9999 for a rule no day meets (BYMONTH=2;BYMONTHDAY=30), seconds for each.
    for name in parts:
        if name in NOT_EXPRESSIBLE:
            raise _Inexpressible(NOT_EXPRESSIBLE[name])
    _check_expandable(parts)
    return parts


def _check_expandable(parts: dict[str, str]) -> None:
    """Refuse what dateutil would expand for ever (INTERVAL=0 repeats one instant), crash on,
    or search to the year 9999 for (a day no month has)."""
    if _number(parts, "INTERVAL", 1) < 1:
        raise _Inexpressible(f"INTERVAL={parts['INTERVAL']} (no positive number)")
    for value in parts.get("BYMONTHDAY", "1").split(","):
        if not 1 <= abs(_number({"BYMONTHDAY": value}, "BYMONTHDAY", 1)) <= 31:
            raise _Inexpressible(f"BYMONTHDAY={value} (no day of a month)")
    furthest = FURTHEST_ORDINAL.get(parts.get("FREQ", ""))
    for ordinal, _ in _byday(parts):
        if furthest is not None and ordinal is not None and not 1 <= abs(ordinal) <= furthest:
            raise _Inexpressible(f"BYDAY={parts['BYDAY']} (no such weekday)")


def _number(parts: dict[str, str], name: str, default: int) -> int:
    value = parts.get(name, str(default))
    if not value.lstrip("+-").isdigit():
        raise _Inexpressible(f"{name}={value} is no number")
    return int(value)


def _byday(parts: dict[str, str]) -> list[tuple[int | None, int]]:
    days = []
    for item in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        match = _BYDAY.fullmatch(item)
        if match is None:
            raise _Inexpressible(f"BYDAY={parts['BYDAY']} it cannot read")
        ordinal = int(match[1]) if match[1] else None
        days.append((ordinal, DAYS.index(match[2])))
    return days


def _zoom_day(weekday: int) -> int:
    """Zoom's day number (1 = Sunday) for Python's weekday (0 = Monday)."""
    return (weekday + 1) % 7 + 1


# -- the pattern ---------------------------------------------------------------------------------
def _day_shift(start: datetime, zoom_zone: str) -> int:
    """By how many days the date in the zone Zoom is sent differs from the event's own at
    its start (Monday 10:00 in Kiritimati is Sunday in UTC): Zoom's days are that zone's."""
    return (start.astimezone(ZoneInfo(zoom_zone)).date() - start.date()).days


def _zoom_pattern(parts: dict[str, str], start: datetime, shift: int) -> dict[str, Any]:
    """Zoom's recurrence without its end, its days `shift`ed into the zone Zoom is sent;
    or _Inexpressible."""
    freq = parts.get("FREQ")
    interval = _number(parts, "INTERVAL", 1)
    days = _byday(parts)
    if freq == "DAILY" and days and interval == 1 and "BYMONTHDAY" not in parts:
        freq = "WEEKLY"  # every day of a set of weekdays is a weekly series
    if freq == "DAILY":
        if days or "BYMONTHDAY" in parts:
            raise _Inexpressible("a daily rule limited to some days")
        return _with_interval(DAILY, interval)
    if freq == "WEEKLY":
        if "BYMONTHDAY" in parts:
            raise _Inexpressible("a weekly rule limited to days of the month")
        if any(ordinal is not None for ordinal, _ in days):
            raise _Inexpressible("a weekly rule with numbered weekdays")
        local = {day for _, day in days} or {start.weekday()}
        weekdays = sorted(_zoom_day((day + shift) % 7) for day in local)
        return _with_interval(WEEKLY, interval) | {"weekly_days": ",".join(map(str, weekdays))}
    if freq == "MONTHLY":
        return _with_interval(MONTHLY, interval) | _monthly(parts, days, start, shift)
    raise _Inexpressible(f"FREQ={freq} (Zoom repeats daily, weekly or monthly)")


def _with_interval(kind: int, interval: int) -> dict[str, Any]:
    if interval > MAX_INTERVAL[kind]:
        unit = UNITS[kind]
        raise _Inexpressible(
            f"every {interval} {unit} (Zoom repeats at most every {MAX_INTERVAL[kind]} {unit})"
        )
    return {"type": kind, "repeat_interval": interval}


def _monthly(
    parts: dict[str, str], days: list[tuple[int | None, int]], start: datetime, shift: int
) -> dict[str, Any]:
    if days and "BYMONTHDAY" in parts:
        raise _Inexpressible("a monthly rule by weekday and day of the month at once")
    if len(days) > 1:
        raise _Inexpressible("several weekdays a month")
    if days:
        ordinal, weekday = days[0]
        if ordinal is None:
            raise _Inexpressible(f"every {DAYS[weekday]} of the month")
        if ordinal not in MONTHLY_WEEKS:
            raise _Inexpressible(f"weekday ordinal {ordinal} (Zoom knows 1 to 4 and -1)")
        return {"monthly_week": ordinal, "monthly_week_day": _zoom_day((weekday + shift) % 7)}
    month_days = parts.get("BYMONTHDAY", str(start.day)).split(",")
    if len(month_days) > 1:
        raise _Inexpressible("several days a month")
    day = _number({"BYMONTHDAY": month_days[0]}, "BYMONTHDAY", start.day)
    if day < 0:
        raise _Inexpressible(f"BYMONTHDAY={day} (counted from the month's end)")
    if not 1 <= day + shift <= 31:
        raise _Inexpressible("a day of the month that is in another month where Zoom shows it")
    return {"monthly_day": day + shift}


# -- a pattern read off the occurrences ----------------------------------------------------------
def _patterns_through(days: list[date]) -> Iterator[dict[str, Any]]:
    """Zoom patterns within its limits that may begin with `days` (dates where Zoom expands
    them). A pattern that begins with them under every reading agrees over them with one of
    these: its weekdays take in theirs, its interval is the step from the first day's week
    (or month) to the next day's, its monthly day or weekday is the first day's."""
    candidates = [_weekly_through(days), _daily_through(days), *_monthly_through(days)]
    return (
        pattern
        for pattern in candidates
        if pattern is not None and 1 <= pattern["repeat_interval"] <= MAX_INTERVAL[pattern["type"]]
    )


def _weekly_through(days: list[date]) -> dict[str, Any]:
    # Weeks from Sunday, as Zoom numbers its days; the check tries weeks from Monday too.
    weeks = [(_sunday_before(day) - _sunday_before(days[0])).days // 7 for day in days]
    weekdays = sorted({_zoom_day(day.weekday()) for day in days})
    return {
        "type": WEEKLY,
        "repeat_interval": next((week for week in weeks if week > 0), 1),
        "weekly_days": ",".join(map(str, weekdays)),
    }


def _sunday_before(day: date) -> date:
    return day - timedelta(days=day.isoweekday() % 7)


def _daily_through(days: list[date]) -> dict[str, Any] | None:
    steps = {(later - earlier).days for earlier, later in itertools.pairwise(days)}
    return {"type": DAILY, "repeat_interval": steps.pop()} if len(steps) == 1 else None


def _monthly_through(days: list[date]) -> list[dict[str, Any]]:
    if len(days) < 2:
        return []  # the weekly pattern holds one day already
    first, second = days[0], days[1]
    interval = (second.year - first.year) * 12 + second.month - first.month
    by_week = [
        {"monthly_week": week, "monthly_week_day": _zoom_day(first.weekday())}
        for week in _weeks_in_month(first)
    ]
    return [
        {"type": MONTHLY, "repeat_interval": interval} | by
        for by in [{"monthly_day": first.day}, *by_week]
    ]


def _weeks_in_month(day: date) -> list[int]:
    """How Zoom may name the day as a weekday of its month: 1st to 4th, and -1 for the last."""
    nth = (day.day - 1) // 7 + 1
    is_last = day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    return [week for week in MONTHLY_WEEKS if week == nth or (week == -1 and is_last)]


# -- the series' own occurrences -----------------------------------------------------------------
def _expand(parts: dict[str, str], start: datetime, limit: int) -> list[datetime]:
    """The rule's occurrences as python-dateutil expands it in the event's zone (UTC)."""
    text = ";".join(
        f"{name}={_until(value, start) if name == 'UNTIL' else value}"
        for name, value in parts.items()
    )
    try:
        rule = rrulestr(text, dtstart=start)
        return [s.astimezone(UTC) for s in itertools.islice(rule, limit)]
    except (ValueError, TypeError, OverflowError) as exc:
        raise _Inexpressible(f"an RRULE it cannot read ({exc})") from exc


def _until(value: str, start: datetime) -> str:
    """UNTIL as UTC, as dateutil needs with an aware start: a date means the end of that day
    and a floating time means a time in the event's zone."""
    zone = start.tzinfo
    try:
        if len(value) == 8:
            moment = datetime.combine(_date(value), time(23, 59, 59), tzinfo=zone)
        elif not value.endswith("Z"):
            moment = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
        else:
            return value
    except ValueError as exc:
        raise _Inexpressible(f"UNTIL={value} it cannot read") from exc
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _date(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def _skipped(exdates: list[str], starts: list[datetime], zone: Any) -> tuple[datetime, ...]:
    """The occurrences the EXDATE lines remove: by instant, or by local date."""
    instants: set[datetime] = set()
    dates: set[date] = set()
    for line in exdates:
        head, _, values = line.partition(":")
        params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
        local = _zone(params.get("TZID"), zone)
        for value in values.split(","):
            value = value.strip()
            try:
                if len(value) == 8:
                    dates.add(_date(value))
                elif value.endswith("Z"):
                    instants.add(datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
                else:
                    moment = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=local)
                    instants.add(moment.astimezone(UTC))
            except ValueError as exc:
                raise _Inexpressible(f"EXDATE {value!r} it cannot read") from exc
    return tuple(s for s in starts if s in instants or s.astimezone(zone).date() in dates)


def _zone(name: str | None, default: Any) -> Any:
    if name is None:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _Inexpressible(f"EXDATE in unknown time zone {name!r}") from exc
