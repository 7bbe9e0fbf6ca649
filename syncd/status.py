"""`syncd status`: what the store says, as a table for people or JSON for scripts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from syncd.domain import Link, MeetingType
from syncd.store import Store
from syncd.zoom_schedule import next_start


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _meeting(link: Link, now: datetime) -> dict[str, Any]:
    """One link's meeting: what it is and when it next starts, in UTC and the event's zone."""
    spec = link.made_from
    start = next_start(spec, now) if spec else None
    zone = (spec.zone or spec.timezone) if spec else None
    local = start.astimezone(ZoneInfo(zone)) if start and zone else None
    if spec is None:
        schedule = None
    elif spec.type is MeetingType.RECURRING_FIXED_TIME:
        schedule = "series"
    elif spec.type is MeetingType.RECURRING_NO_FIXED_TIME:
        schedule = "no fixed time"
    else:
        schedule = "one-off"
    return {
        "calendar_id": link.calendar_id,
        "event_id": link.event_id,
        "topic": spec.topic if spec else None,
        "meeting_id": link.meeting_id,
        "state": str(link.state),
        "host": link.host,
        "schedule": schedule,
        "no_fixed_time": spec.no_fixed_time if spec else None,
        "zone": zone,
        "next_start": _when(start),
        "next_start_local": _when(local),
    }


def collect(store: Store, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    links = store.all_links()
    return {
        "calendars": [
            {
                "id": c.id,
                "time_zone": c.time_zone,
                "incremental": c.sync_token is not None,
                "last_pass_finished_at": _when(c.last_pass_finished_at),
                "last_success_at": _when(c.last_success_at),
                "last_error": c.last_error,
                "in_work_by": c.lease_owner,
                "lease_expires_at": _when(c.lease_expires_at),
            }
            for c in store.calendars()
        ],
        "links": dict(sorted(Counter(str(link.state) for link in links).items())),
        "meetings": [_meeting(link, now) for link in links if link.meeting_id is not None],
        "queued": [
            {
                "calendar_id": link.calendar_id,
                "event_id": link.event_id,
                "state": str(link.state),
                "meeting_id": link.meeting_id,
                "attempts": link.attempts,
                "next_attempt_at": _when(link.next_attempt_at),
                "last_error": link.last_error,
            }
            for link in links
            if link.next_attempt_at is not None
        ],
        "parked": [
            {
                "calendar_id": link.calendar_id,
                "event_id": link.event_id,
                "state": str(link.state),
                "attempts": link.attempts,
                "parked_at": _when(link.parked_at),
                "reason": link.last_error,
            }
            for link in links
            if link.parked_at is not None
        ],
    }


def render(report: dict[str, Any], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    lines = ["CALENDAR                                   LAST SUCCESS               LAST ERROR"]
    for cal in report["calendars"]:
        success = cal["last_success_at"] or "never"
        lines.append(f"{cal['id'][:42]:<42} {success:<26} {cal['last_error'] or '-'}")
        if cal["in_work_by"]:
            until = cal["lease_expires_at"]
            expired = " (expired)" if datetime.fromisoformat(until) < now else ""
            lines.append(f"  in work by {cal['in_work_by']}, lease until {until}{expired}")
    if not report["calendars"]:
        lines.append("(no pass has run yet)")
    counts = ", ".join(f"{n} {state}" for state, n in report["links"].items()) or "none"
    lines += ["", f"Meetings: {counts}"]
    lines += [f"  {_meeting_line(item)}" for item in report["meetings"]]
    lines += [f"Events with work left: {len(report['queued'])}"]
    lines += [
        f"  {item['calendar_id']}/{item['event_id']}: {_work_left(item)}"
        for item in report["queued"]
    ]
    parked = report.get("parked", [])
    lines += [f"Parked events (no more retries until `syncd retry`): {len(parked)}"]
    lines += [
        f"  {item['calendar_id']}/{item['event_id']}: parked {item['parked_at']} after "
        f"{item['attempts']} tries: {item['reason']}"
        for item in parked
    ]
    return "\n".join(lines)


def _meeting_line(item: dict[str, Any]) -> str:
    where = f"{item['calendar_id']}/{item['event_id']} {item['topic'] or ''!r}"
    what = f"meeting {item['meeting_id']} ({item['state']}, host {item['host']})"
    if item["schedule"] == "no fixed time":
        return f"{where}: {what}, no fixed time: {item['no_fixed_time']}"
    if item["next_start"] is None:
        return f"{where}: {what}, {item['schedule'] or 'schedule unknown'}, no start ahead"
    when = f"next {item['next_start_local']} {item['zone']} ({item['next_start']} UTC)"
    return f"{where}: {what}, {item['schedule']}, {when}"


def _work_left(item: dict[str, Any]) -> str:
    if item["last_error"]:
        return (
            f"{item['state']}; attempt {item['attempts']} failed: {item['last_error']}; "
            f"next try {item['next_attempt_at']}"
        )
    resumes = item["next_attempt_at"]
    return f"{item['state']}; a step was under way or cut short, resumed from {resumes}"
