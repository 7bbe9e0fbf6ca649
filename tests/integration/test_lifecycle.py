"""A tagged event's meeting over its whole life: one test per transition.

Each test checks Zoom (the meeting as the simulator holds it), the event (the user's text
intact, syncd's block present or gone) and the journal (the link's state, or no link), and
counts the requests that matter.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from syncd.config import ConfigError
from syncd.core.description import BEGIN_MARKER, find_block, plain_text, remove_block
from syncd.core.domain import MEETING_ID_PROPERTY, LinkState, reference_for
from syncd.sim.zoom import OWNER_EMAIL
from syncd.store.migrate import _alembic_config, current_revision
from tests.conftest import CALENDAR, when

TEXT = "Agenda:\n- roadmap\n- hiring"
HTML = "<b>Bring</b> the mock-ups<br>Thanks!"
ADA, BOB, DESK = "ada@example.com", "bob@example.com", "desk@example.com"
TEAM = "team@group.calendar.google.com"
NO_EMAILS = {"schedule_for_reminder": ["false"], "cancel_meeting_reminder": ["false"]}
WRITES = ("meetings.create", "meetings.update", "meetings.delete")


# -- helpers -----------------------------------------------------------------------------------
def put(google_sim, summary="Planning #zoom", description=TEXT, calendar=CALENDAR, **fields):
    event = {"summary": summary, "description": description, **when(), **fields}
    return google_sim.put_event(calendar, event)["id"]


def with_sync(config, **changes):
    return config.model_copy(update={"sync": config.sync.model_copy(update=changes)})


def with_zoom(config, **changes):
    return config.model_copy(update={"zoom": config.zoom.model_copy(update=changes)})


def organized_by(email):
    return {"organizer": {"email": email, "self": True}}


def zoom_time(event_time) -> str:
    moment = datetime.fromisoformat(event_time["dateTime"]).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def link_of(app, event_id, calendar=CALENDAR):
    return app.store.links(calendar, [event_id]).get(event_id)


def zoom_requests(zoom_sim) -> int:
    """Requests to Zoom's API, the token endpoint aside."""
    return zoom_sim.count() - zoom_sim.count("token")


def zoom_writes(zoom_sim) -> int:
    return sum(zoom_sim.count(route) for route in WRITES)


def update_bodies(zoom_sim):
    return [call.json() for call in zoom_sim.calls("meetings.update")]


def synced(app):
    report = app.run_pass()
    assert report.ok, report
    return report


def assert_linked(google_sim, zoom_sim, app, event_id, user_text=TEXT, calendar=CALENDAR):
    """The event shows exactly one block, of the meeting its link names; returns the meeting."""
    event = google_sim.event(calendar, event_id)
    description = event.get("description", "")
    block = find_block(description)
    assert block is not None
    assert description.count(BEGIN_MARKER) == 1
    assert remove_block(description) == user_text
    assert event["extendedProperties"]["private"][MEETING_ID_PROPERTY] == str(block.meeting_id)
    link = link_of(app, event_id, calendar)
    assert link.state is LinkState.LINKED
    assert link.meeting_id == block.meeting_id
    meeting = zoom_sim.meeting(block.meeting_id)
    assert meeting["join_url"] == block.join_url == link.join_url
    return meeting


def assert_unlinked(google_sim, app, event_id, user_text=TEXT):
    """The event is exactly the user's text again, with no trace of syncd."""
    event = google_sim.event(CALENDAR, event_id)
    assert event.get("description", "") == user_text
    assert MEETING_ID_PROPERTY not in event.get("extendedProperties", {}).get("private", {})
    assert link_of(app, event_id) is None


def linked_event(google_sim, zoom_sim, make_app, cfg=None, **fields):
    """A tagged event after a first pass, with the simulators' logs cleared."""
    event_id = put(google_sim, **fields)
    app = make_app(cfg)
    synced(app)
    meeting = assert_linked(google_sim, zoom_sim, app, event_id, fields.get("description", TEXT))
    zoom_sim.reset_log()
    google_sim.reset_log()
    return app, event_id, meeting


# -- create and follow ---------------------------------------------------------------------
def test_create_gives_the_event_a_meeting_and_an_idle_pass_sends_nothing(
    google_sim, zoom_sim, make_app
):
    event_id = put(google_sim)
    app = make_app()

    report = synced(app)

    assert report.calendars[0].meetings_created == 1
    assert zoom_sim.count("meetings.create") == 1
    meeting = assert_linked(google_sim, zoom_sim, app, event_id)
    event = google_sim.event(CALENDAR, event_id)
    assert meeting["topic"] == "Planning"
    assert meeting["start_time"] == zoom_time(event["start"])
    assert meeting["duration"] == 30
    assert meeting["timezone"] == "Europe/Berlin"
    assert meeting["host_email"] == OWNER_EMAIL
    assert meeting["agenda"] == f"{reference_for(CALENDAR, event_id)}\n{TEXT}"
    zoom_sim.reset_log()
    google_sim.reset_log()

    synced(app)

    assert zoom_requests(zoom_sim) == 0
    assert google_sim.count("events.patch") == 0


