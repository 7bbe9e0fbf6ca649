"""Zoom's recurrence object (meeting type 8): validation and defaults; the expansion is
`syncd.core.zoom_schedule`'s, under its default reading.

Limits come from Zoom's published spec: repeat_interval up to 90 days, 12 weeks or
3 months; end_times up to 60 (Zoom's web docs say 50); end_times and end_date_time exclusive.
"""

from __future__ import annotations

from typing import Any

from syncd.core.zoom_schedule import (
    MAX_INTERVAL,
    MAX_OCCURRENCES,
    MONTHLY,
    MONTHLY_WEEKS,
    WEEKLY,
    parse_utc,
    weekdays,
)


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
        checks.append(("weekly_days", weekdays(rec.get("weekly_days", "1")) is not None))
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


def normalize(rec: dict[str, Any]) -> dict[str, Any]:
    """A valid recurrence with Zoom's defaults filled in and only the fields its type uses."""
    kind = as_int(rec["type"])
    out: dict[str, Any] = {"type": kind, "repeat_interval": as_int(rec.get("repeat_interval", 1))}
    if kind == WEEKLY:
        out["weekly_days"] = ",".join(map(str, weekdays(rec.get("weekly_days", "1")) or []))
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
