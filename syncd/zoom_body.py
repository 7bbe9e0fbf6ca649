"""Meeting specs as Zoom's create and update bodies (pure): only fields in Zoom's published
schema, and on update only what changed."""

from __future__ import annotations

from typing import Any

from syncd.domain import MeetingSpec
from syncd.zoom_settings import update_settings

TIME_FIELDS = ("start_time", "duration", "timezone")
_UNSET = object()


def create_body(spec: MeetingSpec) -> dict[str, Any]:
    body: dict[str, Any] = {"topic": spec.topic, "type": int(spec.type), "agenda": spec.agenda}
    for name in TIME_FIELDS:
        value = getattr(spec, name)
        if value is not None:
            body[name] = value
    if spec.settings:
        body["settings"] = dict(spec.settings)
    return body


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
    if "type" in body:  # a new type needs its whole schedule, not just the fields that differ
        body |= {name: full[name] for name in TIME_FIELDS if name in full}
    settings = update_settings(
        {k: v for k, v in new.settings if dict(old.settings).get(k, _UNSET) != v}
    )
    return body | ({"settings": settings} if settings else {})
