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

from syncd.app import App
from syncd.config import Config, GoogleSection, SyncSection, ZoomCredentials, ZoomSection
from syncd.description import find_block
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
    return f"{meeting['start_time']}, {meeting['duration']} min, shown in {meeting['timezone']}"


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
        finally:
            app.close()
        zoom_calls = zoom.count() - zoom.count("token")
        click.echo(
            f"\nSecond pass: {zoom_calls} Zoom requests, "
            f"{google.count('events.patch')} event writes (nothing changed, nothing done)"
        )
        if keep:
            click.echo(
                f"\nGoogle simulator: {google.url}  Zoom simulator: {zoom.url}  (Ctrl-C ends)"
            )
            _wait_forever()
    return 0 if first.ok and second.ok else 1


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
