"""`syncd status --json` against a known world: its documented shape, and every value in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from syncd.commands.status import schema
from tests.conftest import CALENDAR
from tests.integration.command import toml_for

YEAR = datetime.now(UTC).year + 1  # the events lie ahead, whenever the tests run
GHOST = "ghost@example.com"  # no user of the Zoom account
ROOM = "room@example.com"  # a calendar whose meetings GHOST is to host


def berlin(day: str, hour: int) -> dict:
    return {
        "start": {"dateTime": f"{day}T{hour:02}:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": f"{day}T{hour + 1:02}:00:00", "timeZone": "Europe/Berlin"},
    }


@pytest.fixture
def world(syncd, config, tmp_path, google_sim, zoom_sim):
    """A one-off and a series linked, one event queued by a failing create, one parked."""
    config_file = tmp_path / "world.toml"
    two_calendars = toml_for(config).replace(f'["{CALENDAR}"]', f'["{CALENDAR}", "{ROOM}"]')
    config_file.write_text(two_calendars + f'[zoom.hosts]\n"{ROOM}" = "{GHOST}"\n')
    google_sim.add_calendar(ROOM, "Europe/Berlin")
    review = {"summary": "Review #zoom", **berlin(f"{YEAR}-07-06", 15)}
    one_off = google_sim.put_event(CALENDAR, review)
    series = google_sim.put_event(
        CALENDAR,
        {
            "summary": "#zoom Standup",
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=10"],
            **berlin(f"{YEAR}-01-12", 9),
        },
    )
    assert syncd("--config", str(config_file), "sync").returncode == 0
    retro = {"summary": "Retro #zoom", **berlin(f"{YEAR}-02-01", 11)}
    queued = google_sim.put_event(CALENDAR, retro)
    zoom_sim.inject("meetings.create", status=500)
    assert syncd("--config", str(config_file), "sync").returncode == 1
    # The next pass, before Retro's retry is due: Zoom is healthy again.
    parked = google_sim.put_event(ROOM, {"summary": "Ghost #zoom", **berlin(f"{YEAR}-02-02", 11)})
    assert syncd("--config", str(config_file), "sync").returncode == 1
    shown = syncd("--config", str(config_file), "status", "--json")
    assert shown.returncode == 0, shown.stderr
    ids = {"one_off": one_off["id"], "series": series["id"], "queued": queued["id"]}
    return json.loads(shown.stdout), ids | {"parked": parked["id"]}


def strict(node):
    """The schema with no field left undocumented: the shipped one lets consumers meet
    fields added within the version; syncd's own output must document every one."""
    if isinstance(node, dict):
        node = {key: strict(value) for key, value in node.items()}
        if "properties" in node:
            node["additionalProperties"] = False
    elif isinstance(node, list):
        node = [strict(value) for value in node]
    return node


def test_status_json_follows_its_documented_schema(world):
    report, _ = world
    jsonschema.validate(report, strict(schema()))


def test_status_json_shows_the_known_world(world, zoom_sim):
    report, ids = world
    meeting_of = {m["topic"]: m["id"] for m in zoom_sim.meetings()}
    assert report["version"] == 1
    now = datetime.fromisoformat(report["generated_at"])
    assert abs((now - datetime.now(UTC)).total_seconds()) < 60

    assert [calendar["id"] for calendar in report["calendars"]] == sorted([CALENDAR, ROOM])
    for calendar in report["calendars"]:
        assert calendar["time_zone"] == "Europe/Berlin"
        assert calendar["incremental"] is True
        assert calendar["lease"] is None  # released at the end of the pass
        assert calendar["last_success_at"] is not None and calendar["last_error"] is None

    # A create answered 500 may have reached Zoom: creating until its reference is looked up.
    assert report["link_counts"] == {"creating": 1, "linked": 2, "pending": 1}
    links = {link["event_id"]: link for link in report["links"]}
    assert links[ids["one_off"]] == {
        "calendar_id": CALENDAR,
        "event_id": ids["one_off"],
        "summary": "Review #zoom",
        "state": "linked",
        "meeting_id": meeting_of["Review"],
        "host": "me",
        "schedule": "one-off",
        "no_fixed_time": None,
        "zone": "Europe/Berlin",
        "next_start": f"{YEAR}-07-06T13:00:00+00:00",  # CEST
        "next_start_local": f"{YEAR}-07-06T15:00:00+02:00",
    }
    assert links[ids["series"]] | {"meeting_id": None} == {
        "calendar_id": CALENDAR,
        "event_id": ids["series"],
        "summary": "#zoom Standup",
        "state": "linked",
        "meeting_id": None,
        "host": "me",
        "schedule": "series",
        "no_fixed_time": None,
        "zone": "Europe/Berlin",
        "next_start": f"{YEAR}-01-12T08:00:00+00:00",  # CET
        "next_start_local": f"{YEAR}-01-12T09:00:00+01:00",
    }
    assert links[ids["series"]]["meeting_id"] == meeting_of["Standup"]
    assert links[ids["queued"]]["meeting_id"] is None
    assert links[ids["queued"]]["summary"] == "Retro #zoom"  # no meeting, and still named
    assert links[ids["parked"]]["state"] == "pending"

    (queued,) = report["queued"]
    assert queued["event_id"] == ids["queued"]
    assert queued["summary"] == "Retro #zoom"
    assert queued["state"] == "creating"
    # A 5xx: tried again on the next pass, since Zoom answers, before the create settled.
    assert queued["attempts"] == 2
    assert "may still reach Zoom" in queued["reason"]
    assert datetime.fromisoformat(queued["next_attempt_at"]) > now
    (parked,) = report["parked"]
    assert parked["event_id"] == ids["parked"]
    assert parked["summary"] == "Ghost #zoom"
    assert parked["attempts"] == 1
    assert "User does not exist" in parked["reason"]
