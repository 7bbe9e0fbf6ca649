"""Failures over time: an event is queued, then parked (at once for a refusal retrying cannot
fix), `syncd retry` puts it back; meanwhile the calendar user reads why in the event's block."""

from __future__ import annotations

from syncd.commands import status
from syncd.core.description import find_block, find_note, remove_block
from syncd.core.domain import LinkState
from tests.conftest import CALENDAR, when
from tests.integration.test_lifecycle import TEXT, assert_linked, link_of, put, with_sync, with_zoom

GHOST = "ghost@example.com"
NO_ACCOUNT = "No Zoom meeting: the organizer has no Zoom account here; ask your administrator."
PENDING = "Zoom link pending: Zoom or Google did not answer; syncd will try again."


def description(google_sim, event_id):
    return google_sim.event(CALENDAR, event_id).get("description", "")


def test_a_host_with_no_zoom_account_is_parked_at_once_and_the_user_told(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim, **when(days=5))  # still ahead when the clock moves days
    app = make_app(with_zoom(config, hosts={CALENDAR: GHOST}))
    report = app.run_pass()

    link = link_of(app, event_id)
    assert link.state is LinkState.PENDING and link.parked_at is not None
    assert "1001" in link.last_error
    assert report.calendars[0].parked == 1
    text = description(google_sim, event_id)
    assert find_note(text) == NO_ACCOUNT
    assert remove_block(text) == TEXT
    shown = status.collect(app.store)
    assert [(p["event_id"], p["attempts"]) for p in shown["parked"]] == [(event_id, 1)]
    assert "User does not exist" in shown["parked"][0]["reason"]
    assert shown["queued"] == []

    # Parked: not tried again, not on a timer, not on the echo of syncd's own note.
    zoom_sim.reset_log()
    google_sim.reset_log()
    clock.advance(days=2)
    app.run_pass()
    assert zoom_sim.count("meetings.create") == 0
    assert google_sim.count("events.patch") == 0


def test_retry_puts_a_parked_event_back_and_the_link_replaces_the_note(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim, **when(days=5))  # still ahead when the clock moves days
    make_app(with_zoom(config, hosts={CALENDAR: GHOST})).run_pass()

    fixed = make_app()  # the administrator fixed the hosts
    assert fixed.store.unpark(clock.now, CALENDAR, event_id) == 1
    fixed.run_pass()

    meeting = assert_linked(google_sim, zoom_sim, fixed, event_id)
    assert find_note(description(google_sim, event_id)) is None
    assert find_block(description(google_sim, event_id)).meeting_id == meeting["id"]
    assert status.collect(fixed.store)["parked"] == []


def test_a_failing_event_is_told_once_its_wait_is_long_then_parked_after_park_after_tries(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim, **when(days=5))  # still ahead when the clock moves days
    app = make_app(with_sync(config, park_after=5))
    # Too many requests: Zoom made nothing (a 5xx would leave the outcome unknown, and an
    # event whose create may have reached Zoom is never parked: it must be found out).
    zoom_sim.inject("meetings.create", status=429, headers={"Retry-After": "0"}, times=None)

    app.run_pass()  # retried 1, 3, 7 minutes after: within note_after_minutes (10), no note
    creates = zoom_sim.count("meetings.create")  # the client's own tries within the pass
    link = link_of(app, event_id)
    assert link.next_attempt_at is not None and link.parked_at is None
    for minutes in (1, 2, 4):
        assert find_note(description(google_sim, event_id)) is None
        clock.advance(minutes=minutes)
        app.run_pass()
    # The fourth failure: the next try, 15 minutes after the first failure, is past 10.
    assert find_note(description(google_sim, event_id)) == PENDING
    assert google_sim.count("events.patch") == 1
    assert zoom_sim.count("meetings.create") == 4 * creates

    # The note syncd wrote comes back as a change: no retry before the retry time.
    app.run_pass()
    assert zoom_sim.count("meetings.create") == 4 * creates

    clock.advance(hours=1)
    app.run_pass()  # the fifth: parked
    link = link_of(app, event_id)
    assert link.parked_at is not None and link.attempts == 5
    assert find_note(description(google_sim, event_id)) == (
        "No Zoom meeting: Zoom or Google did not answer; ask your administrator."
    )
    assert google_sim.count("events.patch") == 2  # once per change of reason
    assert zoom_sim.count("meetings.create") == 5 * creates  # each pass's tries
    zoom_sim.clear_faults()
    clock.advance(days=1)
    app.run_pass()
    assert zoom_sim.count("meetings.create") == 5 * creates  # parked stays parked


def test_a_blip_that_heals_within_note_after_minutes_is_never_seen_in_the_event(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim, **when(days=5))
    app = make_app(config)
    zoom_sim.inject("meetings.create", status=429, headers={"Retry-After": "0"}, times=None)
    app.run_pass()
    zoom_sim.clear_faults()
    clock.advance(minutes=1)

    app.run_pass()

    assert google_sim.count("events.patch") == 1  # the link, and nothing before it
    assert find_block(description(google_sim, event_id)) is not None


def test_untagging_an_event_with_a_note_leaves_the_users_text(
    google_sim, zoom_sim, make_app, config
):
    event_id = put(google_sim, **when(days=5))  # still ahead when the clock moves days
    app = make_app(with_zoom(config, hosts={CALENDAR: GHOST}))
    app.run_pass()
    assert find_note(description(google_sim, event_id)) == NO_ACCOUNT

    google_sim.edit_event(CALENDAR, event_id, summary="Planning")
    app.run_pass()

    assert description(google_sim, event_id) == TEXT
    assert link_of(app, event_id) is None


def test_an_update_that_fails_keeps_the_working_meeting_in_the_block(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim, **when(days=5))  # still ahead when the clock moves days
    app = make_app()
    app.run_pass()
    meeting_id = link_of(app, event_id).meeting_id

    google_sim.edit_event(CALENDAR, event_id, summary="Planning, moved #zoom")
    zoom_sim.inject("meetings.update", status=400, body={"code": 300, "message": "Invalid."})
    app.run_pass()

    assert link_of(app, event_id).parked_at is not None
    assert find_block(description(google_sim, event_id)).meeting_id == meeting_id
