"""An event that moves between watched calendars keeps its meeting and its join link: a change
of owner (Google Calendar moves the event to the new organizer's calendar, same id) and an
`events.move`. Nothing is deleted and no second meeting is made, whichever calendar is read
first, and when syncd is killed between the two calendars' passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from syncd.config import DirectorySection
from syncd.core.description import find_block
from syncd.core.domain import reference_for
from syncd.sim.server import Fault
from syncd.sim.zoom import OWNER_EMAIL
from tests.conftest import CALENDAR, child_log, when
from tests.integration.command import toml_for
from tests.integration.test_crash import kill_when

ADMIN, ALICE, BOB = "it@example.com", "alice@example.com", "bob@example.com"
TEAM_A, TEAM_B = "a-team@group.calendar.google.com", "b-team@group.calendar.google.com"
WRITES = ("meetings.create", "meetings.update", "meetings.delete")


@pytest.fixture
def workspace(google_sim, zoom_sim, config, tmp_path):
    """Alice and Bob, each a Zoom user, their calendars read as their owners; meetings hosted
    by each event's organizer."""
    google_sim.add_user(ADMIN, admin=True)
    for email in (ALICE, BOB):
        google_sim.add_user(email, time_zone="Europe/Berlin")
        zoom_sim.add_user(email)
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(google_sim.service_account_info()))
    directory = DirectorySection(admin=ADMIN, api_endpoint=google_sim.directory_endpoint)
    google = config.google.model_copy(
        update={
            "credentials_file": str(credentials),
            "act_as": "owner",
            "calendars": [],
            "directory": directory,
        }
    )
    zoom = config.zoom.model_copy(update={"host": "organizer"})
    return config.model_copy(update={"google": google, "zoom": zoom})


@pytest.fixture
def two_calendars(google_sim, config):
    """Two shared team calendars, meetings hosted by the account's owner; one worker, so the
    calendars are read in the config's order."""
    for calendar in (TEAM_A, TEAM_B):
        google_sim.add_calendar(calendar, time_zone="Europe/Berlin")
    google = config.google.model_copy(update={"calendars": [TEAM_A, TEAM_B]})
    sync = config.sync.model_copy(update={"workers": 1})
    return config.model_copy(update={"google": google, "sync": sync})


def synced(app, passes=2):
    for _ in range(passes):
        report = app.run_pass()
        assert report.ok, report


def only_meeting(zoom_sim):
    meetings = zoom_sim.meetings()
    assert len(meetings) == 1, meetings
    return meetings[0]


def zoom_writes(zoom_sim):
    return {route: zoom_sim.count(route) for route in WRITES if zoom_sim.count(route)}


def assert_moved(google_sim, app, meeting, event_id, source, destination):
    """The event shows the same meeting on its new calendar; the journal has it there only."""
    event = google_sim.event(destination, event_id)
    block = find_block(event["description"])
    assert block is not None
    assert (block.meeting_id, block.join_url) == (meeting["id"], meeting["join_url"])
    assert not app.store.links(source, [event_id])
    link = app.store.links(destination, [event_id])[event_id]
    assert link.meeting_id == meeting["id"]
    assert link.reference == reference_for(destination, event_id)
    assert meeting["agenda"].startswith(link.reference)


@pytest.mark.parametrize(("source", "destination"), [(ALICE, BOB), (BOB, ALICE)])
def test_a_change_of_owner_keeps_the_meeting_and_moves_it_to_the_new_organizer(
    workspace, google_sim, zoom_sim, make_app, source, destination
):
    event_id = google_sim.put_event(source, {"summary": "Design review #zoom", **when()})["id"]
    app = make_app(workspace)
    synced(app, passes=1)
    before = only_meeting(zoom_sim)
    assert before["host_email"] == source
    zoom_sim.reset_log()
    google_sim.reset_log()

    google_sim.move_event(source, event_id, destination)  # "change owner"
    synced(app)

    after = only_meeting(zoom_sim)
    assert (after["id"], after["join_url"]) == (before["id"], before["join_url"])
    assert after["host_email"] == destination
    assert zoom_writes(zoom_sim) == {"meetings.update": 1}  # schedule_for and the reference
    update = zoom_sim.calls("meetings.update")[0].json()
    assert update["schedule_for"] == destination
    assert google_sim.count("events.patch") == 0  # the event already shows its meeting
    assert_moved(google_sim, app, after, event_id, source, destination)


def test_where_zoom_will_not_move_the_meeting_a_new_one_replaces_it(
    workspace, google_sim, zoom_sim, make_app
):
    event_id = google_sim.put_event(ALICE, {"summary": "Design review #zoom", **when()})["id"]
    app = make_app(workspace)
    synced(app, passes=1)
    before = only_meeting(zoom_sim)
    refused = {"code": 300, "message": "The value that you entered for schedule_for is invalid."}
    zoom_sim.inject("meetings.update", status=400, body=refused)

    google_sim.move_event(ALICE, event_id, BOB)
    synced(app)

    after = only_meeting(zoom_sim)  # the old one deleted once the new one is shown
    assert after["id"] != before["id"] and after["host_email"] == BOB
    shown = find_block(google_sim.event(BOB, event_id)["description"])
    assert (shown.meeting_id, shown.join_url) == (after["id"], after["join_url"])
    assert not app.store.links(ALICE, [event_id])


