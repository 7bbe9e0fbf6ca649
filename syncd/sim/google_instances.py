"""The instances of a recurring event, as Google's `events.instances` lists them (pure).

The master's rule is expanded with python-dateutil in its start's zone; an exception (an event
whose `recurringEventId` names the master and whose `originalStartTime` is an instance's)
stands in for that instance, and a cancelled one is listed only with `showDeleted`.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from syncd.sim.google_wire import event_instant, invalid, render_instant

_INSTANCE_DROPS = ("recurrence", "iCalUID")


def instances(
    master: dict[str, Any],
    exceptions: list[dict[str, Any]],
    cal_zone: str,
    *,
    show_deleted: bool,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` instances of `master`, in order."""
    recurrence = master.get("recurrence")
    if not recurrence or "dateTime" not in master["start"]:
        return []  # an event that does not repeat (or an all-day series, not simulated)
    zone = master["start"].get("timeZone") or cal_zone
    start = event_instant(master["start"], cal_zone, "start").astimezone(ZoneInfo(zone))
    length = event_instant(master["end"], cal_zone, "end") - start
    by_start = {
        event_instant(e["originalStartTime"], cal_zone, "originalStartTime"): e for e in exceptions
    }
    try:
        rule = rrulestr("\n".join(recurrence), dtstart=start, forceset=True)
        starts = list(itertools.islice(rule, limit))
    except (ValueError, TypeError) as exc:
        raise invalid(f"Invalid recurrence rule: {exc}", "recurrence") from None
    found = []
    for moment in starts:
        instance = by_start.get(moment) or _instance(master, moment, length, zone)
        if instance.get("status") != "cancelled" or show_deleted:
            found.append(copy.deepcopy(instance))
    return found


def _instance(master: dict[str, Any], moment: datetime, length: Any, zone: str) -> dict[str, Any]:
    instance = {k: copy.deepcopy(v) for k, v in master.items() if k not in _INSTANCE_DROPS}
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    when = {"dateTime": render_instant(moment, zone), "timeZone": zone}
    instance.update(
        id=f"{master['id']}_{stamp}",
        recurringEventId=master["id"],
        originalStartTime=dict(when),
        start=dict(when),
        end={"dateTime": render_instant(moment + length, zone), "timeZone": zone},
    )
    return instance
