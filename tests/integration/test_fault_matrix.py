"""The fault matrix: `syncd sync` killed with SIGKILL at each step of a create, an update, an
untag (block removal, then delete) and a cancel, while the request is in flight (it then
reaches Zoom or Google, or is answered 503), with the database kept or deleted afterwards.
Every cell, once syncd has run again: one live meeting per tagged event, none for the rest,
the user's text intact.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from syncd.core.timing import zoom_utc
from tests.conftest import CALENDAR
from tests.integration.outcome import Outcome, outcome
from tests.integration.test_crash import kill_when, sync_process
from tests.integration.test_lifecycle import put, synced
from tests.integration.test_store_faults import database_files

pytestmark = pytest.mark.slow  # five minutes of kills and faults: CI's second step

CHANGES = {  # what the user does, and the routes syncd's pass then takes, in order
    "create": ("meetings.create", "events.patch"),
    "update": ("meetings.update",),
    "untag": ("events.patch", "meetings.delete"),
    "cancel": ("meetings.delete",),
}


def cells():
    for change, routes in CHANGES.items():
        for route in routes:
            for reaches in (True, False):
                for database in ("kept", "deleted"):
                    reach = "reaches" if reaches else "503"
                    yield pytest.param(
                        change,
                        route,
                        reaches,
                        database,
                        id=f"{change}-{route}-{reach}-db-{database}",
                    )


def the_user_does(change, google_sim, event_id) -> None:
    event = google_sim.event(CALENDAR, event_id)
    if change == "update":
        later = {
            key: {"dateTime": _later(event[key]["dateTime"]), "timeZone": event[key]["timeZone"]}
            for key in ("start", "end")
        }
        google_sim.edit_event(CALENDAR, event_id, **later)
    elif change == "untag":
        google_sim.edit_event(CALENDAR, event_id, summary="Planning")
    elif change == "cancel":
        google_sim.delete_event(CALENDAR, event_id)


def _later(text: str) -> str:
    return (datetime.fromisoformat(text) + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(("change", "route", "reaches", "database"), list(cells()))
def test_kill_9_in_flight(
    google_sim, zoom_sim, make_app, config, tmp_path, clock, change, route, reaches, database
):
    event_id = put(google_sim)
    if change != "create":  # a linked event first, then the user's change
        first = make_app()
        synced(first)
        first.close()
    the_user_does(change, google_sim, event_id)
    sim = zoom_sim if route.startswith("meetings") else google_sim
    sim.inject(route, hang=1.0, status=None if reaches else 503)
    process = sync_process(config, zoom_sim, tmp_path)
    kill_when(process, lambda: sim.in_flight(route) > 0)
    if database == "deleted":
        for path in database_files(config):
            path.unlink()

    restarted = make_app()
    restarted.run_pass()
    while sim.in_flight(route):
        time.sleep(0.05)
    for _ in range(2):
        clock.advance(minutes=3)
        restarted.run_pass()

    wanted = change in ("create", "update")
    found = outcome(google_sim, zoom_sim, [event_id] * wanted, [event_id] * (not wanted))
    assert found == Outcome()


ROUTES = (
    "events.list",
    "events.get",
    "events.patch",
    "meetings.create",
    "meetings.update",
    "meetings.delete",
    "meetings.list",
    "token",
)
FAULTS = {
    "429": {"status": 429, "headers": {"Retry-After": "0"}},
    "503": {"status": 503},
    "timeout": {"hang": 0.6},
}


LEFT_FOR_THE_NEXT_PASS = {
    "events.get": {"status": 503},  # a queued event is read again when its time comes
    "meetings.list": {"hang": 0.6},  # a create of unknown outcome is looked up by reference
}


def settled(*sims) -> None:
    """Every request the simulators hold (a hang outlives the client's timeout) is done."""
    routes = (*ROUTES, "meetings.get")
    while any(sim.in_flight(route) for sim in sims for route in routes):
        time.sleep(0.05)


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("route", ROUTES)
def test_a_route_failing_for_a_whole_pass(
    google_sim, zoom_sim, make_app, config, clock, route, fault
):
    """A tagged new event, a linked one moved, a linked one untagged: the route fails every
    request of two passes (after its own retries), then recovers."""
    quick = config.model_copy(
        update={
            "google": config.google.model_copy(update={"timeout_seconds": 0.3}),
            "zoom": config.zoom.model_copy(update={"timeout_seconds": 0.3}),
        }
    )
    moved, untagged = put(google_sim, summary="Moved #zoom"), put(google_sim, summary="Gone #zoom")
    synced(make_app(quick))
    new = put(google_sim, summary="New #zoom")
    the_user_does("update", google_sim, moved)
    the_user_does("untag", google_sim, untagged)
    if route in LEFT_FOR_THE_NEXT_PASS:  # a route only a pass after a failure takes
        zoom_sim.inject("meetings.create", **LEFT_FOR_THE_NEXT_PASS[route])
    for sim in (google_sim, zoom_sim):
        sim.inject(route, times=None, **FAULTS[fault])
    app = make_app(quick)
    google_sim.reset_log()
    zoom_sim.reset_log()
    app.run_pass()
    settled(google_sim, zoom_sim)  # the clock says minutes pass: so must the requests
    clock.advance(minutes=3)
    app.run_pass()  # the second pass, still failing, resumes and looks up what the first left
    settled(google_sim, zoom_sim)
    assert google_sim.count(route) + zoom_sim.count(route) > 0  # the fault was met
    google_sim.clear_faults()
    zoom_sim.clear_faults()
    for _ in range(3):
        clock.advance(minutes=3)
        app.run_pass()

    assert outcome(google_sim, zoom_sim, [new, moved], [untagged]) == Outcome()
    moved_start = google_sim.event(CALENDAR, moved)["start"]["dateTime"]
    (moved_meeting,) = [m for m in zoom_sim.meetings() if m["topic"].startswith("Moved")]
    assert moved_meeting["start_time"] == zoom_utc(datetime.fromisoformat(moved_start))
    assert len(zoom_sim.meetings()) == 2
