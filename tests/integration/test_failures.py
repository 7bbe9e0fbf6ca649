"""Outages, races and lost state: nothing is lost, nothing is duplicated."""

from __future__ import annotations

import logging
from pathlib import Path

from syncd.adapters.retry import RetryPolicy
from syncd.core.description import find_block, remove_block
from syncd.core.domain import LinkState
from syncd.sim.server import Fault
from tests.conftest import CALENDAR, when


def tagged(google_sim, summary: str = "Planning #zoom", **fields) -> str:
    return google_sim.put_event(CALENDAR, {"summary": summary, **when(), **fields})["id"]


def link_state(app, event_id: str):
    return app.store.links(CALENDAR, [event_id])[event_id]


def test_zoom_outage_queues_the_event_and_the_token_still_advances(
    google_sim, zoom_sim, make_app, clock
):
    event_id = tagged(google_sim)
    zoom_sim.inject("meetings.create", status=503, times=None)
    app = make_app()

    report = app.run_pass()

    assert not report.ok and report.calendars[0].failures
    link = link_state(app, event_id)
    assert link.next_attempt_at is not None and "503" in link.last_error
    assert app.store.calendar(CALENDAR).sync_token is not None
    assert find_block(google_sim.event(CALENDAR, event_id).get("description", "")) is None

    zoom_sim.clear_faults()
    clock.advance(minutes=2)
    assert app.run_pass().ok
    assert len(zoom_sim.meetings()) == 1
    assert link_state(app, event_id).state is LinkState.LINKED
    assert find_block(google_sim.event(CALENDAR, event_id)["description"]) is not None


