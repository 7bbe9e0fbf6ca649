"""A series' schedule as Zoom is sent it and as `syncd status` shows it: `from_next`,
`next_start`, and the occurrence changes that follow an update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from syncd.core.domain import REMOVED, MeetingSpec, MeetingType, OccurrenceChange
from syncd.core.recurrence import ExactSeries, translate
from syncd.core.zoom_schedule import (
    READINGS,
    from_next,
    next_start,
    occurrence_changes,
    occurrence_id,
    occurrence_starts,
)

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = datetime(2027, 2, 1, 10, 0, tzinfo=BERLIN)  # a Monday


def series(rule: str, start: datetime = FIRST, **fields) -> MeetingSpec:
    exact = translate([f"RRULE:{rule}"], start, str(start.tzinfo))
    assert isinstance(exact, ExactSeries)
    return MeetingSpec(
        topic="Standup",
        agenda="",
        type=MeetingType.RECURRING_FIXED_TIME,
        host="me",
        start_time=exact.starts[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration=30,
        timezone=str(start.tzinfo),
        recurrence=exact.recurrence,
        **fields,
    )


def expansion(spec: MeetingSpec) -> list[datetime]:
    first = datetime.strptime(spec.start_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return occurrence_starts(dict(spec.recurrence), first, spec.timezone)


def test_a_series_not_begun_is_sent_as_it_is():
    spec = series("FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    assert from_next(spec, FIRST - timedelta(days=1)) == spec


def test_a_series_under_way_is_sent_from_its_next_occurrence_with_the_count_left():
    spec = series("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6")
    everything = expansion(spec)
    now = everything[2] + timedelta(minutes=45)  # the third is over
    sent = from_next(spec, now)
    assert dict(sent.recurrence)["end_times"] == 3
    # What Zoom schedules from there, under every reading, is the rest of the series.
    for reading in READINGS:
        first = datetime.strptime(sent.start_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert (
            occurrence_starts(dict(sent.recurrence), first, sent.timezone, reading)
            == (everything[3:])
        )


def test_a_series_that_is_over_is_left_as_it_was():
    spec = series("FREQ=DAILY;COUNT=3")
    assert from_next(spec, FIRST + timedelta(days=30)) == spec


def test_next_start_is_the_earliest_occurrence_ahead_moved_ones_included():
    second, third = FIRST + timedelta(weeks=1), FIRST + timedelta(weeks=2)
    moved_past_the_third = OccurrenceChange(
        (third + timedelta(days=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), 30
    )
    spec = series(
        "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        occurrences=((occurrence_id(second), moved_past_the_third),),
    )
    assert next_start(spec, FIRST + timedelta(hours=1)) == third.astimezone(UTC)


def test_next_start_skips_a_removed_occurrence():
    second = FIRST + timedelta(weeks=1)
    spec = series("FREQ=WEEKLY;BYDAY=MO;COUNT=4", occurrences=((occurrence_id(second), REMOVED),))
    assert next_start(spec, FIRST + timedelta(hours=1)) == (second + timedelta(weeks=1)).astimezone(
        UTC
    )


def test_occurrence_changes_leave_out_what_is_over():
    first, third = FIRST, FIRST + timedelta(weeks=2)
    spec = series(
        "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        occurrences=((occurrence_id(first), REMOVED), (occurrence_id(third), REMOVED)),
    )
    now = FIRST + timedelta(days=3)
    assert occurrence_changes(None, spec, True, now) == [(occurrence_id(third), REMOVED)]
