"""Which events an events.list request shows, and how it shows them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.sim.google_wire import event_instant, parse_instant

_CANCELLED_KEYS = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")


@dataclass(frozen=True)
class ListQuery:
    """The parameters of one events.list request, parsed and checked by the HTTP layer."""

    max_results: int = 250
    page_token: str | None = None
    sync_token: str | None = None
    show_deleted: bool = False
    time_min: datetime | None = None
    time_max: datetime | None = None
    updated_min: datetime | None = None
    q: str | None = None
    ical_uid: str | None = None
    private_props: tuple[str, ...] = ()
    shared_props: tuple[str, ...] = ()
    order_by_updated: bool = False
    event_types: tuple[str, ...] = ()


def listed(event: dict[str, Any]) -> dict[str, Any]:
    """How a list shows an event: a cancelled one carries little more than its id."""
    if event["status"] != "cancelled":
        return copy.deepcopy(event)
    return {k: copy.deepcopy(event[k]) for k in _CANCELLED_KEYS if k in event}


def matches(event: dict[str, Any], query: ListQuery, cal_zone: str) -> bool:
    """Whether a full (not incremental) listing shows the event."""
    updated = parse_instant(event["updated"], None, "updated")
    return (
        _visible(event, query)
        and _in_window(event, query, cal_zone)
        and (query.updated_min is None or updated >= query.updated_min)
        and (query.q is None or query.q.lower() in _searchable(event))
        and (query.ical_uid is None or event.get("iCalUID") == query.ical_uid)
        and (not query.event_types or event.get("eventType") in query.event_types)
        and _has_props(event, "private", query.private_props)
        and _has_props(event, "shared", query.shared_props)
    )


def _visible(event: dict[str, Any], query: ListQuery) -> bool:
    """Cancelled events show with showDeleted or updatedMin; cancelled exceptions always
    (the `showDeleted` and `status` descriptions of the discovery document)."""
    if event["status"] != "cancelled":
        return True
    return query.show_deleted or query.updated_min is not None or "recurringEventId" in event


def _in_window(event: dict[str, Any], query: ListQuery, cal_zone: str) -> bool:
    """end > timeMin and start < timeMax; a recurring master always passes timeMin.

    A bare cancelled exception is placed at its originalStartTime."""
    when = event.get("start") or event.get("originalStartTime")
    if when is None:
        return True
    start = event_instant(when, cal_zone, "start")
    if query.time_max is not None and start >= query.time_max:
        return False
    if query.time_min is None or ("recurrence" in event and "recurringEventId" not in event):
        return True
    end = event_instant(event["end"], cal_zone, "end") if "end" in event else start
    return end > query.time_min


def _searchable(event: dict[str, Any]) -> str:
    people = [event.get("organizer", {}), *event.get("attendees", [])]
    texts = [event.get(k, "") for k in ("summary", "description", "location")]
    texts += [p.get(k, "") for p in people for k in ("email", "displayName")]
    return "\n".join(texts).lower()


def _has_props(event: dict[str, Any], scope: str, constraints: tuple[str, ...]) -> bool:
    """Every `name=value` constraint must hold (the discovery document says "all")."""
    values = event.get("extendedProperties", {}).get(scope, {})
    pairs = (c.partition("=") for c in constraints)
    return all(values.get(name) == value for name, _, value in pairs)
