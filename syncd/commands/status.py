"""`syncd status`: what the store says, as a table for people or JSON for scripts.

The JSON is a stable, versioned shape described by `status.schema.json` beside this module
(README, "syncd status --json"): fields may be added within a version, never renamed or
removed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from syncd.core.domain import CalendarState, Link, MeetingType
from syncd.core.zoom_schedule import next_start
from syncd.store import Store

VERSION = 1


def schema() -> dict[str, Any]:
    """The JSON Schema `syncd status --json` follows."""
    return json.loads(files("syncd.commands").joinpath("status.schema.json").read_text())  # type: ignore[no-any-return]


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _calendar(calendar: CalendarState, now: datetime) -> dict[str, Any]:
    lease = None
    if calendar.lease_owner and calendar.lease_expires_at:
        lease = {
            "holder": calendar.lease_owner,
            "expires_at": _when(calendar.lease_expires_at),
            "expired": calendar.lease_expires_at < now,
        }
    return {
        "id": calendar.id,
        "time_zone": calendar.time_zone,
        "incremental": calendar.sync_token is not None,
        "last_pass_finished_at": _when(calendar.last_pass_finished_at),
        "last_success_at": _when(calendar.last_success_at),
        "last_error": calendar.last_error,
        "lease": lease,
        "out_of_scope_since": _when(calendar.out_of_scope_since),
    }


def _schedule(link: Link) -> str | None:
    if link.made_from is None:
        return None
    if link.made_from.type is MeetingType.RECURRING_FIXED_TIME:
        return "series"
    if link.made_from.type is MeetingType.RECURRING_NO_FIXED_TIME:
        return "no fixed time"
    return "one-off"


def _link(link: Link, now: datetime) -> dict[str, Any]:
    """One event's link: its meeting, and when that next starts in UTC and the event's zone."""
    spec = link.made_from
    start = next_start(spec, now) if spec else None
    zone = (spec.zone or spec.timezone) if spec else None
    local = start.astimezone(ZoneInfo(zone)) if start and zone else None
    return {
        "calendar_id": link.calendar_id,
        "event_id": link.event_id,
        "summary": link.summary if link.summary is not None else (spec.topic if spec else None),
        "state": str(link.state),
        "meeting_id": link.meeting_id,
        "host": link.host,
        "schedule": _schedule(link),
        "no_fixed_time": spec.no_fixed_time if spec else None,
        "zone": zone,
        "next_start": _when(start),
        "next_start_local": _when(local),
    }


def _queued(link: Link) -> dict[str, Any]:
    return {
        "calendar_id": link.calendar_id,
        "event_id": link.event_id,
        "summary": link.summary,
        "state": str(link.state),
        "meeting_id": link.meeting_id,
        "attempts": link.attempts,
        "next_attempt_at": _when(link.next_attempt_at),
        "reason": link.last_error,
    }


def _parked(link: Link) -> dict[str, Any]:
    return {
        "calendar_id": link.calendar_id,
        "event_id": link.event_id,
        "summary": link.summary,
        "state": str(link.state),
        "attempts": link.attempts,
        "parked_at": _when(link.parked_at),
        "reason": link.last_error,
    }


def collect(store: Store, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    links = store.all_links()
    return {
        "version": VERSION,
        "generated_at": _when(now),
        "calendars": [_calendar(calendar, now) for calendar in store.calendars()],
        "link_counts": dict(sorted(Counter(str(link.state) for link in links).items())),
        "links": [_link(link, now) for link in links],
        "queued": [_queued(link) for link in links if link.next_attempt_at is not None],
        "parked": [_parked(link) for link in links if link.parked_at is not None],
    }


def render(report: dict[str, Any]) -> str:
    lines = ["Calendars:"]
    for cal in report["calendars"]:
        lines.append(f"  {cal['id']} ({cal['time_zone'] or 'zone not known yet'})")
        lines.append(
            f"    last pass {cal['last_pass_finished_at'] or 'never'}, "
            f"last success {cal['last_success_at'] or 'never'}"
        )
        if cal["out_of_scope_since"]:
            lines.append(
                f"    out of scope since {cal['out_of_scope_since']}: not read; "
                "its meetings and links stay"
            )
        if cal["last_error"]:
            lines.append(f"    last error: {cal['last_error']}")
        if lease := cal["lease"]:
            until = lease["expires_at"] + (" (expired)" if lease["expired"] else "")
            lines.append(f"    in work by {lease['holder']}, lease until {until}")
    if not report["calendars"]:
        lines.append("  (no pass has run yet)")
    counts = ", ".join(f"{n} {state}" for state, n in report["link_counts"].items()) or "none"
    lines += ["", f"Events: {counts}"]
    lines += [f"  {_link_line(item)}" for item in report["links"]]
    lines += [f"Events with work left: {len(report['queued'])}"]
    lines += [f"  {_named(item)}: {_work_left(item)}" for item in report["queued"]]
    parked = report["parked"]
    lines += [f"Parked events (no more retries until `syncd retry`): {len(parked)}"]
    lines += [
        f"  {_named(item)}: parked {item['parked_at']} after "
        f"{item['attempts']} tries: {item['reason']}"
        for item in parked
    ]
    return "\n".join(lines)


def _named(item: dict[str, Any]) -> str:
    where = f"{item['calendar_id']}/{item['event_id']}"
    return f"{where} {item['summary']!r}" if item["summary"] is not None else where


def _link_line(item: dict[str, Any]) -> str:
    where = _named(item)
    if item["meeting_id"] is None:
        return f"{where}: {item['state']}, no meeting yet"
    what = f"meeting {item['meeting_id']} ({item['state']}, host {item['host']})"
    if item["schedule"] == "no fixed time":
        return f"{where}: {what}, no fixed time: {item['no_fixed_time']}"
    if item["next_start"] is None:
        return f"{where}: {what}, {item['schedule'] or 'schedule unknown'}, no start ahead"
    when = f"next {item['next_start_local']} {item['zone']} ({item['next_start']} UTC)"
    return f"{where}: {what}, {item['schedule']}, {when}"


def _work_left(item: dict[str, Any]) -> str:
    if item["reason"]:
        return (
            f"{item['state']}; attempt {item['attempts']} failed: {item['reason']}; "
            f"next try {item['next_attempt_at']}"
        )
    resumes = item["next_attempt_at"]
    return f"{item['state']}; a step was under way or cut short, resumed from {resumes}"
