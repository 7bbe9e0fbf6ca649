"""Meeting specs as Zoom's create and update bodies (pure): only fields in Zoom's published
schema, and on update only what changed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from syncd.domain import MeetingSpec, MeetingType, OccurrenceChange
from syncd.zoom_schedule import UTC_FORMAT
from syncd.zoom_settings import update_settings

SCHEDULE_FIELDS = ("start_time", "duration", "timezone", "recurrence")
_UNSET = object()


def create_body(spec: MeetingSpec) -> dict[str, Any]:
    body: dict[str, Any] = {"topic": spec.topic, "type": int(spec.type), "agenda": spec.agenda}
    for name, value in _schedule(spec).items():
        if value is not None:
            body[name] = value
    if spec.settings:
        body["settings"] = dict(spec.settings)
    return body


def _schedule(spec: MeetingSpec) -> dict[str, Any]:
    recurrence = dict(spec.recurrence) if spec.recurrence is not None else None
    return {
        "start_time": spec.start_time,
        "duration": spec.duration,
        "timezone": spec.timezone,
        "recurrence": recurrence,
    }


def update_body(old: MeetingSpec | None, new: MeetingSpec) -> dict[str, Any]:
    """What to PATCH so that a meeting made from `old` matches `new`; everything Zoom shows
    when `old` is unknown (a link recorded before syncd kept it). Empty when nothing changed."""
    full = create_body(new)
    if old is None:
        body = {k: v for k, v in full.items() if k != "settings"}
        settings = update_settings(dict(new.settings))
        return body | ({"settings": settings} if settings else {})
    before = create_body(old)
    body = {k: v for k, v in full.items() if k != "settings" and before.get(k) != v}
    if "type" in body or (new.recurrence is not None and body.keys() & set(SCHEDULE_FIELDS)):
        # A new type, or a series' new schedule: the whole schedule, not just what differs.
        body |= {name: full[name] for name in SCHEDULE_FIELDS if name in full}
    settings = update_settings(
        {k: v for k, v in new.settings if dict(old.settings).get(k, _UNSET) != v}
    )
    return body | ({"settings": settings} if settings else {})


def occurrences_after(
    old: MeetingSpec | None, new: MeetingSpec, body: Mapping[str, Any]
) -> tuple[tuple[str, OccurrenceChange], ...]:
    """The occurrence changes that follow the PATCH `body` (which reschedules a series when
    it changes its schedule)."""
    rescheduled = bool(body.keys() & set(SCHEDULE_FIELDS))
    return tuple(occurrence_changes(old, new, rescheduled))


def occurrence_changes(
    old: MeetingSpec | None, new: MeetingSpec, rescheduled: bool
) -> list[tuple[str, OccurrenceChange]]:
    """The occurrences of a series to delete or move so that Zoom has `new`'s: all of them
    once Zoom has (re)scheduled the series from its rule, else those that changed since
    `old`. An occurrence no longer changed goes back to its rule's time and duration."""
    if new.type is not MeetingType.RECURRING_FIXED_TIME:
        return []
    wanted = dict(new.occurrences)
    if rescheduled or old is None:
        return sorted(wanted.items())
    had = dict(old.occurrences)
    changes = [(key, change) for key, change in wanted.items() if had.get(key) != change]
    for key, change in had.items():
        if key not in wanted and not change.removed:
            changes.append((key, OccurrenceChange(_occurrence_start(key), new.duration)))
    return sorted(changes)


def _occurrence_start(occurrence_id: str) -> str:
    """An occurrence's own start as its rule has it: Zoom's id is that instant in ms."""
    return datetime.fromtimestamp(int(occurrence_id) / 1000, tz=UTC).strftime(UTC_FORMAT)
