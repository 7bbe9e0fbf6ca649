"""`syncd demo --workspace`: a small Google Workspace on the simulators. syncd finds the users
in the directory, reads each calendar as its owner, and follows the directory as it changes."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from pydantic import SecretStr

from syncd.adapters.zoom import ZoomCredentials
from syncd.app import App
from syncd.commands.status import collect
from syncd.config import Config, DirectorySection, GoogleSection, SyncSection, ZoomSection
from syncd.core.description import find_block
from syncd.engine.report import PassReport
from syncd.sim.google import GoogleCalendarSim
from syncd.sim.zoom import ZoomSim

DOMAIN = "example.com"
ADMIN = f"it@{DOMAIN}"
GROUP = f"zoom-users@{DOMAIN}"
# (user, org unit, in the group, suspended, has a Zoom account)
USERS = [
    (f"ada@{DOMAIN}", "/Staff", True, False, True),
    (f"bob@{DOMAIN}", "/Staff/Berlin", True, False, True),
    (f"cy@{DOMAIN}", "/Staff", True, False, False),
    (f"di@{DOMAIN}", "/Staff", True, True, True),
    (f"ed@{DOMAIN}", "/Contractors", True, False, True),
    (f"fay@{DOMAIN}", "/Staff", False, False, True),
]
DESK = f"zoom-desk@{DOMAIN}"


def seed(google: GoogleCalendarSim, zoom: ZoomSim, today: datetime) -> None:
    google.add_user(ADMIN, admin=True, calendar=False)
    zoom.add_user(DESK)
    for n, (email, unit, _, suspended, zoom_user) in enumerate(USERS):
        google.add_user(email, org_unit=unit, suspended=suspended, time_zone="Europe/Berlin")
        if zoom_user:
            zoom.add_user(email)
        start = (today + timedelta(days=1)).replace(hour=9 + n, minute=0, second=0, microsecond=0)
        google.put_event(
            email,
            {
                "summary": f"{email.split('@')[0].title()}'s review #zoom",
                "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
            },
        )
    google.add_group(GROUP, [email for email, _, member, _, _ in USERS if member])


def workspace_config(google: GoogleCalendarSim, zoom: ZoomSim, workdir: Path) -> Config:
    credentials_file = workdir / "service-account.json"
    credentials_file.write_text(json.dumps(google.service_account_info()), encoding="utf-8")
    return Config(
        sync=SyncSection(database_url=f"sqlite:///{workdir / 'syncd.db'}"),
        google=GoogleSection(
            credentials_file=str(credentials_file),
            act_as="owner",
            calendars=[],
            api_endpoint=google.api_endpoint,
            directory=DirectorySection(
                admin=ADMIN, group=GROUP, org_unit="/Staff", api_endpoint=google.directory_endpoint
            ),
        ),
        zoom=ZoomSection(
            api_base_url=zoom.api_base_url,
            token_url=zoom.token_url,
            host="organizer",
            host_fallback=DESK,
        ),
    )


def _show(app: App, google: GoogleCalendarSim, zoom: ZoomSim, report: PassReport) -> None:
    census = app.watch_list.census
    if census is not None:
        click.echo(f"  in scope: {', '.join(census.in_scope)}")
        click.echo(f"  out of scope: {', '.join(census.out_of_scope)}")
    for calendar in report.calendars:
        calendar_id = calendar.calendar_id
        calls = [r for r in google.calls() if r.route.startswith("events.")]
        read_as = {google.identity_of(r) for r in calls if r.path.split("/")[4] == calendar_id}
        for event in google.events(calendar_id):
            block = find_block(event.get("description", ""))
            host = zoom.meeting(block.meeting_id)["host_email"] if block else None
            click.echo(
                f"  {calendar_id} (read as {', '.join(sorted(map(str, read_as)))}): "
                f"{event['summary']}: "
                + (f"Zoom meeting hosted by {host}" if host else "no meeting")
            )


def run_workspace_demo() -> int:
    with (
        GoogleCalendarSim() as google,
        ZoomSim() as zoom,
        tempfile.TemporaryDirectory(prefix="syncd-demo-") as tmp,
    ):
        seed(google, zoom, datetime.now(UTC))
        config = workspace_config(google, zoom, Path(tmp))
        credentials = ZoomCredentials(
            zoom.account_id, zoom.client_id, SecretStr(zoom.client_secret)
        )
        click.echo(
            f"A Workspace of {len(USERS)} users; syncd watches the members of {GROUP} in "
            "/Staff and below who are neither suspended nor archived, each calendar as its owner"
        )
        app = App.build(config, credentials)
        try:
            first = app.run_pass()
            _show(app, google, zoom, first)
        finally:
            app.close()
        google.update_user(f"ada@{DOMAIN}", suspended=True)
        google.add_member(GROUP, f"fay@{DOMAIN}")
        google.reset_log()
        click.echo(f"\nThe admin suspends ada and adds fay to {GROUP}; the next pass:")
        app = App.build(config, credentials)
        try:
            second = app.run_pass()
            _show(app, google, zoom, second)
            for calendar in collect(app.store)["calendars"]:
                if calendar["out_of_scope_since"]:
                    click.echo(
                        f"  syncd status: {calendar['id']} out of scope since "
                        f"{calendar['out_of_scope_since']}; its meeting stays"
                    )
        finally:
            app.close()
    return 0 if first.ok and second.ok else 1