def test_move_patches_start_time_only(google_sim, zoom_sim, make_app):
    app, event_id, before = linked_event(google_sim, zoom_sim, make_app)
    description = google_sim.event(CALENDAR, event_id)["description"]
    moved = when(days=2, hour=14)
    google_sim.edit_event(CALENDAR, event_id, **moved)

    synced(app)

    assert update_bodies(zoom_sim) == [{"start_time": zoom_time(moved["start"])}]
    assert zoom_sim.count("meetings.create") == 0
    meeting = zoom_sim.meeting(before["id"])
    assert meeting["start_time"] == zoom_time(moved["start"])
    assert meeting["duration"] == 30
    assert meeting["join_url"] == before["join_url"]
    assert google_sim.count("events.patch") == 0
    assert google_sim.event(CALENDAR, event_id)["description"] == description
    assert link_of(app, event_id).made_from.start_time == zoom_time(moved["start"])


def test_one_moved_event_among_many_costs_one_zoom_request(google_sim, zoom_sim, make_app):
    ids = [
        put(google_sim, summary=f"M{i} #zoom", **when(days=1 + i % 20, hour=8 + i % 9))
        for i in range(60)
    ]
    app = make_app()
    synced(app)
    synced(app)  # lists syncd's own write-backs once
    zoom_sim.reset_log()
    google_sim.reset_log()
    google_sim.edit_event(CALENDAR, ids[17], **when(days=30))

    synced(app)

    assert zoom_requests(zoom_sim) == 1 and zoom_sim.count("meetings.update") == 1
    assert google_sim.count("events.patch") == 0
    zoom_sim.reset_log()
    synced(app)
    assert zoom_requests(zoom_sim) == 0


def test_resize_patches_duration_only(google_sim, zoom_sim, make_app):
    app, event_id, before = linked_event(google_sim, zoom_sim, make_app)
    event = google_sim.event(CALENDAR, event_id)
    end = datetime.fromisoformat(event["start"]["dateTime"]) + timedelta(minutes=75)
    google_sim.edit_event(
        CALENDAR, event_id, end={"dateTime": end.isoformat(), "timeZone": "Europe/Berlin"}
    )

    synced(app)

    assert update_bodies(zoom_sim) == [{"duration": 75}]
    meeting = zoom_sim.meeting(before["id"])
    assert meeting["duration"] == 75
    assert meeting["start_time"] == before["start_time"]
    assert google_sim.count("events.patch") == 0
    assert_linked(google_sim, zoom_sim, app, event_id)


def test_rename_patches_topic_only(google_sim, zoom_sim, make_app):
    app, event_id, before = linked_event(google_sim, zoom_sim, make_app)
    google_sim.edit_event(CALENDAR, event_id, summary="Roadmap review #zoom")

    synced(app)

    assert update_bodies(zoom_sim) == [{"topic": "Roadmap review"}]
    assert zoom_sim.meeting(before["id"])["topic"] == "Roadmap review"
    assert google_sim.count("events.patch") == 0
    assert_linked(google_sim, zoom_sim, app, event_id)


def test_another_zone_at_the_same_instant_patches_timezone_only(google_sim, zoom_sim, make_app):
    app, event_id, before = linked_event(google_sim, zoom_sim, make_app)
    event = google_sim.event(CALENDAR, event_id)
    google_sim.edit_event(
        CALENDAR,
        event_id,
        start={**event["start"], "timeZone": "Asia/Tokyo"},
        end={**event["end"], "timeZone": "Asia/Tokyo"},
    )

    synced(app)

    assert update_bodies(zoom_sim) == [{"timezone": "Asia/Tokyo"}]
    meeting = zoom_sim.meeting(before["id"])
    assert meeting["timezone"] == "Asia/Tokyo"
    assert meeting["start_time"] == before["start_time"]
    assert google_sim.count("events.patch") == 0


def test_edited_description_patches_the_agenda_only(google_sim, zoom_sim, make_app):
    app, event_id, before = linked_event(google_sim, zoom_sim, make_app)
    edited = "Agenda:\n- budget\n- offsite"
    description = google_sim.event(CALENDAR, event_id)["description"]
    google_sim.edit_event(CALENDAR, event_id, description=description.replace(TEXT, edited))

    synced(app)

    agenda = f"{reference_for(CALENDAR, event_id)}\n{edited}"
    assert update_bodies(zoom_sim) == [{"agenda": agenda}]
    assert zoom_sim.meeting(before["id"])["agenda"] == agenda
    assert google_sim.count("events.patch") == 0
    assert_linked(google_sim, zoom_sim, app, event_id, edited)


# -- cancel ------------------------------------------------------------------------------------
def test_cancel_deletes_the_meeting_without_emails(google_sim, zoom_sim, make_app):
    app, event_id, meeting = linked_event(google_sim, zoom_sim, make_app)
    google_sim.delete_event(CALENDAR, event_id)

    report = synced(app)

    assert report.calendars[0].meetings_deleted == 1
    assert zoom_sim.meetings() == []
    (delete,) = zoom_sim.calls("meetings.delete")
    assert delete.path.endswith(f"/meetings/{meeting['id']}")
    assert delete.query == NO_EMAILS
    assert link_of(app, event_id) is None
    assert google_sim.count("events.patch") == 0


