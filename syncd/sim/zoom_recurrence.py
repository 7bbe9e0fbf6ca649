"""Zoom's recurrence object (meeting type 8): validation, defaults and expansion.

A series is expanded in the meeting's own time zone, so every occurrence keeps the local wall
time of the first one across DST changes (its UTC instant moves by an hour), the way Zoom
schedules it. Limits come from Zoom's published spec: repeat_interval up to 90 days, 12 weeks or
3 months; end_times up to 60 (Zoom's web docs say 50); end_times and end_date_time exclusive.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

DAILY, WEEKLY, MONTHLY = 1, 2, 3
MAX_INTERVAL = {DAILY: 90, WEEKLY: 12, MONTHLY: 3}
MAX_OCCURRENCES = 60
MONTHLY_WEEKS = (-1, 1, 2, 3, 4)
UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_utc(text: object) -> datetime | None:
    """A `yyyy-MM-ddTHH:mm:ssZ` string as an aware UTC datetime, else None."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def as_int(value: object) -> int | None:
    """An int, or a string of digits as Zoom accepts it; None for anything else (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def recurrence_errors(recurrence: object) -> list[str]:
    """The fields Zoom would reject in a recurrence object, as "recurrence.<name>"."""
    if not isinstance(recurrence, dict) or as_int(recurrence.get("type")) not in MAX_INTERVAL:
        return ["recurrence.type"]
    return [f"recurrence.{name}" for name, ok in _checks(recurrence) if not ok]


def _checks(rec: dict[str, Any]) -> list[tuple[str, bool]]:
    kind = as_int(rec["type"])
    interval = as_int(rec.get("repeat_interval", 1))
    end_times = as_int(rec.get("end_times", 1))
    checks = [
        (
            "repeat_interval",
            interval is not None and 1 <= interval <= MAX_INTERVAL.get(kind or 0, 0),
        ),
        ("end_times", end_times is not None and 1 <= end_times <= MAX_OCCURRENCES),
        ("end_date_time", "end_date_time" not in rec or _end_date_ok(rec)),
    ]
    if kind == WEEKLY:
        checks.append(("weekly_days", _weekdays(rec.get("weekly_days", "1")) is not None))
    if kind == MONTHLY:
        checks.append(_monthly_check(rec))
    return checks


def _end_date_ok(rec: dict[str, Any]) -> bool:
    return "end_times" not in rec and parse_utc(rec["end_date_time"]) is not None


def _monthly_check(rec: dict[str, Any]) -> tuple[str, bool]:
    if "monthly_week" not in rec and "monthly_week_day" not in rec:
        return "monthly_day", as_int(rec.get("monthly_day", 1)) in range(1, 32)
    if "monthly_day" in rec:
        return "monthly_day", False
    week, weekday = as_int(rec.get("monthly_week")), as_int(rec.get("monthly_week_day"))
    return "monthly_week", week in MONTHLY_WEEKS and weekday in range(1, 8)


def _weekdays(text: object) -> list[int] | None:
    """Zoom's weekly_days ("1,3": Sunday and Tuesday) as sorted day numbers, else None."""
    if not isinstance(text, str | int) or isinstance(text, bool):
        return None
    days = [as_int(part) for part in str(text).split(",")]
    if not all(day in range(1, 8) for day in days):
        return None
    return sorted({day for day in days if day is not None})


def normalize(rec: dict[str, Any]) -> dict[str, Any]:
    """A valid recurrence with Zoom's defaults filled in and only the fields its type uses."""
    kind = as_int(rec["type"])
    out: dict[str, Any] = {"type": kind, "repeat_interval": as_int(rec.get("repeat_interval", 1))}
    if kind == WEEKLY:
        out["weekly_days"] = ",".join(map(str, _weekdays(rec.get("weekly_days", "1")) or []))
    if kind == MONTHLY and "monthly_week" in rec:
        out["monthly_week"] = as_int(rec["monthly_week"])
        out["monthly_week_day"] = as_int(rec["monthly_week_day"])
    elif kind == MONTHLY:
        out["monthly_day"] = as_int(rec.get("monthly_day", 1))
    if "end_date_time" in rec:
        out["end_date_time"] = rec["end_date_time"]
    else:
        out["end_times"] = as_int(rec.get("end_times", 1))
    return out


def occurrence_starts(rec: dict[str, Any], first: datetime) -> list[datetime]:
    """Start times of a normalized recurrence, from `first` (aware, in the meeting's zone).

    Each start is the wall time of `first` on a day the rule selects, in `first`'s zone. A series
    bounded by end_date_time stops there, and after MAX_OCCURRENCES at most.
    """
    until = parse_utc(rec.get("end_date_time"))
    limit = rec.get("end_times", MAX_OCCURRENCES)
    starts: list[datetime] = []
    for day in _days(rec, first.date()):
        start = datetime.combine(day, first.timetz())
        if until is not None and start > until:
            break
        starts.append(start)
        if len(starts) >= limit:
            break
    return starts


def _days(rec: dict[str, Any], start: date) -> Iterator[date]:
    interval = rec["repeat_interval"]
    if rec["type"] == DAILY:
        return (start + timedelta(days=k) for k in count(0, interval))
    if rec["type"] == WEEKLY:
        return _weekly(start, interval, _weekdays(rec["weekly_days"]) or [])
    return _monthly(rec, start, interval)


def _weekly(start: date, interval: int, weekdays: list[int]) -> Iterator[date]:
    sunday = start - timedelta(days=start.isoweekday() % 7)  # Zoom's weeks start on Sunday (1)
    for week in count(0, interval):
        for weekday in weekdays:
            day = sunday + timedelta(weeks=week, days=weekday - 1)
            if day >= start:
                yield day


def _monthly(rec: dict[str, Any], start: date, interval: int) -> Iterator[date]:
    for months in count(0, interval):
        years, month = divmod(start.month - 1 + months, 12)
        day = _day_in_month(rec, start.year + years, month + 1)
        if day >= start:
            yield day


def _day_in_month(rec: dict[str, Any], year: int, month: int) -> date:
    """The selected day of a month. A monthly_day past the month's end is taken as its last day
    (an assumption: Zoom does not document this case)."""
    last = calendar.monthrange(year, month)[1]
    if "monthly_day" in rec:
        return date(year, month, min(rec["monthly_day"], last))
    weekday = (rec["monthly_week_day"] - 2) % 7  # Zoom 1 = Sunday; Python 0 = Monday
    if rec["monthly_week"] == -1:
        end = date(year, month, last)
        return end - timedelta(days=(end.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (rec["monthly_week"] - 1))
