"""A tagged event gets exactly one meeting and one block; nothing else is touched."""

from __future__ import annotations

from syncd.core.description import BEGIN_MARKER, find_block, remove_block
from syncd.core.domain import MEETING_ID_PROPERTY
from tests.conftest import CALENDAR, when


def seed(google_sim, tagged: int = 3, untagged: int = 2) -> tuple[list[str], list[str]]:
    tagged_ids = [
        google_sim.put_event(
            CALENDAR,
            {
                "summary": f"Planning {i} #zoom",
                "description": f"Agenda {i}:\n- roadmap\n- hiring",
                **when(days=1 + i),
            },
        )["id"]
        for i in range(tagged)
    ]
    untagged_ids = [
        google_sim.put_event(
            CALENDAR,
            {"summary": f"Lunch {i}", "description": "no video", **when(days=1 + i, hour=12)},
        )["id"]
        for i in range(untagged)
    ]
    return tagged_ids, untagged_ids


def test_first_pass_gives_each_tagged_event_one_meeting(google_sim, zoom_sim, make_app):
    tagged, untagged = seed(google_sim)
    originals = {i: google_sim.event(CALENDAR, i)["description"] for i in tagged}

    report = make_app().run_pass()

    assert report.ok
    meetings = zoom_sim.meetings()
    assert len(meetings) == len(tagged)
    assert zoom_sim.count("meetings.create") == len(tagged)
    for event_id in tagged:
        event = google_sim.event(CALENDAR, event_id)
        block = find_block(event["description"])
        assert block is not None
        assert event["description"].count(block.join_url) == 1
        assert event["description"].count(BEGIN_MARKER) == 1
        assert remove_block(event["description"]) == originals[event_id]
        assert event["extendedProperties"]["private"][MEETING_ID_PROPERTY] == str(block.meeting_id)
        assert zoom_sim.meeting(block.meeting_id)["join_url"] == block.join_url
    assert {m["id"] for m in meetings} == {
        find_block(google_sim.event(CALENDAR, i)["description"]).meeting_id for i in tagged
    }
    patched = {call.path.rsplit("/", 1)[-1] for call in google_sim.calls("events.patch")}
    assert patched == set(tagged)
    for event_id in untagged:
        assert google_sim.event(CALENDAR, event_id)["description"] == "no video"


def test_meeting_has_the_events_time_topic_and_zone(google_sim, zoom_sim, make_app):
    event = google_sim.put_event(
        CALENDAR,
        {
            "summary": "Customer call #zoom",
            **when(days=3, hour=9, minutes=50, zone="Asia/Tokyo"),
        },
    )

    make_app().run_pass()

    (meeting,) = zoom_sim.meetings()
    assert meeting["topic"] == "Customer call"
    assert meeting["timezone"] == "Asia/Tokyo"
    assert meeting["duration"] == 50
    from datetime import UTC, datetime

    start = datetime.fromisoformat(event["start"]["dateTime"]).astimezone(UTC)
    assert meeting["start_time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_second_pass_makes_no_zoom_call_and_no_write(google_sim, zoom_sim, make_app):
    seed(google_sim)
    app = make_app()
    app.run_pass()
    zoom_sim.reset_log()
    google_sim.reset_log()

    report = app.run_pass()

    assert report.ok
    assert zoom_sim.count() == 0
    assert google_sim.count("events.patch") == 0
    assert google_sim.count("events.list") == 1


def test_a_restarted_daemon_creates_nothing_new(google_sim, zoom_sim, make_app):
    seed(google_sim)
    make_app().run_pass()
    zoom_sim.reset_log()
    google_sim.reset_log()

    make_app().run_pass()

    assert zoom_sim.count("meetings.create") == 0
    assert google_sim.count("events.patch") == 0


def test_one_token_serves_many_meetings(google_sim, zoom_sim, make_app):
    seed(google_sim, tagged=25, untagged=0)

    make_app().run_pass()

    assert zoom_sim.count("meetings.create") == 25
    assert zoom_sim.count("token") == 1


def test_expired_sync_token_leads_to_a_full_listing_without_duplicates(
    google_sim, zoom_sim, make_app
):
    tagged, _ = seed(google_sim)
    app = make_app()
    app.run_pass()
    google_sim.expire_sync_tokens()
    zoom_sim.reset_log()
    google_sim.reset_log()

    report = app.run_pass()

    assert report.ok and report.calendars[0].full_sync
    lists = google_sim.calls("events.list")
    assert [("syncToken" in c.query) for c in lists] == [True, False]
    assert lists[-1].status == 200
    assert zoom_sim.count("meetings.create") == 0
    assert google_sim.count("events.patch") == 0
    assert len(zoom_sim.meetings()) == len(tagged)


def test_pages_are_all_read_and_the_token_comes_from_the_last(google_sim, zoom_sim, make_app):
    tagged, _ = seed(google_sim, tagged=7, untagged=6)
    app = make_app(page_size=4)

    app.run_pass()

    assert google_sim.count("events.list") == 4
    assert len(zoom_sim.meetings()) == len(tagged)
    assert app.store.calendar(CALENDAR).sync_token is not None


def test_html_description_keeps_its_markup(google_sim, make_app):
    html = "<b>Bring</b> the mock-ups<br>Thanks!"
    event = google_sim.put_event(
        CALENDAR, {"summary": "Review #zoom", "description": html, **when()}
    )

    make_app().run_pass()

    description = google_sim.event(CALENDAR, event["id"])["description"]
    assert description.startswith(html + "<br><br>" + BEGIN_MARKER)
    assert "\n" not in description


def test_long_description_is_kept_and_the_agenda_fits(google_sim, zoom_sim, make_app):
    text = ("A long briefing. " * 600)[:10_000]
    event = google_sim.put_event(
        CALENDAR, {"summary": "Briefing #zoom", "description": text, **when()}
    )

    assert make_app().run_pass().ok

    description = google_sim.event(CALENDAR, event["id"])["description"]
    assert remove_block(description) == text
    (meeting,) = zoom_sim.meetings()
    assert len(meeting["agenda"]) == 2000
    reference, first_line = meeting["agenda"].splitlines()[:2]
    assert reference.startswith("syncd-ref:")
    assert first_line.startswith("A long briefing.")


def test_write_back_uses_if_match_and_the_configured_send_updates(google_sim, make_app):
    event = google_sim.put_event(CALENDAR, {"summary": "Sync #zoom", **when()})

    make_app().run_pass()

    (patch,) = google_sim.calls("events.patch")
    assert patch.headers.get("If-Match") == event["etag"]
    assert patch.query["sendUpdates"] == ["none"]


def test_a_start_zoom_understood_differently_is_reported(google_sim, zoom_sim, make_app, caplog):
    google_sim.put_event(CALENDAR, {"summary": "Call #zoom", **when(hour=9)})
    answer = {
        "id": 81234567890,
        "join_url": "https://zoom.example/j/81234567890",
        "password": "a1",
        "agenda": "",
        "start_time": "2030-01-01T00:00:00Z",
        "timezone": "America/Los_Angeles",
    }
    zoom_sim.inject("meetings.create", status=201, body=answer)

    make_app().run_pass()

    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "Zoom answered 2030-01-01T00:00:00Z in America/Los_Angeles" in warning.getMessage()