def test_cancel_under_on_cancel_keep_keeps_the_meeting(google_sim, zoom_sim, make_app, config):
    keep = with_sync(config, on_cancel="keep")
    app, event_id, meeting = linked_event(google_sim, zoom_sim, make_app, keep)
    google_sim.delete_event(CALENDAR, event_id)

    synced(app)

    assert zoom_sim.meetings() == [meeting]
    assert zoom_requests(zoom_sim) == 0
    link = link_of(app, event_id)
    assert link.state is LinkState.KEPT and link.meeting_id == meeting["id"]
    zoom_sim.reset_log()
    google_sim.reset_log()

    synced(app)

    assert zoom_requests(zoom_sim) == 0
    assert google_sim.count("events.patch") == 0
    assert link_of(app, event_id).state is LinkState.KEPT
    assert zoom_sim.meetings() == [meeting]


def test_a_cancelled_event_restored_under_keep_is_followed_again(
    google_sim, zoom_sim, make_app, config
):
    keep = with_sync(config, on_cancel="keep")
    app, event_id, meeting = linked_event(google_sim, zoom_sim, make_app, keep)
    google_sim.delete_event(CALENDAR, event_id)
    synced(app)
    google_sim.edit_event(CALENDAR, event_id, status="confirmed")

    synced(app)

    assert zoom_sim.meetings() == [meeting]
    assert assert_linked(google_sim, zoom_sim, app, event_id) == meeting


# -- untag and re-tag --------------------------------------------------------------------------
@pytest.mark.parametrize("text", [TEXT, HTML], ids=["plain", "html"])
def test_untag_deletes_the_meeting_and_gives_back_the_users_text_then_retag(
    google_sim, zoom_sim, make_app, text
):
    app, event_id, meeting = linked_event(google_sim, zoom_sim, make_app, description=text)
    google_sim.edit_event(CALENDAR, event_id, summary="Planning")

    report = synced(app)

    assert report.calendars[0].blocks_removed == 1
    assert zoom_sim.meetings() == []
    (delete,) = zoom_sim.calls("meetings.delete")
    assert delete.query == NO_EMAILS
    assert_unlinked(google_sim, app, event_id, text)

    google_sim.edit_event(CALENDAR, event_id, summary="Planning #zoom")
    synced(app)

    (again,) = zoom_sim.meetings()
    assert again["id"] != meeting["id"]
    assert assert_linked(google_sim, zoom_sim, app, event_id, text) == again
    assert meeting["join_url"] not in google_sim.event(CALENDAR, event_id)["description"]


def test_a_meeting_deleted_in_zoom_is_made_again_on_the_next_change(
    google_sim, zoom_sim, make_app, caplog
):
    app, event_id, old = linked_event(google_sim, zoom_sim, make_app)
    zoom_sim.delete_out_of_band(old["id"])
    moved = when(days=3, hour=16)
    google_sim.edit_event(CALENDAR, event_id, **moved)

    with caplog.at_level(logging.INFO):
        synced(app)

    assert [c.status for c in zoom_sim.calls("meetings.update")] == [404]
    assert zoom_sim.count("meetings.create") == 1
    (new,) = zoom_sim.meetings()
    assert new["id"] != old["id"]
    assert new["start_time"] == zoom_time(moved["start"])
    assert assert_linked(google_sim, zoom_sim, app, event_id) == new
    assert old["join_url"] not in google_sim.event(CALENDAR, event_id)["description"]
    assert any(
        f"meeting {old['id']} was deleted in Zoom; making a new one" in r.getMessage()
        for r in caplog.records
    )


def test_the_audit_finds_a_meeting_deleted_in_zoom_without_waiting_for_a_change(
    google_sim, zoom_sim, make_app, config, clock, caplog
):
    audited = with_sync(config, audit_days=1)
    # Days ahead: the clock moves a day, and an event that has ended gets no new meeting.
    app, event_id, old = linked_event(google_sim, zoom_sim, make_app, audited, **when(days=5))
    zoom_sim.delete_out_of_band(old["id"])
    synced(app)
    assert zoom_sim.count("meetings.get") == 0  # every meeting was seen within the period

    clock.advance(days=1, minutes=1)
    with caplog.at_level(logging.INFO):
        synced(app)

    (new,) = zoom_sim.meetings()
    assert new["id"] != old["id"]
    assert assert_linked(google_sim, zoom_sim, app, event_id) == new
    assert any("was deleted in Zoom; making a new one" in r.getMessage() for r in caplog.records)
    zoom_sim.reset_log()
    clock.advance(hours=1)
    synced(app)
    assert zoom_requests(zoom_sim) == 0  # checked again only a period later


def test_the_audit_spreads_its_lookups_over_the_passes(
    google_sim, zoom_sim, make_app, config, clock
):
    audited = with_sync(config, audit_days=1, interval_seconds=6 * 3600)  # 4 passes a period
    for day in range(8):
        put(google_sim, summary=f"Planning {day} #zoom", **when(days=day + 1))
    app = make_app(audited)
    synced(app)
    clock.advance(days=1, minutes=1)
    zoom_sim.reset_log()
    synced(app)
    assert zoom_sim.count("meetings.get") == 2  # 8 meetings / 4 passes


# -- the user writes while syncd writes ----------------------------------------------------------
def test_a_users_edit_during_write_back_survives_to_the_last_character(
    google_sim, zoom_sim, make_app
):
    event_id = put(google_sim, description="first draft")
    edited = "Final agenda:\n- budget ✓ & more\n  - hiring  (Ada)\n"

    def user_edits() -> None:
        google_sim.edit_event(CALENDAR, event_id, description=edited)

    google_sim.inject("events.patch", action=user_edits)
    app = make_app()

    synced(app)

    assert [c.status for c in google_sim.calls("events.patch")] == [412, 200]
    meeting = assert_linked(google_sim, zoom_sim, app, event_id, edited)
    assert len(zoom_sim.meetings()) == 1
    assert meeting["agenda"] == f"{reference_for(CALENDAR, event_id)}\n{plain_text(edited)}"


