"""`syncd demo`: the whole flow against the simulators, with sample events and a temporary store."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from pydantic import SecretStr

from syncd.adapters.zoom import ZoomCredentials
from syncd.app import App
from syncd.config import Config, GoogleSection, SyncSection, ZoomSection
from syncd.core.description import find_block
from syncd.engine.report import PassReport
from syncd.sim.google import GoogleCalendarSim
from syncd.sim.zoom import ZoomSim

PRIMARY = "primary"
TEAM = "team@group.calendar.google.com"


def _timed(day: datetime, hour: int, minutes: int, zone: str) -> dict[str, Any]:
    start = day.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=ZoneInfo(zone))
    end = start + timedelta(minutes=minutes)
    return {
        "start": {"dateTime": start.isoformat(), "timeZone": zone},
        "end": {"dateTime": end.isoformat(), "timeZone": zone},
    }


def seed(google: GoogleCalendarSim, today: datetime) -> None:
    """Sample events: some tagged, several zones, an all-day one, a series, HTML text."""
    tomorrow = today + timedelta(days=1)
    google.add_calendar(PRIMARY, time_zone="Europe/Berlin", summary="Ada's calendar")
    google.add_calendar(TEAM, time_zone="America/New_York", summary="Team calendar")
    samples = [
        (
            PRIMARY,
            {
                "summary": "Weekly planning #zoom",
                "description": "Bring the roadmap.",
                **_timed(tomorrow, 10, 45, "Europe/Berlin"),
            },
        ),
        (PRIMARY, {"summary": "Lunch with Grace", **_timed(tomorrow, 12, 60, "Europe/Berlin")}),
        (
            PRIMARY,
            {
                "summary": "Customer call",
                "description": "Pricing questions\n#zoom",
                **_timed(tomorrow, 9, 30, "America/Los_Angeles"),
            },
        ),
        (
            PRIMARY,
            {
                "summary": "Offsite #zoom",
                "start": {"date": tomorrow.date().isoformat()},
                "end": {"date": (tomorrow + timedelta(days=1)).date().isoformat()},
            },
        ),
        (
            TEAM,
            {
                "summary": "Design review #Zoom",
                "description": "<b>Bring</b> the mock-ups<br>Thanks!",
                **_timed(tomorrow, 15, 60, "America/New_York"),
            },
        ),
        (
            TEAM,
            {
                "summary": "Daily standup #zoom",
                "recurrence": ["RRULE:FREQ=DAILY;COUNT=10"],
                **_timed(tomorrow, 9, 15, "America/New_York"),
            },
        ),
        (
            TEAM,
            {
                "summary": "Open office hours #zoom",
                "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU,TH"],  # no end: Zoom holds 60 at most
                **_timed(tomorrow, 16, 60, "America/New_York"),
            },
        ),
        (TEAM, {"summary": "1:1 (no video)", **_timed(tomorrow, 11, 30, "America/New_York")}),
    ]
    for calendar_id, event in samples:
        google.put_event(calendar_id, event)


def demo_config(google: GoogleCalendarSim, zoom: ZoomSim, workdir: Path) -> Config:
    credentials_file = workdir / "google.json"
    credentials_file.write_text(json.dumps(google.authorized_user_info()), encoding="utf-8")
    return Config(
        sync=SyncSection(database_url=f"sqlite:///{workdir / 'syncd.db'}"),
        google=GoogleSection(
            credentials_file=str(credentials_file),
            calendars=[PRIMARY, TEAM],
            api_endpoint=google.api_endpoint,
        ),
        zoom=ZoomSection(api_base_url=zoom.api_base_url, token_url=zoom.token_url),
    )


def _event_time(event: dict[str, Any]) -> str:
    start = event["start"]
    if "date" in start:
        return f"{start['date']} (all day)"
    zone = start.get("timeZone", "")
    local = datetime.fromisoformat(start["dateTime"]).astimezone(ZoneInfo(zone) if zone else UTC)
    return f"{local:%Y-%m-%d %H:%M} {zone}"


def _meeting_time(meeting: dict[str, Any]) -> str:
    if not meeting.get("start_time"):
        return f"no fixed time, {meeting.get('timezone')}"
    when = f"{meeting['start_time']}, {meeting['duration']} min, shown in {meeting['timezone']}"
    occurrences = meeting.get("occurrences")
    return f"{when}, {len(occurrences)} occurrences" if occurrences else when


def _show_events(google: GoogleCalendarSim, zoom: ZoomSim) -> None:
    for calendar_id in (PRIMARY, TEAM):
        click.echo(f"\n{calendar_id}")
        for event in google.events(calendar_id):
            click.echo(f"  {event.get('summary', ''):<24} {_event_time(event)}")
            block = find_block(event.get("description", ""))
            if block is None:
                click.echo("      no meeting")
                continue
            meeting = zoom.meeting(block.meeting_id)
            click.echo(f"      Zoom {block.meeting_id}: {_meeting_time(meeting)}")
            click.echo(f"      {block.join_url}")


def _edit_and_follow(app: App, google: GoogleCalendarSim, zoom: ZoomSim) -> PassReport:
    """A calendar user's ordinary edits, and what syncd does about each."""
    by_summary = {e.get("summary"): e for e in google.events(PRIMARY)}
    planning, customer = by_summary["Weekly planning #zoom"], by_summary["Customer call"]
    review = next(e for e in google.events(TEAM) if e.get("summary") == "Design review #Zoom")
    moved = {
        key: {**planning[key], "dateTime": _later(planning[key]["dateTime"], hours=2)}
        for key in ("start", "end")
    }
    google.edit_event(PRIMARY, planning["id"], **moved)
    google.edit_event(PRIMARY, customer["id"], summary="Customer call: pricing")
    google.edit_event(TEAM, review["id"], summary="Design review (in person)")
    click.echo(
        "\nThe users edit: 'Weekly planning' moves two hours later, 'Customer call' is "
        "renamed, 'Design review' loses its tag"
    )
    zoom.reset_log()
    google.reset_log()
    report = app.run_pass()
    _show_events(google, zoom)
    routes = ", ".join(
        f"{route} {zoom.count(route)}"
        for route in ("meetings.update", "meetings.delete", "meetings.create")
    )
    click.echo(
        f"\nThird pass: Zoom {routes}; {google.count('events.patch')} event write (the "
        "untagged event's block removed; moved and renamed meetings keep their join link)"
    )
    return report


