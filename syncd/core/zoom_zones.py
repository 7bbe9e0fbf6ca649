"""The time zone ids Zoom accepts, and the one to send for any IANA zone (pure).

Zoom lists the `timezone` values it knows (`zoom_zones.json`, from its API reference). Real
calendars also carry tz-database aliases (Asia/Chungking, Europe/Belfast, America/Virgin) and
zones Zoom does not list (Pacific/Chatham). Such a zone is sent as a listed zone with the same
offsets, or as UTC when none has them. Only what Zoom shows depends on this: start times go
out in UTC, and a series is checked against the zone Zoom will expand it in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

FALLBACK = "UTC"
_SPAN = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))
"""Meetings are made for now and later: a zone's rules before this do not matter."""
_QUICK_SAMPLES = 400


@cache
def zoom_zones() -> frozenset[str]:
    text = resources.files("syncd.core").joinpath("zoom_zones.json").read_text(encoding="utf-8")
    return frozenset(json.loads(text)["zones"])


@dataclass(frozen=True)
class ZoneChoice:
    name: str
    """The id Zoom is sent."""
    note: str | None = None
    """Why it is not the event's own zone (logged)."""


def is_known_zone(name: str | None) -> bool:
    """A zone of the tz database (a directory's name, say "Europe", is not)."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@cache
def zoom_zone(name: str) -> ZoneChoice:
    """The Zoom-listed zone to send for the IANA zone `name`: itself, else the listed zone
    with the same compiled rules (an alias), else one with the same offsets from 2024 to 2040
    in the same area first, that agrees longest before (Europe/Jersey is sent as Europe/London,
    not Europe/Dublin)."""
    if name in zoom_zones():
        return ZoneChoice(name)
    if not is_known_zone(name):
        return ZoneChoice(FALLBACK, f"time zone {name[:64]!r} is unknown; Zoom shows UTC")
    listed = sorted(zoom_zones())
    same = [c for c in listed if _tzif(c) == _tzif(name)] or sorted(
        (c for c in listed if _looks_alike(name, c) and _transitions(name) == _transitions(c)),
        key=lambda c: (_area(c) != _area(name), -_agreement_before(name, c)),
    )
    if same:
        return ZoneChoice(same[0], f"time zone {name} is sent to Zoom as {same[0]}")
    return ZoneChoice(FALLBACK, f"Zoom does not know time zone {name}; it shows UTC")


def _tzif(name: str) -> bytes | None:
    """The zone's compiled rules where ZoneInfo finds them (an alias shares its target's)."""
    for directory in TZPATH:
        path = Path(directory, name)
        if path.is_file():
            return path.read_bytes()
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_bytes()
    except (ModuleNotFoundError, OSError):
        return None


def _offset(zone: str, moment: datetime) -> timedelta | None:
    return moment.astimezone(ZoneInfo(zone)).utcoffset()


def _looks_alike(one: str, other: str) -> bool:
    start, end = _SPAN
    step = (end - start) / _QUICK_SAMPLES
    return all(
        _offset(one, start + k * step) == _offset(other, start + k * step)
        for k in range(_QUICK_SAMPLES)
    )


def _area(name: str) -> str:
    return name.partition("/")[0]


def _agreement_before(one: str, other: str) -> int:
    """At how many of two samples a year, 1900 to 2024, the zones have the same offset."""
    samples = (
        datetime(year, month, 15, tzinfo=UTC) for year in range(1900, 2024) for month in (1, 7)
    )
    return sum(_offset(one, moment) == _offset(other, moment) for moment in samples)


@cache
def _transitions(zone: str) -> tuple[tuple[datetime, timedelta | None], ...]:
    """Each change of the zone's UTC offset from 2024 to 2040, to the second: where a day
    differs from the one before, bisected."""
    start, end = _SPAN
    day = timedelta(days=1)
    changes = []
    before, offset = start, _offset(zone, start)
    while before < end:
        after = before + day
        new = _offset(zone, after)
        if new != offset:
            low, high = before, after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(zone, middle) == offset else (low, middle)
            changes.append((high, new))
            offset = new
        before = after
    return ((start, _offset(zone, start)), *changes)