def test_a_users_edit_during_block_removal_survives(google_sim, zoom_sim, make_app):
    app, event_id, _ = linked_event(google_sim, zoom_sim, make_app)
    google_sim.edit_event(CALENDAR, event_id, summary="Planning")
    edited = "Changed plans: in person, room 4"

    def user_edits() -> None:
        description = google_sim.event(CALENDAR, event_id)["description"]
        google_sim.edit_event(CALENDAR, event_id, description=description.replace(TEXT, edited))

    google_sim.inject("events.patch", action=user_edits)

    synced(app)

    assert [c.status for c in google_sim.calls("events.patch")] == [412, 200]
    assert zoom_sim.meetings() == []
    assert_unlinked(google_sim, app, event_id, edited)


# -- hosts -------------------------------------------------------------------------------------
def test_the_organizer_hosts(google_sim, zoom_sim, make_app, config):
    zoom_sim.add_user(ADA)
    cfg = with_zoom(config, host="organizer")
    app, event_id, meeting = linked_event(google_sim, zoom_sim, make_app, cfg, **organized_by(ADA))

    assert meeting["host_email"] == ADA
    assert link_of(app, event_id).host == ADA


@pytest.mark.parametrize("fallback", ["me", DESK])
def test_an_organizer_who_is_no_zoom_user_gets_the_fallback_host(
    google_sim, zoom_sim, make_app, config, caplog, fallback
):
    zoom_sim.add_user(DESK)
    cfg = with_zoom(config, host="organizer", host_fallback=fallback)
    stranger = "carol@elsewhere.example"

    with caplog.at_level(logging.INFO):
        _, _, meeting = linked_event(google_sim, zoom_sim, make_app, cfg, **organized_by(stranger))

    assert meeting["host_email"] == (OWNER_EMAIL if fallback == "me" else DESK)
    note = f"organizer {stranger} is no Zoom user here; host {fallback}"
    assert any(note in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("key", [CALENDAR, ADA])
def test_a_mapped_host_hosts(google_sim, zoom_sim, make_app, config, key):
    zoom_sim.add_user(BOB)
    cfg = with_zoom(config, hosts={key: BOB})

    _, _, meeting = linked_event(google_sim, zoom_sim, make_app, cfg, **organized_by(ADA))

    assert meeting["host_email"] == BOB


def test_a_new_organizer_takes_the_meeting_over_by_schedule_for(
    google_sim, zoom_sim, make_app, config
):
    zoom_sim.add_user(ADA)
    zoom_sim.add_user(BOB)
    cfg = with_zoom(config, host="organizer")
    app, event_id, before = linked_event(google_sim, zoom_sim, make_app, cfg, **organized_by(ADA))
    google_sim.edit_event(CALENDAR, event_id, **organized_by(BOB))

    synced(app)

    assert update_bodies(zoom_sim) == [{"schedule_for": BOB}]
    assert zoom_sim.count("meetings.create") == zoom_sim.count("meetings.delete") == 0
    (meeting,) = zoom_sim.meetings()
    assert meeting["id"] == before["id"] and meeting["host_email"] == BOB
    assert assert_linked(google_sim, zoom_sim, app, event_id) == meeting
    assert link_of(app, event_id).host == BOB
    assert google_sim.count("events.patch") == 0


@pytest.mark.parametrize("fallback", ["me", DESK])
def test_a_new_organizer_who_is_no_zoom_user_leaves_one_meeting_under_the_fallback(
    google_sim, zoom_sim, make_app, config, fallback
):
    zoom_sim.add_user(ADA)
    zoom_sim.add_user(DESK)
    cfg = with_zoom(config, host="organizer", host_fallback=fallback)
    app, event_id, _ = linked_event(google_sim, zoom_sim, make_app, cfg, **organized_by(ADA))
    google_sim.edit_event(CALENDAR, event_id, **organized_by("carol@elsewhere.example"))

    synced(app)

    (meeting,) = zoom_sim.meetings()
    assert meeting["host_email"] == (OWNER_EMAIL if fallback == "me" else DESK)
    assert assert_linked(google_sim, zoom_sim, app, event_id) == meeting
    assert link_of(app, event_id).host == fallback
    zoom_sim.reset_log()

    synced(app)

    assert zoom_requests(zoom_sim) == 0


def test_the_users_list_is_fetched_once(google_sim, zoom_sim, make_app, config):
    zoom_sim.add_user(ADA)
    app = make_app(with_zoom(config, host="organizer"))
    ids = [put(google_sim, summary=f"M{i} #zoom", **organized_by(ADA)) for i in range(3)]
    synced(app)
    google_sim.edit_event(CALENDAR, ids[0], summary="Renamed #zoom")
    put(google_sim, summary="M3 #zoom", **organized_by(ADA))

    synced(app)

    assert zoom_sim.count("users.list") == 1
    assert len(zoom_sim.meetings()) == 4
    assert {m["host_email"] for m in zoom_sim.meetings()} == {ADA}


# -- Zoom settings -----------------------------------------------------------------------------
def test_configured_settings_are_given_on_create(google_sim, zoom_sim, make_app, config):
    wanted = {"waiting_room": True, "join_before_host": False}
    cfg = with_zoom(config, settings=wanted)

    app = make_app(cfg)
    event_id = put(google_sim)

    synced(app)

    (create,) = zoom_sim.calls("meetings.create")
    (meeting,) = zoom_sim.meetings()
    assert create.json()["settings"] == wanted
    assert meeting["settings"]["waiting_room"] is True
    assert meeting["settings"]["join_before_host"] is False
    assert assert_linked(google_sim, zoom_sim, app, event_id) == meeting


def settled_with_settings(google_sim, zoom_sim, make_app, config, settings):
    """A linked event whose meeting has `settings`, after the pass that sees syncd's own
    write-back (the event is at rest: an incremental listing no longer returns it)."""
    app, event_id, meeting = linked_event(
        google_sim, zoom_sim, make_app, with_zoom(config, settings=settings)
    )
    synced(app)
    assert zoom_requests(zoom_sim) == 0
    return event_id, meeting


def test_settings_follow_a_config_change(google_sim, zoom_sim, make_app, config):
    event_id, meeting = settled_with_settings(
        google_sim, zoom_sim, make_app, config, {"waiting_room": True}
    )
    changed = {"waiting_room": False, "mute_upon_entry": True}
    app = make_app(with_zoom(config, settings=changed))

    synced(app)

    assert update_bodies(zoom_sim) == [{"settings": changed}]
    settings = zoom_sim.meeting(meeting["id"])["settings"]
    assert settings["waiting_room"] is False and settings["mute_upon_entry"] is True
    assert assert_linked(google_sim, zoom_sim, app, event_id)["id"] == meeting["id"]


def test_changed_settings_are_patched_with_update_fields_only(
    google_sim, zoom_sim, make_app, config
):
    # additional_data_center_regions is accepted by Zoom's create, not by its update.
    event_id, meeting = settled_with_settings(
        google_sim,
        zoom_sim,
        make_app,
        config,
        {"waiting_room": True, "additional_data_center_regions": ["EU"]},
    )
    changed = {"waiting_room": False, "mute_upon_entry": True}
    regions = {"additional_data_center_regions": ["EU", "US"]}
    app = make_app(with_zoom(config, settings={**changed, **regions}))
    google_sim.edit_event(CALENDAR, event_id, summary="Renamed #zoom")

    synced(app)

    assert update_bodies(zoom_sim) == [{"topic": "Renamed", "settings": changed}]
    settings = zoom_sim.meeting(meeting["id"])["settings"]
    assert settings["waiting_room"] is False and settings["mute_upon_entry"] is True
    assert assert_linked(google_sim, zoom_sim, app, event_id)["id"] == meeting["id"]


# -- the mass-change guard ---------------------------------------------------------------------
@pytest.mark.parametrize("how", ["untag", "cancel"])
def test_the_guard_holds_a_mass_deletion_until_it_is_allowed(
    google_sim, zoom_sim, make_app, config, clock, how
):
    cfg = with_sync(config, delete_guard_min=3, delete_guard_share=0.5)
    ids = [put(google_sim, summary=f"M{i} #zoom") for i in range(6)]
    app = make_app(cfg)
    synced(app)
    for event_id in ids[:5]:
        if how == "untag":
            google_sim.edit_event(CALENDAR, event_id, summary="M")
        else:
            google_sim.delete_event(CALENDAR, event_id)

    report = app.run_pass()

    assert not report.ok
    calendar = report.calendars[0]
    assert "mass-change guard" in calendar.warning and calendar.deletions_held == 5
    assert "mass-change guard" in app.store.calendar(CALENDAR).last_error
    assert len(zoom_sim.meetings()) == 6 and zoom_sim.count("meetings.delete") == 0
    if how == "untag":
        for event_id in ids[:5]:
            assert find_block(google_sim.event(CALENDAR, event_id)["description"]) is not None

    app.run_pass()
    clock.advance(hours=2)  # the held deletions are looked at again, and held again
    assert "mass-change guard" in app.run_pass().calendars[0].warning
    assert len(zoom_sim.meetings()) == 6 and zoom_sim.count("meetings.delete") == 0

    allowed = make_app(cfg, allow_deletes=True)
    assert allowed.run_pass().ok
    assert zoom_sim.count("meetings.delete") == 5
    assert len(zoom_sim.meetings()) == 1
    assert assert_linked(google_sim, zoom_sim, allowed, ids[5])
    for event_id in ids[:5]:
        assert link_of(allowed, event_id) is None
        if how == "untag":
            assert_unlinked(google_sim, allowed, event_id)
    assert app.store.calendar(CALENDAR).last_error is None


def test_held_deletions_stay_held_whatever_their_retry_times(
    google_sim, zoom_sim, make_app, config, clock
):
    cfg = with_sync(config, delete_guard_min=3, delete_guard_share=0.5)
    ids = [put(google_sim, summary=f"M{i} #zoom") for i in range(6)]
    app = make_app(cfg)
    synced(app)
    for event_id in ids[:4]:
        google_sim.edit_event(CALENDAR, event_id, summary="M")
    assert app.run_pass().calendars[0].deletions_held == 4
    clock.advance(seconds=61)  # the four are due again; a fifth is untagged meanwhile
    google_sim.edit_event(CALENDAR, ids[4], summary="M")
    assert app.run_pass().calendars[0].deletions_held == 5
    clock.advance(seconds=61)  # the fifth was held with less back-off: it is due alone

    app.run_pass()

    assert len(zoom_sim.meetings()) == 6 and zoom_sim.count("meetings.delete") == 0
    assert link_of(app, ids[4]).held_at is not None


def test_one_untag_under_the_guards_thresholds_is_carried_out_at_once(
    google_sim, zoom_sim, make_app, config
):
    cfg = with_sync(config, delete_guard_min=3, delete_guard_share=0.5)
    ids = [put(google_sim, summary=f"M{i} #zoom") for i in range(6)]
    app = make_app(cfg)
    synced(app)
    google_sim.edit_event(CALENDAR, ids[0], summary="M")

    report = synced(app)

    assert report.calendars[0].deletions_held == 0
    assert len(zoom_sim.meetings()) == 5
    assert_unlinked(google_sim, app, ids[0])


# -- dry run -----------------------------------------------------------------------------------
def test_a_dry_run_changes_nothing_and_says_what_it_would_do(
    google_sim, zoom_sim, make_app, caplog
):
    moved, untagged = put(google_sim, summary="Moved #zoom"), put(google_sim, summary="Off #zoom")
    app = make_app()
    synced(app)
    google_sim.edit_event(CALENDAR, moved, **when(days=4))
    google_sim.edit_event(CALENDAR, untagged, summary="Off")
    new = put(google_sim, summary="New #zoom")
    ids = [moved, untagged, new]
    links, state = app.store.links(CALENDAR, ids), app.store.calendar(CALENDAR)
    meetings, events = zoom_sim.meetings(), google_sim.events(CALENDAR)
    zoom_sim.reset_log()
    google_sim.reset_log()

    with caplog.at_level(logging.INFO):
        make_app(dry_run=True).run_pass()

    assert zoom_writes(zoom_sim) == 0 and google_sim.count("events.patch") == 0
    assert zoom_sim.meetings() == meetings and google_sim.events(CALENDAR) == events
    assert app.store.links(CALENDAR, ids) == links
    assert app.store.calendar(CALENDAR).sync_token == state.sync_token
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("dry run:")]
    for event_id, would in [
        (moved, "would update meeting"),
        (untagged, "would remove the meeting block"),
        (new, "would create a meeting"),
    ]:
        assert any(event_id in line and would in line for line in lines), lines

    synced(app)  # the dry run left every change for the real pass
    assert zoom_writes(zoom_sim) == 3
    assert_linked(google_sim, zoom_sim, app, new)
    assert_unlinked(google_sim, app, untagged)