def _later(date_time: str, **delta: float) -> str:
    return (datetime.fromisoformat(date_time) + timedelta(**delta)).isoformat()


def run_demo(*, keep: bool = False) -> int:
    with (
        GoogleCalendarSim() as google,
        ZoomSim() as zoom,
        tempfile.TemporaryDirectory(prefix="syncd-demo-") as tmp,
    ):
        seed(google, datetime.now(UTC))
        config = demo_config(google, zoom, Path(tmp))
        credentials = ZoomCredentials(
            zoom.account_id, zoom.client_id, SecretStr(zoom.client_secret)
        )
        app = App.build(config, credentials)
        try:
            click.echo("First pass: every tagged event gets one Zoom meeting")
            first = app.run_pass()
            _show_events(google, zoom)
            zoom.reset_log()
            google.reset_log()
            second = app.run_pass()
            zoom_calls = zoom.count() - zoom.count("token")
            click.echo(
                f"\nSecond pass: {zoom_calls} Zoom requests, "
                f"{google.count('events.patch')} event writes (nothing changed, nothing done)"
            )
            third = _edit_and_follow(app, google, zoom)
        finally:
            app.close()
        if keep:
            click.echo(
                f"\nGoogle simulator: {google.url}  Zoom simulator: {zoom.url}  (Ctrl-C ends)"
            )
            _wait_forever()
    return 0 if first.ok and second.ok and third.ok else 1


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