@pytest.mark.parametrize(("source", "destination"), [(TEAM_A, TEAM_B), (TEAM_B, TEAM_A)])
def test_an_event_moved_to_another_watched_calendar_keeps_its_meeting(
    two_calendars, google_sim, zoom_sim, make_app, source, destination
):
    event_id = google_sim.put_event(source, {"summary": "Planning #zoom", **when()})["id"]
    app = make_app(two_calendars)
    synced(app, passes=1)
    before = only_meeting(zoom_sim)
    zoom_sim.reset_log()

    google_sim.move_event(source, event_id, destination)
    synced(app)

    after = only_meeting(zoom_sim)
    assert (after["id"], after["join_url"], after["host_email"]) == (
        before["id"],
        before["join_url"],
        OWNER_EMAIL,  # the config's host rules keep it where it was
    )
    assert zoom_writes(zoom_sim) == {"meetings.update": 1}  # the agenda's new reference
    assert "schedule_for" not in zoom_sim.calls("meetings.update")[0].json()
    assert_moved(google_sim, app, after, event_id, source, destination)


def test_a_cancelled_event_on_one_of_several_calendars_loses_its_meeting_two_passes_later(
    two_calendars, google_sim, zoom_sim, make_app, clock
):
    event_id = google_sim.put_event(TEAM_B, {"summary": "Planning #zoom", **when()})["id"]
    app = make_app(two_calendars)
    synced(app, passes=1)
    google_sim.delete_event(TEAM_B, event_id)

    clock.advance(seconds=1)
    synced(app, passes=1)  # it may have moved to TEAM_A, read before it in this pass
    assert len(zoom_sim.meetings()) == 1
    assert app.store.links(TEAM_B, [event_id])[event_id].departed_at is not None

    for _ in range(2):  # until a listing of TEAM_A that began after it is known
        clock.advance(seconds=1)
        synced(app, passes=1)
    assert zoom_sim.meetings() == []
    assert zoom_sim.count("meetings.delete") == 1
    assert not app.store.links(TEAM_B, [event_id])


def test_a_gone_event_waits_no_longer_than_the_limit_for_a_calendar_that_fails(
    two_calendars, google_sim, zoom_sim, make_app, clock
):
    event_id = google_sim.put_event(TEAM_A, {"summary": "Planning #zoom", **when()})["id"]
    app = make_app(two_calendars)
    synced(app, passes=1)
    google_sim.delete_event(TEAM_A, event_id)
    google_sim.remove_calendar(TEAM_B)  # unshared: its pass fails from now on

    for _ in range(3):
        app.run_pass()
    assert len(zoom_sim.meetings()) == 1
    clock.advance(hours=1)
    app.run_pass()

    assert zoom_sim.meetings() == []


def move_process(config, zoom_sim, tmp_path) -> subprocess.Popen:
    """`syncd sync` on its own, reading TEAM_A, then TEAM_B."""
    path = tmp_path / "config.toml"
    path.write_text(
        toml_for(config)
        .replace(f'calendars = ["{CALENDAR}"]', f'calendars = ["{TEAM_A}", "{TEAM_B}"]')
        .replace("[sync]", "[sync]\nworkers = 1")
    )
    env = os.environ | {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }
    log = child_log(tmp_path / f"sync-{time.monotonic_ns()}.log")
    process = subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(path), "sync"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    log.close()
    return process


def team_a_listed(google_sim) -> bool:
    """TEAM_A's listing is answered (a request is logged once answered)."""
    return google_sim.count("events.list") == 1


@pytest.mark.parametrize(("source", "destination"), [(TEAM_A, TEAM_B), (TEAM_B, TEAM_A)])
def test_kill_9_between_the_two_calendars_passes_keeps_the_meeting(
    two_calendars, google_sim, zoom_sim, make_app, clock, tmp_path, source, destination
):
    event_id = google_sim.put_event(source, {"summary": "Planning #zoom", **when()})["id"]
    synced(make_app(two_calendars), passes=1)
    before = only_meeting(zoom_sim)
    google_sim.move_event(source, event_id, destination)
    google_sim.reset_log()
    zoom_sim.reset_log()

    # TEAM_A's listing goes through; TEAM_B's hangs, and syncd is killed waiting for it.
    google_sim.inject("events.list", Fault())
    google_sim.inject("events.list", hang=3.0, status=503)
    process = move_process(two_calendars, zoom_sim, tmp_path)
    kill_when(process, lambda: google_sim.in_flight("events.list") and team_a_listed(google_sim))
    while google_sim.in_flight("events.list"):
        time.sleep(0.05)

    clock.now = datetime.now(UTC)  # the killed syncd ran on the real clock
    synced(make_app(two_calendars))

    after = only_meeting(zoom_sim)
    assert (after["id"], after["join_url"]) == (before["id"], before["join_url"])
    assert zoom_sim.count("meetings.delete") == zoom_sim.count("meetings.create") == 0
    assert_moved(google_sim, make_app(two_calendars), after, event_id, source, destination)
