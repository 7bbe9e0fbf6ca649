from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from syncd.core.domain import Event, EventTime, MeetingType
from syncd.core.timing import AllDayPolicy, duration_minutes, has_ended, meeting_time

BERLIN = ZoneInfo("Europe/Berlin")


def timed(start: datetime, end: datetime, zone: str | None = None) -> Event:
    return Event(
        "cal",
        "e1",
        start=EventTime(date_time=start, time_zone=zone),
        end=EventTime(date_time=end, time_zone=zone),
    )


def test_start_is_sent_in_utc_with_the_events_own_zone_to_show():
    start = datetime(2026, 3, 29, 10, 30, tzinfo=BERLIN)  # the first day of summer time
    when = meeting_time(
        timed(start, start + timedelta(hours=1), "Europe/Berlin"), "UTC", AllDayPolicy.NO_FIXED_TIME
    )
    assert when.start_time == "2026-03-29T08:30:00Z"
    assert when.timezone == "Europe/Berlin"
    assert when.duration == 60
    assert when.type is MeetingType.SCHEDULED


def test_calendar_zone_is_shown_when_the_event_has_none():
    start = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    when = meeting_time(
        timed(start, start + timedelta(minutes=25)), "America/New_York", AllDayPolicy.NO_FIXED_TIME
    )
    assert when.timezone == "America/New_York"
    assert when.duration == 25


def test_duration_across_the_dst_night_is_absolute():
    # 01:00 to 04:00 local on the night clocks go forward is two hours, not three.
    start = datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)
    assert duration_minutes(start, end) == 120


def test_repeated_hour_gives_distinct_instants():
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)
    a = meeting_time(
        timed(first, first + timedelta(hours=1)), "Europe/Berlin", AllDayPolicy.NO_FIXED_TIME
    )
    b = meeting_time(
        timed(second, second + timedelta(hours=1)), "Europe/Berlin", AllDayPolicy.NO_FIXED_TIME
    )
    assert (a.start_time, b.start_time) == ("2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z")


ZONES = [ZoneInfo(z) for z in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe")]


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(ZONES),
    st.integers(min_value=1, max_value=60 * 24 * 3),
)
@example(datetime(2069, 4, 6, 14, 30, tzinfo=UTC), ZoneInfo("Australia/Lord_Howe"), 1)  # fold=1
def test_start_time_is_always_the_same_instant_in_utc(instant, zone, minutes):
    # Events carry real instants (RFC 3339 with an offset), shown in any zone.
    start = instant.astimezone(zone)
    end = (instant + timedelta(minutes=minutes)).astimezone(zone)
    when = meeting_time(timed(start, end), "UTC", AllDayPolicy.NO_FIXED_TIME)
    sent = datetime.strptime(when.start_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    # In UTC: Python never finds a repeated local time (fold=1) equal to another zone's time.
    assert sent == start.astimezone(UTC).replace(microsecond=0)
    assert when.duration == minutes


def test_all_day_event_never_gets_midnight_utc():
    event = Event("cal", "e", start=EventTime(date="2026-12-01"), end=EventTime(date="2026-12-02"))
    when = meeting_time(event, "Europe/Berlin", AllDayPolicy.NO_FIXED_TIME)
    assert when.type is MeetingType.RECURRING_NO_FIXED_TIME
    assert when.start_time is None
    assert meeting_time(event, "Europe/Berlin", AllDayPolicy.SKIP) is None


def test_unknown_zone_falls_back_to_the_calendars():
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    when = meeting_time(
        timed(start, start + timedelta(hours=1), "Mars/Olympus"),
        "Asia/Tokyo",
        AllDayPolicy.NO_FIXED_TIME,
    )
    assert when.timezone == "Asia/Tokyo"


def test_past_one_off_events_have_ended_but_series_never():
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    past = timed(now - timedelta(hours=2), now - timedelta(hours=1))
    assert has_ended(past, now)
    assert not has_ended(timed(now, now + timedelta(hours=1)), now)
    series = Event("cal", "s", start=past.start, end=past.end, recurrence=("RRULE:FREQ=DAILY",))
    assert not has_ended(series, now)
