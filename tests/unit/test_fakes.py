"""The fakes keep the real adapters' contracts: which typed error, when."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from syncd.core.domain import Event, EventTime, MeetingSpec, MeetingType
from syncd.core.errors import (
    Conflict,
    EventGone,
    GoogleUnavailable,
    MeetingNotFound,
    SyncTokenExpired,
    ZoomNotFound,
    ZoomRejected,
    ZoomUnavailable,
)
from tests.fakes import Crash, FakeCalendar, FakeZoom, Tripwire, memory_store

CAL = "cal@example.com"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def timed(**fields) -> dict:
    start = NOW + timedelta(days=1)
    return {
        "start": EventTime(date_time=start, time_zone="UTC"),
        "end": EventTime(date_time=start + timedelta(minutes=30), time_zone="UTC"),
        **fields,
    }


def spec(host: str = "me", agenda: str = "syncd-ref:abc\nnotes") -> MeetingSpec:
    return MeetingSpec("Standup", agenda, MeetingType.SCHEDULED, host, "2030-01-02T00:00:00Z", 30)


def listed(calendar: FakeCalendar, token: str | None) -> tuple[list[Event], str | None]:
    pages = list(calendar.changes(CAL, token, NOW))
    return [e for page in pages for e in page.events], pages[-1].next_sync_token


# -- FakeCalendar ------------------------------------------------------------------------------
def test_a_sync_token_lists_what_changed_since_syncds_own_writes_included():
    calendar = FakeCalendar(page_size=1)
    first = calendar.put(CAL, summary="a", **timed())
    calendar.put(CAL, summary="b", **timed())
    events, token = listed(calendar, None)
    assert [e.summary for e in events] == ["a", "b"]
    assert listed(calendar, token) == ([], token)
    calendar.patch_event(first, description="x", private_properties={})
    events, _ = listed(calendar, token)
    assert [e.id for e in events] == [first.id]


def test_a_full_listing_leaves_out_events_that_ended_before_time_min():
    calendar = FakeCalendar()
    past = NOW - timedelta(days=2)
    calendar.put(CAL, start=EventTime(date_time=past), end=EventTime(date_time=past))
    assert listed(calendar, None)[0] == []


def test_a_deleted_event_is_listed_bare_and_still_readable():
    calendar = FakeCalendar()
    event = calendar.put(CAL, summary="a", **timed())
    _, token = listed(calendar, None)
    calendar.delete(CAL, event.id)
    events, _ = listed(calendar, token)
    assert events == [Event(CAL, event.id, status="cancelled", etag=events[0].etag)]
    assert calendar.get_event(CAL, event.id).summary == "a"


def test_a_purged_event_is_gone():
    calendar = FakeCalendar()
    event = calendar.put(CAL, **timed())
    calendar.purge(CAL, event.id)
    with pytest.raises(EventGone):
        calendar.get_event(CAL, event.id)
    with pytest.raises(EventGone):
        calendar.patch_event(event, description="", private_properties={})


def test_a_patch_with_a_stale_etag_is_a_conflict():
    calendar = FakeCalendar()
    event = calendar.put(CAL, **timed())
    calendar.edit(CAL, event.id, summary="changed")
    with pytest.raises(Conflict):
        calendar.patch_event(event, description="x", private_properties={})


def test_a_concurrent_edit_makes_the_next_patch_a_conflict():
    calendar = FakeCalendar()
    event = calendar.put(CAL, **timed())
    calendar.before_next_patch(lambda e: calendar.edit(CAL, e.id, summary="user's"))
    with pytest.raises(Conflict):
        calendar.patch_event(event, description="x", private_properties={})
    fresh = calendar.get_event(CAL, event.id)
    assert calendar.patch_event(fresh, description="x", private_properties={}).description == "x"


def test_a_patch_merges_private_properties_and_changes_the_etag():
    calendar = FakeCalendar()
    event = calendar.put(CAL, private_properties={"a": "1", "b": "2"}, **timed())
    patched = calendar.patch_event(event, description="d", private_properties={"a": None, "c": "3"})
    assert patched.private_properties == {"b": "2", "c": "3"}
    assert patched.etag != event.etag


def test_an_expired_sync_token_asks_for_a_full_listing():
    calendar = FakeCalendar()
    calendar.put(CAL, **timed())
    _, token = listed(calendar, None)
    calendar.expire_sync_tokens()
    with pytest.raises(SyncTokenExpired):
        listed(calendar, token)


def test_an_injected_failure_is_used_once():
    calendar = FakeCalendar()
    event = calendar.put(CAL, **timed())
    calendar.fail_next("get_event", GoogleUnavailable("503"))
    with pytest.raises(GoogleUnavailable):
        calendar.get_event(CAL, event.id)
    assert calendar.get_event(CAL, event.id) == event


# -- FakeZoom ----------------------------------------------------------------------------------
def test_a_meeting_is_made_under_its_host_and_found_by_its_reference():
    zoom = FakeZoom(users=("alice@example.com",))
    made = zoom.create_meeting(spec(host="alice@example.com"))
    assert str(made.id) in made.join_url
    assert zoom.find_meeting("alice@example.com", "syncd-ref:abc") == made
    assert zoom.find_meeting("me", "syncd-ref:abc") is None
    assert zoom.get_meeting(made.id) == made


def test_me_is_the_owner_and_an_unknown_host_is_not_found():
    zoom = FakeZoom(owner="owner@example.com")
    assert zoom.meetings[zoom.create_meeting(spec()).id].host == "owner@example.com"
    with pytest.raises(ZoomNotFound):
        zoom.create_meeting(spec(host="nobody@example.com"))


def test_a_missing_meeting_is_not_found_except_by_delete():
    zoom = FakeZoom()
    with pytest.raises(ZoomNotFound) as not_found:
        zoom.get_meeting(1)
    assert isinstance(not_found.value, MeetingNotFound)
    with pytest.raises(ZoomNotFound):
        zoom.patch_meeting(1, {"topic": "x"})
    assert zoom.delete_meeting(1) is False


def test_an_update_applies_its_fields_and_schedule_for_moves_the_meeting():
    zoom = FakeZoom(users=("bob@example.com",))
    made = zoom.create_meeting(spec())
    zoom.patch_meeting(made.id, {"topic": "New", "schedule_for": "bob@example.com"})
    assert (zoom.meetings[made.id].topic, zoom.meetings[made.id].host) == ("New", "bob@example.com")
    with pytest.raises(ZoomRejected):
        zoom.patch_meeting(made.id, {"schedule_for": "nobody@example.com"})


def test_a_refused_create_makes_nothing():
    zoom = FakeZoom()
    zoom.refuse_next_create()
    with pytest.raises(ZoomRejected):
        zoom.create_meeting(spec())
    assert zoom.meetings == {}


def test_a_lost_answer_leaves_the_meeting_made():
    zoom = FakeZoom()
    zoom.lose_next_create_response()
    with pytest.raises(ZoomUnavailable) as lost:
        zoom.create_meeting(spec())
    assert lost.value.retry_safe is False
    assert len(zoom.carrying("syncd-ref:abc")) == 1


def test_an_update_can_find_its_meeting_deleted_just_before():
    zoom = FakeZoom()
    made = zoom.create_meeting(spec())
    zoom.delete_before_next_update()
    with pytest.raises(ZoomNotFound):
        zoom.patch_meeting(made.id, {"topic": "x"})
    assert made.id in zoom.deleted_out_of_band


# -- the store and the tripwire ----------------------------------------------------------------
def test_the_memory_store_is_one_database_for_every_thread():
    store = memory_store()
    store.begin_create(CAL, "ev", "syncd-ref:1", "me", NOW, None)
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(len(store.links(CAL, ["ev"]))))
    reader.start()
    reader.join()
    store.close()
    assert seen == [1]


@pytest.mark.parametrize(("how", "made"), [("before", 0), ("after", 1), ("in flight", 0)])
def test_the_tripwire_kills_at_the_chosen_call(how, made):
    zoom = FakeZoom()
    wire = Tripwire()
    wired = wire.wrap(zoom)
    wire.arm(1, how, ["create_meeting"])
    wired.find_meeting("me", "syncd-ref:abc")  # not counted
    with pytest.raises(Crash):
        wired.create_meeting(spec())
    assert len(zoom.meetings) == made
    assert (wire.in_flight is not None) == (how == "in flight")
    with pytest.raises(Crash):  # the dead do nothing more
        wired.find_meeting("me", "syncd-ref:abc")
