"""Recurring events against the simulators: exact Zoom series, their occurrences, and the
series Zoom cannot express.

Each test checks what Zoom schedules (the simulator expands a recurrence in the meeting's
zone, as Zoom documents) against the series' own occurrences (python-dateutil, in the event's
zone), as UTC instants.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from syncd.commands import status
from syncd.core.description import find_block, remove_block
from syncd.core.domain import MeetingType
from tests.conftest import CALENDAR
from tests.integration.test_lifecycle import TEXT, assert_linked, link_of, synced, zoom_writes

NEW_YORK = "America/New_York"


def series_event(start: datetime, rule: str, *extra: str, minutes: int = 30, **fields):
    zone = str(start.tzinfo)
    return {
        "summary": "Standup #zoom",
        "description": TEXT,
        "start": {"dateTime": start.isoformat(), "timeZone": zone},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).isoformat(), "timeZone": zone},
        "recurrence": [f"RRULE:{rule}", *extra],
        **fields,
    }


def put_series(google_sim, start, rule, *extra, **fields) -> str:
    return google_sim.put_event(CALENDAR, series_event(start, rule, *extra, **fields))["id"]


def expected(start: datetime, rule: str) -> list[datetime]:
    return [s.astimezone(UTC) for s in rrulestr(rule, dtstart=start)]


def scheduled(meeting) -> list[datetime]:
    """The occurrences Zoom holds (deleted ones left out), as UTC instants."""
    return [
        datetime.strptime(o["start_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        for o in meeting["occurrences"]
        if o["status"] != "deleted"
    ]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def instance(google_sim, series_id: str, original: datetime, **fields) -> str:
    """An exception of the series, as Google keeps one (its id names the original start)."""
    event = google_sim.event(CALENDAR, series_id)
    zone = event["start"]["timeZone"]
    when = {"dateTime": original.isoformat(), "timeZone": zone}
    end = {"dateTime": (original + timedelta(minutes=30)).isoformat(), "timeZone": zone}
    body = {
        "id": f"{series_id}_{stamp(original)}",
        "recurringEventId": series_id,
        "originalStartTime": when,
        "summary": event["summary"],
        "description": event.get("description", ""),
        "start": when,
        "end": end,
        **fields,
    }
    return google_sim.put_event(CALENDAR, body)["id"]


def occurrence_id(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


# -- exact series --------------------------------------------------------------------------
def test_weekly_series_across_a_dst_change_keeps_its_local_time(google_sim, zoom_sim, make_app):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo(NEW_YORK))  # DST starts on March 14
    rule = "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    event_id = put_series(google_sim, start, rule)
    app = make_app()
    synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, event_id)
    assert meeting["type"] == MeetingType.RECURRING_FIXED_TIME
    assert meeting["timezone"] == NEW_YORK
    assert meeting["duration"] == 30
    assert meeting["recurrence"] == {
        "type": 2,
        "repeat_interval": 1,
        "weekly_days": "2",
        "end_times": 4,
    }
    assert scheduled(meeting) == expected(start, rule)
    assert [s.hour for s in scheduled(meeting)] == [14, 14, 13, 13]  # 09:00 local, EST then EDT


def test_a_weekday_that_is_another_day_in_utc(google_sim, zoom_sim, make_app):
    # Monday 20:00 in Los Angeles is Tuesday 04:00 UTC: Zoom's weekly_days are local days.
    start = datetime(2027, 1, 4, 20, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    rule = "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270201T000000Z"
    event_id = put_series(google_sim, start, rule)
    app = make_app()
    synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, event_id)
    assert meeting["recurrence"]["weekly_days"] == "2,5"
    assert meeting["recurrence"]["end_times"] == 8  # UNTIL, as the count it leaves
    assert scheduled(meeting) == expected(start, rule)


def test_exdate_deletes_that_occurrence_and_the_series_stays(google_sim, zoom_sim, make_app):
    start = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    rule = "FREQ=DAILY;COUNT=5"
    skipped = start + timedelta(days=2)
    exdate = f"EXDATE;TZID=Europe/Berlin:{skipped.strftime('%Y%m%dT%H%M%S')}"
    event_id = put_series(google_sim, start, rule, exdate)
    app = make_app()
    synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, event_id)
    assert scheduled(meeting) == [s for s in expected(start, rule) if s != skipped]
    deletes = zoom_sim.calls("meetings.delete")
    assert [d.query["occurrence_id"] for d in deletes] == [[occurrence_id(skipped)]]
    assert deletes[0].query["schedule_for_reminder"] == ["false"]
    zoom_sim.reset_log()
    synced(app)
    assert zoom_writes(zoom_sim) == 0  # done once, not every pass


def test_cancelled_and_moved_occurrences_follow_their_instances(google_sim, zoom_sim, make_app):
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2027, 2, 1, 10, 0, tzinfo=zone)
    rule = "FREQ=WEEKLY;BYDAY=MO;COUNT=5"
    series_id = put_series(google_sim, start, rule)
    app = make_app()
    synced(app)
    meeting_id = link_of(app, series_id).meeting_id
    zoom_sim.reset_log()

    cancelled, moved = start + timedelta(weeks=1), start + timedelta(weeks=2)
    instance(google_sim, series_id, cancelled, status="cancelled")
    own_text = "This week in room 4"
    moved_to = moved + timedelta(hours=3)
    moved_id = instance(
        google_sim,
        series_id,
        moved,
        description=own_text,
        start={"dateTime": moved_to.isoformat(), "timeZone": "Europe/Berlin"},
        end={
            "dateTime": (moved_to + timedelta(minutes=45)).isoformat(),
            "timeZone": "Europe/Berlin",
        },
    )
    synced(app)

    meeting = zoom_sim.meeting(meeting_id)
    by_id = {o["occurrence_id"]: o for o in meeting["occurrences"]}
    assert by_id[occurrence_id(cancelled)]["status"] == "deleted"
    assert by_id[occurrence_id(moved)]["start_time"] == moved_to.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert by_id[occurrence_id(moved)]["duration"] == 45
    assert len([o for o in meeting["occurrences"] if o["status"] != "deleted"]) == 4
    # The moved instance has a description of its own: it shows the series' meeting too.
    moved_event = google_sim.event(CALENDAR, moved_id)
    assert find_block(moved_event["description"]).meeting_id == meeting_id
    assert remove_block(moved_event["description"]) == own_text
    assert [u.query.get("occurrence_id") for u in zoom_sim.calls("meetings.update")] == [
        [occurrence_id(moved)]
    ]
    zoom_sim.reset_log()
    synced(app)
    assert zoom_writes(zoom_sim) == 0


def test_an_edited_rule_updates_the_recurrence(google_sim, zoom_sim, make_app):
    start = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    series_id = put_series(google_sim, start, "FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    app = make_app()
    synced(app)
    meeting_id = link_of(app, series_id).meeting_id

    rule = "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6"
    google_sim.edit_event(CALENDAR, series_id, recurrence=[f"RRULE:{rule}"])
    synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, series_id)
    assert meeting["id"] == meeting_id
    assert meeting["recurrence"]["weekly_days"] == "2,4"
    assert scheduled(meeting) == expected(start, rule)
    assert len(zoom_sim.meetings()) == 1


def test_this_and_following_leaves_both_parts_linked(google_sim, zoom_sim, make_app):
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2027, 2, 1, 10, 0, tzinfo=zone)
    series_id = put_series(google_sim, start, "FREQ=WEEKLY;BYDAY=MO;COUNT=8")
    app = make_app()
    synced(app)
    old_meeting = link_of(app, series_id).meeting_id

    # "This and following events" from the 5th on, moved to 11:00: Google ends the old
    # series before it and makes a new one, a copy of the old (block and property included).
    split = start + timedelta(weeks=4)
    until = stamp(split - timedelta(days=1))
    google_sim.edit_event(
        CALENDAR, series_id, recurrence=[f"RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL={until}"]
    )
    copy = google_sim.event(CALENDAR, series_id)
    new_start = split + timedelta(hours=1)
    new_rule = "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    new_id = put_series(
        google_sim,
        new_start,
        new_rule,
        description=copy["description"],
        extendedProperties=copy["extendedProperties"],
    )
    synced(app)

    old = assert_linked(google_sim, zoom_sim, app, series_id)
    new = assert_linked(google_sim, zoom_sim, app, new_id)
    assert old["id"] == old_meeting and new["id"] != old_meeting
    assert scheduled(old) == expected(start, "FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    assert scheduled(new) == expected(new_start, new_rule)
    assert len(zoom_sim.meetings()) == 2


# -- what Zoom cannot express ----------------------------------------------------------------
def test_a_series_zoom_cannot_express_gets_no_fixed_time_and_a_log_line(
    google_sim, zoom_sim, make_app, caplog
):
    start = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    event_id = put_series(google_sim, start, "FREQ=YEARLY;COUNT=3")
    app = make_app()
    with caplog.at_level(logging.INFO):
        synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, event_id)
    assert meeting["type"] == MeetingType.RECURRING_NO_FIXED_TIME
    assert any(
        event_id in r.getMessage() and "FREQ=YEARLY" in r.getMessage() for r in caplog.records
    )


def test_a_series_that_becomes_inexpressible_loses_its_schedule(google_sim, zoom_sim, make_app):
    start = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    series_id = put_series(google_sim, start, "FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    app = make_app()
    synced(app)

    google_sim.edit_event(CALENDAR, series_id, recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"])
    synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, series_id)
    assert meeting["type"] == MeetingType.RECURRING_NO_FIXED_TIME
    assert "occurrences" not in meeting
    assert len(zoom_sim.meetings()) == 1


# -- zones Zoom does not list ------------------------------------------------------------------
def test_an_alias_zone_is_sent_as_its_listed_twin(google_sim, zoom_sim, make_app):
    start = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Asia/Chungking"))
    event_id = google_sim.put_event(CALENDAR, series_event(start, "FREQ=DAILY;COUNT=3"))["id"]
    app = make_app()
    synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, event_id)
    assert meeting["timezone"] == "Asia/Shanghai"
    assert scheduled(meeting) == expected(start, "FREQ=DAILY;COUNT=3")


def test_an_unlisted_zone_is_shown_as_utc_at_the_same_instant(
    google_sim, zoom_sim, make_app, caplog
):
    start = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Pacific/Chatham"))
    body = series_event(start, "FREQ=DAILY;COUNT=1")
    del body["recurrence"]
    event_id = google_sim.put_event(CALENDAR, body)["id"]
    app = make_app()
    with caplog.at_level(logging.INFO):
        synced(app)

    meeting = assert_linked(google_sim, zoom_sim, app, event_id)
    assert meeting["timezone"] == "UTC"
    assert meeting["start_time"] == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert any("Pacific/Chatham" in r.getMessage() for r in caplog.records)


# -- what status shows -------------------------------------------------------------------------
def test_status_shows_each_meetings_next_start_and_why_a_series_has_no_fixed_time(
    google_sim, zoom_sim, make_app
):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo(NEW_YORK))
    series_id = put_series(google_sim, start, "FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    yearly_id = put_series(google_sim, start, "FREQ=YEARLY;COUNT=3")
    chatham = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Pacific/Chatham"))
    single = series_event(chatham, "FREQ=DAILY")
    del single["recurrence"]
    single_id = google_sim.put_event(CALENDAR, single)["id"]
    app = make_app()
    synced(app)

    # A week after the first Monday: the next is March 15th, 09:00 New York, now EDT.
    report = status.collect(app.store, now=datetime(2027, 3, 9, tzinfo=UTC))
    shown = {m["event_id"]: m for m in report["links"]}
    assert shown[series_id]["schedule"] == "series"
    assert shown[series_id]["next_start"] == "2027-03-15T13:00:00+00:00"
    assert shown[series_id]["next_start_local"] == "2027-03-15T09:00:00-04:00"
    assert shown[series_id]["zone"] == NEW_YORK
    assert shown[yearly_id]["schedule"] == "no fixed time"
    assert "FREQ=YEARLY" in shown[yearly_id]["no_fixed_time"]
    assert shown[single_id]["schedule"] == "one-off"
    assert shown[single_id]["next_start"] is None  # over by then
    early = status.collect(app.store, now=datetime(2027, 1, 1, tzinfo=UTC))
    chatham_shown = {m["event_id"]: m for m in early["links"]}[single_id]
    assert chatham_shown["zone"] == "Pacific/Chatham"  # the event's zone, though Zoom shows UTC
    assert chatham_shown["next_start_local"] == "2027-02-01T10:00:00+13:45"
    text = status.render(report)
    assert "next 2027-03-15T09:00:00-04:00 America/New_York (2027-03-15T13:00:00+00:00 UTC)" in text
    assert "no fixed time: a series Zoom cannot express: FREQ=YEARLY" in text


def test_a_series_under_way_is_rescheduled_from_its_next_occurrence(
    google_sim, zoom_sim, make_app, clock
):
    start = datetime(2027, 2, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    series_id = put_series(google_sim, start, "FREQ=WEEKLY;BYDAY=MO;COUNT=6")
    app = make_app()
    synced(app)
    zoom_sim.reset_log()

    clock.now = datetime(2027, 2, 10, tzinfo=UTC)  # two Mondays are over
    rule = "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=12"
    google_sim.edit_event(CALENDAR, series_id, recurrence=[f"RRULE:{rule}"])
    synced(app)

    (update,) = zoom_sim.calls("meetings.update")
    left = [s for s in expected(start, rule) if s > clock.now]
    # Zoom may ignore a start in the past: the schedule is sent from the next occurrence.
    assert update.json()["start_time"] == left[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert update.json()["recurrence"]["end_times"] == len(left)
    meeting = assert_linked(google_sim, zoom_sim, app, series_id)
    assert scheduled(meeting) == left
    zoom_sim.reset_log()
    synced(app)
    assert zoom_writes(zoom_sim) == 0  # no churn as the weeks go by