def test_a_dry_run_before_the_first_pass_creates_no_database(
    google_sim, zoom_sim, make_app, config, caplog
):
    put(google_sim)

    with caplog.at_level(logging.INFO):
        make_app(dry_run=True).run_pass()

    assert not Path(config.sync.database_url.removeprefix("sqlite:///")).exists()
    assert zoom_writes(zoom_sim) == 0 and google_sim.count("events.patch") == 0
    assert any("would create a meeting" in r.getMessage() for r in caplog.records)


def test_a_dry_run_against_an_old_database_fails_and_migrates_nothing(
    google_sim, zoom_sim, make_app, config
):
    put(google_sim)
    engine = create_engine(config.sync.database_url)
    alembic = _alembic_config()
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0001")

    with pytest.raises(ConfigError, match="revision 0001"):
        make_app(dry_run=True)

    assert current_revision(engine) == "0001"
    engine.dispose()
    assert zoom_requests(zoom_sim) == 0
    assert google_sim.count("events.patch") == 0


# -- calendars ---------------------------------------------------------------------------------
def test_a_calendar_that_answers_404_is_skipped_and_the_other_still_syncs(
    google_sim, zoom_sim, make_app, config
):
    google_sim.add_calendar(TEAM, time_zone="America/New_York")
    two = config.model_copy(
        update={"google": config.google.model_copy(update={"calendars": [TEAM, CALENDAR]})}
    )
    team_event = put(google_sim, summary="Team #zoom", calendar=TEAM)
    app = make_app(two)
    synced(app)
    assert_linked(google_sim, zoom_sim, app, team_event, calendar=TEAM)
    google_sim.remove_calendar(TEAM)
    event_id = put(google_sim)

    report = app.run_pass()

    by_id = {c.calendar_id: c for c in report.calendars}
    assert not report.ok
    assert by_id[TEAM].error and "404" in by_id[TEAM].error
    assert by_id[CALENDAR].error is None and not by_id[CALENDAR].failures
    assert_linked(google_sim, zoom_sim, app, event_id)
    assert len(zoom_sim.meetings()) == 2  # the unreachable calendar's meeting is left alone
    assert zoom_sim.count("meetings.delete") == 0
    assert link_of(app, team_event, TEAM).state is LinkState.LINKED


