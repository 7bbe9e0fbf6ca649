from datetime import UTC, datetime, timedelta

import pytest

from syncd.description import BlockInfo, insert_block
from syncd.domain import MEETING_ID_PROPERTY, Event, EventTime, Link, LinkState, MeetingType
from syncd.planner import (
    AGENDA_LIMIT,
    TOPIC_LIMIT,
    Settings,
    Step,
    plan,
    reference_for,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
SETTINGS = Settings()
INFO = BlockInfo("https://zoom.us/j/12345678901?pwd=x", 12345678901, "abc")


def event(**fields) -> Event:
    start = NOW + timedelta(days=1)
    defaults = dict(
        calendar_id="cal",
        id="ev1",
        summary="Planning #zoom",
        etag='"1"',
        start=EventTime(date_time=start, time_zone="Europe/Berlin"),
        end=EventTime(date_time=start + timedelta(minutes=45), time_zone="Europe/Berlin"),
    )
    return Event(**{**defaults, **fields})


def link(state: LinkState, **fields) -> Link:
    defaults = dict(
        calendar_id="cal", event_id="ev1", reference=reference_for("cal", "ev1"), state=state
    )
    if state in (LinkState.CREATED, LinkState.LINKED):
        defaults |= dict(meeting_id=INFO.meeting_id, join_url=INFO.join_url, passcode="abc")
    return Link(**{**defaults, **fields})


def linked_event() -> Event:
    return event(
        description=insert_block("notes", INFO),
        private_properties={MEETING_ID_PROPERTY: str(INFO.meeting_id)},
    )


def test_new_tagged_event_is_created_then_written_back():
    decision = plan(event(), None, SETTINGS, "UTC", NOW)
    assert decision.steps == (Step.CREATE, Step.WRITE_BACK)
    assert decision.spec.topic == "Planning"
    assert decision.spec.type is MeetingType.SCHEDULED
    assert decision.spec.agenda.splitlines()[0] == reference_for("cal", "ev1")


@pytest.mark.parametrize(
    "ev",
    [
        event(summary="Planning"),
        event(status="cancelled"),
        event(recurring_event_id="series1"),
        event(
            start=EventTime(date_time=NOW - timedelta(hours=2)),
            end=EventTime(date_time=NOW - timedelta(hours=1)),
        ),
    ],
)
def test_untagged_cancelled_instances_and_past_events_get_nothing(ev):
    assert plan(ev, None, SETTINGS, "UTC", NOW).idle


def test_linked_event_showing_its_meeting_is_left_alone():
    assert plan(linked_event(), link(LinkState.LINKED), SETTINGS, "UTC", NOW).idle


def test_linked_event_that_lost_its_block_is_written_again():
    decision = plan(event(), link(LinkState.LINKED), SETTINGS, "UTC", NOW)
    assert decision.steps == (Step.WRITE_BACK,)


def test_created_but_not_written_is_only_written():
    assert plan(event(), link(LinkState.CREATED), SETTINGS, "UTC", NOW).steps == (Step.WRITE_BACK,)


def test_interrupted_create_is_looked_up_before_creating_again():
    decision = plan(event(), link(LinkState.CREATING), SETTINGS, "UTC", NOW)
    assert decision.steps == (Step.FIND_OR_CREATE, Step.WRITE_BACK)


def test_refused_create_is_simply_tried_again():
    decision = plan(event(), link(LinkState.PENDING), SETTINGS, "UTC", NOW)
    assert decision.steps == (Step.CREATE, Step.WRITE_BACK)


def test_event_naming_a_meeting_the_store_lost_is_adopted():
    decision = plan(linked_event(), None, SETTINGS, "UTC", NOW)
    assert decision.steps == (Step.ADOPT, Step.WRITE_BACK)


def test_topic_and_agenda_respect_zooms_limits():
    long = event(summary="x" * 500 + " #zoom", description="y" * 10_000)
    spec = plan(long, None, SETTINGS, "UTC", NOW).spec
    assert len(spec.topic) == TOPIC_LIMIT
    assert len(spec.agenda) == AGENDA_LIMIT
    assert spec.agenda.startswith(reference_for("cal", "ev1"))


def test_host_can_be_the_organizer():
    settings = Settings(host="organizer")
    spec = plan(event(organizer_email="ada@example.com"), None, settings, "UTC", NOW).spec
    assert spec.host == "ada@example.com"


def test_references_differ_per_event_and_calendar():
    refs = {reference_for("a", "1"), reference_for("a", "2"), reference_for("b", "1")}
    assert len(refs) == 3
