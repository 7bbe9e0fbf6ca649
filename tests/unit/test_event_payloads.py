"""Google event payloads of every shape: an event syncd can read is planned without a crash
and its text survives; one it cannot read is a MalformedEvent naming it, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.adapters.google_calendar import parse_event
from syncd.core.description import BlockInfo, insert_block, remove_block
from syncd.core.errors import MalformedEvent
from syncd.core.meeting_spec import Context, Settings
from syncd.core.planner import plan

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
INFO = BlockInfo("https://zoom.us/j/12345678901?pwd=x", 12345678901, "abc")
TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.sampled_from(["<b>Bold</b><br>line", "שלום #zoom עולם", "a\x00b\x1b[31m", "#ZOOM"]),
    st.text(min_size=3000, max_size=6000),
)
JUNK = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers()), TEXT)
TIMES = st.one_of(
    st.fixed_dictionaries(
        {"dateTime": st.sampled_from(["2026-12-02T10:00:00+01:00", "2026-12-02T10:00:00Z"])},
        optional={"timeZone": st.sampled_from(["Europe/Berlin", "Mars/Olympus", ""])},
    ),
    st.fixed_dictionaries({"date": st.sampled_from(["2026-12-02", "2026-02-30"])}),
    st.fixed_dictionaries({"dateTime": st.sampled_from(["2026-12-02T10:00:00", "tomorrow"])}),
    JUNK,
)
EVENTS = st.fixed_dictionaries(
    {"id": st.one_of(st.text(min_size=1, max_size=40), JUNK)},
    optional={
        "status": st.one_of(st.sampled_from(["confirmed", "tentative", "cancelled"]), JUNK),
        "summary": st.one_of(TEXT, st.just("Standup #zoom"), JUNK),
        "description": st.one_of(TEXT, JUNK),
        "start": TIMES,
        "end": TIMES,
        "recurrence": st.one_of(st.lists(st.text(max_size=30), max_size=3), JUNK),
        "recurringEventId": st.one_of(st.text(max_size=10), JUNK),
        "organizer": st.one_of(
            st.fixed_dictionaries({}, optional={"email": TEXT, "self": st.booleans()}), JUNK
        ),
        "extendedProperties": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"private": st.dictionaries(st.text(), st.text(), max_size=3)}
            ),
            JUNK,
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(item=EVENTS, tag=st.sampled_from(["#zoom", "#Zoom-Call"]))
def test_any_payload_is_planned_or_refused_by_name(item, tag):
    try:
        event = parse_event("cal", item)
    except MalformedEvent as refused:
        assert "cal" in str(refused)
        return
    plan(event, None, Context(Settings(tag=tag), "UTC", NOW))  # never raises
    assert remove_block(insert_block(event.description, INFO)) == event.description


def test_a_local_time_without_offset_is_refused_not_guessed():
    item = {"id": "ev", "start": {"dateTime": "2026-12-02T10:00:00"}, "end": {"date": "2026-12-03"}}
    try:
        parse_event("cal", item)
    except MalformedEvent as refused:
        assert "'ev' on calendar 'cal': start.dateTime" in str(refused)
    else:
        raise AssertionError("a local time without an offset was accepted")