def test_an_unreachable_calendars_queued_events_keep_their_meetings(
    google_sim, zoom_sim, make_app, config, clock
):
    google_sim.add_calendar(TEAM, time_zone="America/New_York")
    team = config.model_copy(
        update={"google": config.google.model_copy(update={"calendars": [TEAM]})}
    )
    event_id = put(google_sim, summary="Team #zoom", calendar=TEAM)
    google_sim.inject("events.patch", status=500, times=None)
    app = make_app(team)
    app.run_pass()
    assert link_of(app, event_id, TEAM).state is LinkState.CREATED  # queued for write-back
    google_sim.clear_faults()
    google_sim.remove_calendar(TEAM)
    clock.advance(hours=2)

    report = app.run_pass()

    assert "404" in report.calendars[0].error
    assert len(zoom_sim.meetings()) == 1 and zoom_sim.count("meetings.delete") == 0
    assert link_of(app, event_id, TEAM) is not None


# -- what must never cost a working join link -------------------------------------------------
def dead_links(google_sim, zoom_sim, event_ids) -> int:
    alive = {m["id"] for m in zoom_sim.meetings()}
    blocks = [find_block(google_sim.event(CALENDAR, i)["description"]) for i in event_ids]
    return sum(block is None or block.meeting_id not in alive for block in blocks)


