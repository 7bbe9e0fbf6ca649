"""Meeting specs as Zoom's create and update bodies (pure): only fields in Zoom's published
schema, and on update only what changed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.core.domain import MeetingSpec, MeetingType, OccurrenceChange
from syncd.core.zoom_schedule import UTC_FORMAT, from_next
from syncd.core.zoom_settings import update_settings

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


def update_body(
    old: MeetingSpec | None, new: MeetingSpec, now: datetime | None = None
) -> dict[str, Any]:
    """What to PATCH so that a meeting made from `old` matches `new`; everything Zoom shows
    when `old` is unknown (a link recorded before syncd kept it). Empty when nothing changed.
    Given `now`, a series' schedule is sent from its next occurrence on (`from_next`)."""
    full = create_body(from_next(new, now) if now is not None else new)
    if old is None:
        body = {k: v for k, v in full.items() if k != "settings"}
        settings = update_settings(dict(new.settings))
        return body | ({"settings": settings} if settings else {})
    before = create_body(old)
    body = {k: v for k, v in create_body(new).items() if k != "settings" and before.get(k) != v}
    if "type" in body or (new.recurrence is not None and body.keys() & set(SCHEDULE_FIELDS)):
        # A new type, or a series' new schedule: the whole schedule, not just what differs.
        body |= {name: full[name] for name in SCHEDULE_FIELDS if name in full}
    settings = update_settings(
        {k: v for k, v in new.settings if dict(old.settings).get(k, _UNSET) != v}
    )
    return body | ({"settings": settings} if settings else {})


def occurrences_after(
    old: MeetingSpec | None, new: MeetingSpec, body: Mapping[str, Any], now: datetime
) -> tuple[tuple[str, OccurrenceChange], ...]:
    """The occurrence changes that follow the PATCH `body` (which reschedules a series when
    it changes its schedule)."""
    rescheduled = bool(body.keys() & set(SCHEDULE_FIELDS))
    return tuple(occurrence_changes(old, new, rescheduled, now))


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
