"""A journal recovered from Zoom after the database was lost: the meetings Zoom has are found
by their references, those no longer wanted are deleted (under the mass-change guard), and a
second meeting for one event is deleted once no create can still be on its way."""

from __future__ import annotations

import httpx
import pytest

from syncd.config import ZoomRateLimits
from syncd.core.description import find_block
from syncd.core.domain import LinkState, reference_for
from tests.conftest import CALENDAR
from tests.integration.test_lifecycle import TEXT, link_of, put, synced
from tests.integration.test_store_faults import database_files


def lose_the_database(config) -> None:
    for path in database_files(config):
        path.unlink()


def carrying(zoom_sim, event_id: str) -> list[dict]:
    reference = reference_for(CALENDAR, event_id)
    return [m for m in zoom_sim.meetings() if m["agenda"].startswith(reference)]


def second_copy(zoom_sim, meeting: dict) -> int:
    """What a create sent twice leaves behind: another meeting with the same agenda."""
    token = httpx.post(
        zoom_sim.token_url,
        params={"grant_type": "account_credentials", "account_id": zoom_sim.account_id},
        auth=(zoom_sim.client_id, zoom_sim.client_secret),
    ).json()["access_token"]
    body = {key: meeting[key] for key in ("topic", "agenda", "type", "start_time", "duration")}
    made = httpx.post(
        f"{zoom_sim.api_base_url}/users/me/meetings",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    return int(made.json()["id"])


def test_a_second_meeting_already_in_zoom_is_deleted_once_the_recovery_settles(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim)
    first = make_app()
    synced(first)
    first.close()
    (meeting,) = zoom_sim.meetings()
    copy = second_copy(zoom_sim, meeting)
    lose_the_database(config)

    app = make_app()
    assert app.run_pass().ok
    assert link_of(app, event_id).meeting_id == meeting["id"]  # the one the event shows
    assert len(carrying(zoom_sim, event_id)) == 2  # a create of the lost process may be due
    clock.advance(minutes=3)
    assert app.run_pass().ok

    assert [m["id"] for m in carrying(zoom_sim, event_id)] == [meeting["id"]]
    assert copy not in {m["id"] for m in zoom_sim.meetings()}
    assert app.store.calendar(CALENDAR).recovering_until is None
    zoom_sim.reset_log()
    clock.advance(minutes=3)
    assert app.run_pass().ok
    assert zoom_sim.count("meetings.list") == 0  # the recovery is over


def test_a_meeting_of_an_event_untagged_meanwhile_is_deleted(
    google_sim, zoom_sim, make_app, config
):
    event_id = put(google_sim)
    first = make_app()
    synced(first)
    first.close()
    lose_the_database(config)
    google_sim.edit_event(CALENDAR, event_id, summary="Planning")

    assert make_app().run_pass().ok

    assert zoom_sim.meetings() == []
    assert google_sim.event(CALENDAR, event_id)["description"] == TEXT


def test_a_lost_database_and_a_renamed_tag_delete_nothing(google_sim, zoom_sim, make_app, config):
    """The mass-change guard counts the meetings found again like any others."""
    ids = [put(google_sim, summary=f"Team {i} #zoom") for i in range(6)]
    first = make_app()
    synced(first)
    first.close()
    lose_the_database(config)
    renamed = config.model_copy(update={"sync": config.sync.model_copy(update={"tag": "#video"})})

    report = make_app(renamed).run_pass()

    assert not report.ok
    assert "held back by the mass-change guard" in (report.calendars[0].warning or "")
    assert len(zoom_sim.meetings()) == 6
    assert all(find_block(google_sim.event(CALENDAR, i)["description"]) for i in ids)


def test_a_failed_lookup_queues_the_event_until_zoom_can_be_asked(
    google_sim, zoom_sim, make_app, config, clock
):
    event_id = put(google_sim)
    google_sim.inject("events.patch", status=500, times=None)
    first = make_app()
    first.run_pass()  # the meeting is made; the event never learns of it
    first.close()
    google_sim.clear_faults()
    lose_the_database(config)
    zoom_sim.inject("meetings.list", status=503, times=None)

    app = make_app()
    app.run_pass()
    assert link_of(app, event_id).state is LinkState.CREATING  # whether Zoom has one: unknown
    zoom_sim.clear_faults()
    clock.advance(minutes=5)
    assert app.run_pass().ok

    assert zoom_sim.count("meetings.create") == 1
    (meeting,) = carrying(zoom_sim, event_id)
    assert (
        find_block(google_sim.event(CALENDAR, event_id)["description"]).meeting_id
        == (meeting["id"])
    )


def test_a_host_is_listed_once_a_pass_whatever_the_number_of_calendars(
    google_sim, zoom_sim, make_app, config
):
    """A first pass over many calendars hosted by one user: the host's meetings are listed
    once, not once per calendar (each listing longer by the meetings made before it)."""
    calendars = [CALENDAR, *(f"room-{n}@example.com" for n in range(3))]
    for calendar in calendars[1:]:
        google_sim.add_calendar(calendar, "Europe/Berlin")
    for calendar in calendars:
        put(google_sim, calendar=calendar)
    google = config.google.model_copy(update={"calendars": calendars})
    app = make_app(config.model_copy(update={"google": google}))

    assert app.run_pass().ok
    assert len(zoom_sim.meetings()) == len(calendars)
    assert zoom_sim.count("meetings.list") == 1


def test_a_late_meeting_of_an_event_that_has_none_now_is_deleted(
    google_sim, zoom_sim, make_app, config, clock
):
    """Found by the state machine: after the database is lost, a killed process's create
    lands once the recovery has looked, for an event that has no meeting now (its own create
    was refused, then the user untagged it). The recovery's last look deletes it."""
    event_id = put(google_sim)
    first = make_app()
    synced(first)
    first.close()
    (meeting,) = zoom_sim.meetings()
    lose_the_database(config)
    zoom_sim.delete_out_of_band(meeting["id"])  # not there when the recovery looks...

    app = make_app()
    zoom_sim.limits.daily_limit = 0  # ...and the new create is refused
    app.run_pass()
    zoom_sim.limits.daily_limit = 100  # (syncd waits for midnight all the same)
    copy = second_copy(zoom_sim, meeting)  # ...then the lost create lands
    google_sim.edit_event(CALENDAR, event_id, summary="Planning")  # untagged meanwhile
    app.run_pass()
    assert carrying(zoom_sim, event_id) != []
    clock.advance(minutes=3)
    app.run_pass()

    assert carrying(zoom_sim, event_id) == []
    assert copy not in {m["id"] for m in zoom_sim.meetings()}
    assert app.store.calendar(CALENDAR).recovering_until is None


@pytest.mark.slow
def test_a_recovery_over_many_hosts_lists_them_over_several_passes(
    google_sim, zoom_sim, make_app, config, clock
):
    """The sweep lists every host the config may use, a share of them a pass (four seconds'
    worth of Zoom's Medium rate: here 2 a second, 8 hosts), and deletes the late copy once
    all are listed after the recovery window."""
    hosts = {f"room-{n}@example.com": f"host-{n}@example.com" for n in range(12)}
    for host in hosts.values():
        zoom_sim.add_user(host)
    zoom = config.zoom.model_copy(
        update={"hosts": hosts, "rate_limits": ZoomRateLimits(light=1000, medium=2)}
    )
    slow_zoom = config.model_copy(update={"zoom": zoom})
    event_id = put(google_sim)
    first = make_app(slow_zoom)
    synced(first)
    first.close()
    (meeting,) = zoom_sim.meetings()
    copy = second_copy(zoom_sim, meeting)
    lose_the_database(config)
    app = make_app(slow_zoom)
    assert app.run_pass().ok
    clock.advance(minutes=3)

    listed = []
    while app.store.calendar(CALENDAR).recovering_until is not None:
        assert len(listed) < 5, listed
        zoom_sim.reset_log()
        assert app.run_pass().ok
        listed.append(zoom_sim.count("meetings.list"))

    assert listed == [8, 5]  # 13 hosts: "me" and the 12 the config names
    assert [m["id"] for m in carrying(zoom_sim, event_id)] == [meeting["id"]]
    assert copy not in {m["id"] for m in zoom_sim.meetings()}