def forget_made_from(config) -> None:
    """Put the database in the state a 0001 database is in right after migration 0002."""
    engine = create_engine(config.sync.database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "update links set topic=NULL, agenda=NULL, meeting_type=NULL, start_time=NULL,"
            " duration=NULL, timezone=NULL, settings=NULL"
        )
        connection.exec_driver_sql("update calendars set settings_fingerprint=NULL")
    engine.dispose()


def test_after_an_upgrade_meetings_are_compared_with_zoom_not_patched(
    google_sim, zoom_sim, make_app, config
):
    for i in range(6):
        put(google_sim, summary=f"M{i} #zoom", **when(days=i + 1))
    synced(make_app())
    forget_made_from(config)
    zoom_sim.reset_log()

    synced(make_app())

    assert zoom_sim.count("meetings.get") == 6  # reads cost nothing of the daily allowance
    assert zoom_writes(zoom_sim) == 0


def test_a_host_that_zoom_does_not_know_costs_no_meeting(google_sim, zoom_sim, make_app, config):
    ids = [put(google_sim, summary=f"M{i} #zoom", **when(days=i + 1)) for i in range(3)]
    synced(make_app())
    typo = with_zoom(config, host="alcie@example.com")  # meant alice@

    report = make_app(typo).run_pass()

    assert len(report.calendars[0].failures) == 3
    assert zoom_sim.count("meetings.delete") == 0
    assert dead_links(google_sim, zoom_sim, ids) == 0
    assert {link_of(make_app(), i).host for i in ids} == {"me"}


def test_a_new_host_at_its_daily_limit_costs_no_meeting(google_sim, zoom_sim, make_app, config):
    zoom_sim.add_user(ADA)
    ids = [put(google_sim, summary=f"M{i} #zoom", **when(days=i + 1)) for i in range(6)]
    synced(make_app(with_zoom(config, host=ADA)))
    zoom_sim.limits.daily_limit = 3  # the owner ("me") has three creates left today

    make_app().run_pass()  # the config is back at host = "me": Zoom cannot move them there

    assert len(zoom_sim.meetings()) == 6
    assert dead_links(google_sim, zoom_sim, ids) == 0
    hosts = sorted(m["host_email"] for m in zoom_sim.meetings())
    assert hosts == [ADA] * 3 + [OWNER_EMAIL] * 3


def test_while_the_users_cannot_be_listed_meetings_keep_their_host(
    google_sim, zoom_sim, make_app, config
):
    zoom_sim.add_user(ADA)
    cfg = with_zoom(config, host="organizer")
    event_id = put(google_sim, **organized_by("carol@elsewhere.example"))
    synced(make_app(cfg))
    (before,) = zoom_sim.meetings()
    zoom_sim.inject("users.list", status=403, body={"code": 124, "message": "no"}, times=None)
    google_sim.edit_event(CALENDAR, event_id, summary="Renamed #zoom")
    zoom_sim.reset_log()

    synced(make_app(cfg))

    (after,) = zoom_sim.meetings()
    assert after["id"] == before["id"] and after["topic"] == "Renamed"
    assert update_bodies(zoom_sim) == [{"topic": "Renamed"}]


def test_a_meeting_found_after_a_lost_create_moves_to_a_new_organizer(
    google_sim, zoom_sim, make_app, config, clock
):
    zoom_sim.add_user(ADA)
    zoom_sim.add_user(BOB)
    cfg = with_zoom(config, host="organizer", timeout_seconds=1)
    event_id = put(google_sim, **organized_by(ADA))
    zoom_sim.inject("meetings.create", hang=2.5)
    app = make_app(cfg)
    app.run_pass()
    assert link_of(app, event_id).state is LinkState.CREATING
    time.sleep(2)  # the create reaches Zoom after syncd gave up on it
    google_sim.edit_event(CALENDAR, event_id, **organized_by(BOB))
    clock.advance(minutes=5)

    synced(app)
    synced(app)

    (meeting,) = zoom_sim.meetings()
    assert meeting["host_email"] == BOB
    assert link_of(app, event_id).host == BOB


def test_deletions_held_then_undone_leave_no_warning(google_sim, zoom_sim, make_app, config):
    cfg = with_sync(config, delete_guard_min=3)
    for i in range(6):
        put(google_sim, summary=f"M{i} #zoom")
    synced(make_app(cfg))
    assert make_app(with_sync(cfg, tag="#meet")).run_pass().calendars[0].deletions_held == 6

    report = make_app(cfg).run_pass()  # the operator puts the tag back

    assert report.ok, report
    assert len(zoom_sim.meetings()) == 6