def test_a_lost_create_response_is_found_by_reference_not_created_again(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = tagged(google_sim, description="A long agenda. " * 100)
    slow = config.model_copy(update={"zoom": config.zoom.model_copy(update={"timeout_seconds": 1})})
    # Zoom creates the meeting but the answer arrives after syncd stopped waiting.
    zoom_sim.inject("meetings.create", hang=2.5)
    app = make_app(slow)

    app.run_pass()

    assert link_state(app, event_id).state is LinkState.CREATING
    clock.advance(minutes=2)
    import time

    time.sleep(2)  # let the simulator finish the create it was hanging on
    assert len(zoom_sim.meetings()) == 1

    assert app.run_pass().ok
    assert len(zoom_sim.meetings()) == 1
    assert zoom_sim.count("meetings.create") == 1
    assert zoom_sim.count("meetings.list") >= 1
    assert link_state(app, event_id).state is LinkState.LINKED
    block = find_block(google_sim.event(CALENDAR, event_id)["description"])
    assert block.meeting_id == zoom_sim.meetings()[0]["id"]


def test_a_refused_create_is_retried_without_a_lookup(google_sim, zoom_sim, make_app, clock):
    app = make_app()
    tagged(google_sim, summary="Earlier #zoom")
    app.run_pass()  # the store's first pass lists the host's meetings once, before creating
    clock.advance(minutes=3)
    app.run_pass()  # and once its creates can no longer be under way, for duplicates
    event_id = tagged(google_sim)
    # Too many requests: Zoom made nothing, and will later (a 400 would park the event).
    zoom_sim.inject("meetings.create", status=429, headers={"Retry-After": "0"}, times=None)
    app.run_pass()
    zoom_sim.clear_faults()
    assert link_state(app, event_id).state is LinkState.PENDING
    zoom_sim.reset_log()

    clock.advance(minutes=2)
    assert app.run_pass().ok
    assert zoom_sim.count("meetings.list") == 0
    assert len(zoom_sim.meetings()) == 2


def test_a_users_edit_during_write_back_is_merged_not_overwritten(google_sim, make_app):
    event_id = tagged(google_sim, description="first draft")

    def user_edits() -> None:
        google_sim.edit_event(CALENDAR, event_id, description="final agenda, edited by Ada")

    google_sim.inject("events.patch", action=user_edits)

    assert make_app().run_pass().ok

    description = google_sim.event(CALENDAR, event_id)["description"]
    assert remove_block(description) == "final agenda, edited by Ada"
    assert find_block(description) is not None
    assert [c.status for c in google_sim.calls("events.patch")] == [412, 200]


def test_google_failing_mid_listing_keeps_the_old_token(google_sim, zoom_sim, make_app):
    for i in range(6):
        tagged(google_sim, summary=f"Meeting {i} #zoom")
    app = make_app(page_size=2)
    # The first page goes through; every later list request fails.
    google_sim.inject("events.list", Fault(times=1, status=None))
    google_sim.inject("events.list", Fault(times=None, status=503))

    report = app.run_pass()

    assert report.calendars[0].error is not None
    assert app.store.calendar(CALENDAR).sync_token is None
    created_first = len(zoom_sim.meetings())
    assert created_first == 2

    google_sim.clear_faults()
    assert app.run_pass().ok
    assert len(zoom_sim.meetings()) == 6
    assert zoom_sim.count("meetings.create") == 6


def test_a_deleted_calendar_fails_alone(google_sim, zoom_sim, make_app, config):
    google_sim.add_calendar("team@group.calendar.google.com", time_zone="America/New_York")
    tagged(google_sim)
    gone = "gone@group.calendar.google.com"
    two = config.model_copy(
        update={"google": config.google.model_copy(update={"calendars": [gone, CALENDAR]})}
    )

    report = make_app(two).run_pass()

    by_id = {c.calendar_id: c for c in report.calendars}
    assert by_id[gone].error and "404" in by_id[gone].error
    assert by_id[CALENDAR].error is None
    assert len(zoom_sim.meetings()) == 1


def test_expired_zoom_token_is_replaced_once(google_sim, zoom_sim, make_app):
    tagged(google_sim, summary="One #zoom")
    app = make_app()
    app.run_pass()
    zoom_sim.expire_tokens()
    tagged(google_sim, summary="Two #zoom")

    assert app.run_pass().ok
    assert zoom_sim.count("token") == 2
    assert [c.status for c in zoom_sim.calls("meetings.create")] == [201, 401, 201]


def test_expired_google_token_is_refreshed(google_sim, zoom_sim, make_app):
    app = make_app()
    app.run_pass()
    google_sim.expire_access_tokens()
    tagged(google_sim)

    assert app.run_pass().ok
    assert google_sim.count("token") == 2
    assert len(zoom_sim.meetings()) == 1


def test_rate_limited_create_waits_for_retry_after(google_sim, zoom_sim, make_app):
    tagged(google_sim)
    zoom_sim.inject(
        "meetings.create",
        status=429,
        headers={"Retry-After": "1"},
        body={"code": 429, "message": "Too many requests"},
    )

    assert make_app().run_pass().ok
    assert [c.status for c in zoom_sim.calls("meetings.create")] == [429, 201]
    assert len(zoom_sim.meetings()) == 1


def test_daily_limit_stops_creates_for_that_host_until_midnight(
    google_sim, zoom_sim, make_app, config
):
    """One event at a time: with more, the creates already on their way when the first 429
    comes back are answered 429 too."""
    zoom_sim.limits.daily_limit = 2
    ids = [tagged(google_sim, summary=f"M{i} #zoom") for i in range(5)]
    app = make_app(
        config.model_copy(update={"sync": config.sync.model_copy(update={"workers": 1})})
    )

    report = app.run_pass()

    assert len(zoom_sim.meetings()) == 2
    assert zoom_sim.count("meetings.create") == 3  # the third hits the limit; no more are sent
    assert len(report.calendars[0].failures) == 3
    waiting = [link_state(app, i) for i in ids if link_state(app, i).state is not LinkState.LINKED]
    assert all(
        link.next_attempt_at.hour == 0 and link.next_attempt_at.minute == 0 for link in waiting
    )
    assert all(link.state is LinkState.PENDING for link in waiting)


def test_a_lost_database_after_a_lost_write_back_makes_no_second_meeting(
    google_sim, zoom_sim, make_app, config
):
    ids = [tagged(google_sim, summary=f"M{i} #zoom") for i in range(3)]
    google_sim.inject("events.patch", status=500, times=None)
    first = make_app()
    first.run_pass()  # three meetings made; none written back
    first.close()
    made = {m["id"] for m in zoom_sim.meetings()}
    google_sim.clear_faults()
    database = Path(config.sync.database_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    zoom_sim.reset_log()

    report = make_app().run_pass()

    assert report.ok, report
    assert zoom_sim.count("meetings.create") == 0
    assert zoom_sim.count("meetings.list") == 1  # one listing for the host, not one per event
    assert {m["id"] for m in zoom_sim.meetings()} == made
    shown = {find_block(google_sim.event(CALENDAR, i)["description"]).meeting_id for i in ids}
    assert shown == made


def test_a_lost_database_adopts_the_meetings_events_already_show(
    google_sim, zoom_sim, make_app, config
):
    for i in range(3):
        tagged(google_sim, summary=f"M{i} #zoom")
    first = make_app()
    first.run_pass()
    first.close()
    database = Path(config.sync.database_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    zoom_sim.reset_log()
    google_sim.reset_log()

    report = make_app().run_pass()

    assert report.ok
    assert report.calendars[0].meetings_adopted == 3
    assert zoom_sim.count("meetings.create") == 0
    assert len(zoom_sim.meetings()) == 3
    assert google_sim.count("events.patch") == 0


def test_an_event_deleted_after_a_failed_write_back_loses_its_meeting(
    google_sim, zoom_sim, make_app, clock
):
    event_id = tagged(google_sim)
    google_sim.inject("events.patch", status=500, times=None)
    app = make_app()
    app.run_pass()
    assert link_state(app, event_id).state is LinkState.CREATED
    google_sim.clear_faults()
    google_sim.delete_event(CALENDAR, event_id)

    clock.advance(minutes=2)
    app.run_pass()
    assert zoom_sim.meetings() == []
    assert app.store.links(CALENDAR, [event_id]) == {}
    google_sim.reset_log()
    clock.advance(hours=2)
    app.run_pass()
    assert google_sim.count("events.get") == 0


def test_untagged_after_an_unknown_create_the_meeting_is_found_and_deleted(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = tagged(google_sim)
    slow = config.model_copy(update={"zoom": config.zoom.model_copy(update={"timeout_seconds": 1})})
    zoom_sim.inject("meetings.create", hang=2.5)
    app = make_app(slow)
    app.run_pass()
    import time

    time.sleep(2)
    google_sim.edit_event(CALENDAR, event_id, summary="Planning, in person after all")

    clock.advance(minutes=2)
    app.run_pass()

    assert zoom_sim.count("meetings.create") == 1
    assert zoom_sim.meetings() == []
    assert app.store.links(CALENDAR, [event_id]) == {}
    assert find_block(google_sim.event(CALENDAR, event_id).get("description", "")) is None


def test_a_tag_removed_during_write_back_is_respected(google_sim, zoom_sim, make_app):
    event_id = tagged(google_sim, description="first draft")

    def user_untags() -> None:
        google_sim.edit_event(
            CALENDAR, event_id, summary="Planning, in person", description="never mind, in person"
        )

    google_sim.inject("events.patch", action=user_untags)
    make_app().run_pass()

    assert google_sim.event(CALENDAR, event_id)["description"] == "never mind, in person"
    assert [c.status for c in google_sim.calls("events.patch")] == [412]
    assert zoom_sim.meetings() == []  # made before the user untagged, deleted after


def test_an_invitations_copy_is_left_to_its_organizer(google_sim, zoom_sim, make_app):
    google_sim.put_event(
        CALENDAR,
        {
            "summary": "Their meeting #zoom",
            **when(),
            "organizer": {"email": "someone@elsewhere.example"},
        },
    )
    assert make_app().run_pass().ok
    assert zoom_sim.meetings() == []
    assert google_sim.count("events.patch") == 0


def test_googles_token_endpoint_down_is_an_outage_not_bad_credentials(google_sim, make_app):
    tagged(google_sim)
    google_sim.inject("token", status=503, times=None)

    # google-auth retries the token endpoint itself; one attempt of ours is enough here.
    report = make_app(retry=RetryPolicy(attempts=1)).run_pass()

    assert report.calendars[0].error is not None
    assert "token endpoint failed" in report.calendars[0].error
    assert report.credentials_error is None


def test_an_event_of_a_shape_google_never_sends_is_skipped_by_name(
    google_sim, zoom_sim, make_app, caplog
):
    tagged(google_sim, summary="Good #zoom")
    bad = tagged(google_sim, summary="Bad #zoom")
    google_sim.edit_event(CALENDAR, bad, summary=42)

    with caplog.at_level(logging.WARNING):
        report = make_app().run_pass()

    assert report.ok
    assert len(zoom_sim.meetings()) == 1
    assert any(
        f"event {bad!r} on calendar {CALENDAR!r}: summary:" in r.getMessage()
        for r in caplog.records
    )
