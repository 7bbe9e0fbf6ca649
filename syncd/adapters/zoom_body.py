"""Meeting specs as Zoom's create and update bodies (pure): only fields in Zoom's published
schema, and on update only what changed (`core.meeting_changes` decides what did)."""

from __future__ import annotations

from typing import Any

from syncd.core.domain import MeetingSpec, OccurrenceChange
from syncd.core.meeting_changes import MeetingUpdate
from syncd.core.zoom_schedule import from_next


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


def update_body(update: MeetingUpdate) -> dict[str, Any]:
    """The PATCH body of `update`: the fields it names as the new spec has them (a series'
    schedule from its next occurrence on, given `since`), its settings, its new host."""
    new = update.new
    shown = create_body(from_next(new, update.since) if update.since is not None else new)
    body = {"schedule_for": update.schedule_for} if update.schedule_for else {}
    body |= {name: shown[name] for name in update.fields}
    return body | ({"settings": dict(update.settings)} if update.settings else {})


def occurrence_body(change: OccurrenceChange) -> dict[str, Any]:
    """The PATCH body that moves one occurrence of a series."""
    return {"start_time": change.start_time, "duration": change.duration}