def test_a_calendar_that_answers_403_is_skipped_and_the_other_still_syncs(
    google_sim, zoom_sim, make_app, config
):
    google_sim.add_calendar(TEAM, time_zone="America/New_York")
    two = config.model_copy(
        update={"google": config.google.model_copy(update={"calendars": [TEAM, CALENDAR]})}
    )
    two = with_sync(two, workers=1)  # one calendar after the other: TEAM's listing is first
    event_id = put(google_sim)
    forbidden = {
        "error": {"code": 403, "message": "Forbidden", "errors": [{"reason": "forbidden"}]}
    }
    google_sim.inject("events.list", status=403, body=forbidden)  # the first listing: TEAM's

    report = make_app(two).run_pass()

    by_id = {c.calendar_id: c for c in report.calendars}
    assert "403 forbidden" in (by_id[TEAM].error or "")
    assert by_id[CALENDAR].error is None
    assert len(zoom_sim.meetings()) == 1 and find_block(
        google_sim.event(CALENDAR, event_id)["description"]
    )


def test_a_cancelled_occurrence_deletes_that_occurrence_only(google_sim, zoom_sim, make_app):
    series = put(google_sim, summary="Standup #zoom", recurrence=["RRULE:FREQ=DAILY;COUNT=5"])
    app = make_app()
    synced(app)
    (meeting,) = zoom_sim.meetings()
    start = google_sim.event(CALENDAR, series)["start"]
    second = (datetime.fromisoformat(start["dateTime"]) + timedelta(days=1)).isoformat()
    google_sim.put_event(
        CALENDAR,
        {
            "id": f"{series}_1",
            "recurringEventId": series,
            "originalStartTime": {"dateTime": second, "timeZone": start["timeZone"]},
            "status": "cancelled",
        },
    )
    zoom_sim.reset_log()

    synced(app)

    (delete,) = zoom_sim.calls("meetings.delete")
    occurrence = str(int(datetime.fromisoformat(second).timestamp() * 1000))
    assert delete.query["occurrence_id"] == [occurrence]
    (after,) = zoom_sim.meetings()
    assert after["id"] == meeting["id"]
    deleted = [o["occurrence_id"] for o in after["occurrences"] if o["status"] == "deleted"]
    assert deleted == [occurrence]
    assert link_of(app, series).state is LinkState.LINKED


def test_an_event_gone_for_good_loses_its_meeting(google_sim, zoom_sim, make_app, clock):
    event_id = put(google_sim)
    google_sim.inject("events.patch", status=500, times=None)
    app = make_app()
    app.run_pass()  # the meeting exists; writing it back failed
    assert link_of(app, event_id).state is LinkState.CREATED
    google_sim.clear_faults()
    google_sim.inject("events.get", status=404, times=None)  # purged: Google forgot it
    clock.advance(hours=1)

    synced(app)

    assert zoom_sim.meetings() == []
    assert link_of(app, event_id) is None


# -- a re-host by replacement, interrupted ----------------------------------------------------
def test_a_lost_create_between_two_names_of_one_user_leaves_one_meeting(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim)
    synced(make_app(with_zoom(config, host=OWNER_EMAIL)))
    zoom_sim.inject("meetings.create", hang=2.5)
    app = make_app(with_zoom(config, host="me", timeout_seconds=1))  # the same user, renamed
    app.run_pass()
    assert link_of(app, event_id).state is LinkState.CREATING
    time.sleep(2)  # the create reaches Zoom after syncd gave up on it

    for _ in range(3):
        clock.advance(hours=2)
        synced(app)

    assert len(zoom_sim.meetings()) == 1
    assert dead_links(google_sim, zoom_sim, [event_id]) == 0
    assert app.store.due_links(CALENDAR, clock.now + timedelta(days=365)) == []


def replaced_but_not_shown(google_sim, zoom_sim, make_app, config):
    """An event whose host changed to "me": a new meeting replaces the old one, whose
    write-back failed, so the event still shows the old one."""
    zoom_sim.add_user(ADA)
    event_id = put(google_sim)
    synced(make_app(with_zoom(config, host=ADA)))
    (old,) = zoom_sim.meetings()
    google_sim.inject("events.patch", status=500, times=None)
    make_app(config).run_pass()
    google_sim.clear_faults()
    link = link_of(make_app(config), event_id)
    assert link.state is LinkState.CREATED and link.replaced_meeting_id == old["id"]
    return event_id, old


def test_a_second_host_change_never_costs_the_meeting_the_event_shows(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id, _ = replaced_but_not_shown(google_sim, zoom_sim, make_app, config)
    app = make_app(with_zoom(config, host="alcie@example.com"))  # a typo: no such Zoom user

    for _ in range(4):
        clock.advance(hours=3)
        app.run_pass()

    assert dead_links(google_sim, zoom_sim, [event_id]) == 0
    assert len(zoom_sim.meetings()) == 1


def test_cancelled_under_keep_keeps_the_meeting_its_attendees_know(
    google_sim, zoom_sim, make_app, config
):
    event_id, old = replaced_but_not_shown(google_sim, zoom_sim, make_app, config)
    google_sim.edit_event(CALENDAR, event_id, status="cancelled")

    app = make_app(with_sync(config, on_cancel="keep"))
    synced(app)
    synced(app)

    assert [m["id"] for m in zoom_sim.meetings()] == [old["id"]]
    assert link_of(app, event_id) is None
