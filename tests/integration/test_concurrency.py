"""Two syncd processes on one database: one works on a calendar, the other leaves it be."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from syncd.commands import status
from tests.conftest import CALENDAR, when


def seed(google_sim, count: int) -> None:
    for i in range(count):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i / 10)})


def test_a_second_syncd_leaves_a_calendar_in_work_alone(google_sim, zoom_sim, make_app):
    seed(google_sim, 10)
    zoom_sim.latency = 0.3  # the first pass is still at work when the second starts
    first, second = make_app(), make_app()
    worker = threading.Thread(target=lambda: first.run_pass())
    worker.start()
    while zoom_sim.count("meetings.create") == 0:
        threading.Event().wait(0.01)

    report = second.run_pass()
    (shown,) = status.collect(second.store)["calendars"]
    worker.join()

    assert report.calendars[0].busy
    assert shown["lease"]["holder"].startswith(socket.gethostname() + ":")
    assert len(zoom_sim.meetings()) == 10
    assert zoom_sim.count("meetings.create") == 10


def test_queued_event_is_created_once_when_two_passes_race(google_sim, zoom_sim, make_app, clock):
    seed(google_sim, 1)
    # Zoom down for the first pass: the event is queued (a refusal would park it).
    zoom_sim.inject("meetings.create", status=503)
    first, second = make_app(), make_app()
    first.run_pass()
    clock.advance(minutes=5)
    zoom_sim.latency = 0.1

    threads = [threading.Thread(target=app.run_pass) for app in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(zoom_sim.meetings()) == 1


def test_a_dead_syncds_lease_runs_out(make_app):
    store = make_app().store
    now = datetime.now(UTC)
    assert store.acquire_lease(CALENDAR, "dead-host:1", now + timedelta(seconds=60), now)
    assert not store.acquire_lease(CALENDAR, "live-host:2", now + timedelta(seconds=60), now)
    later = now + timedelta(seconds=61)
    assert store.acquire_lease(CALENDAR, "live-host:2", later + timedelta(seconds=60), later)
    assert not store.renew_lease(CALENDAR, "dead-host:1", later + timedelta(seconds=60))


def test_a_killed_local_syncds_lease_is_taken_over_at_once(make_app):
    import subprocess
    import sys

    from syncd.engine.lease import CalendarLease, is_dead_local_owner, owner_name

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    host, pid, machine, nonce = owner_name().split(":")
    assert (host, pid) == (socket.gethostname(), str(os.getpid()))
    dead = f"{host}:{gone}:{machine}:{nonce}"
    assert is_dead_local_owner(dead)
    assert not is_dead_local_owner(owner_name())
    assert not is_dead_local_owner(f"another-host:{gone}:{machine}:{nonce}")
    assert not is_dead_local_owner(f"{host}:{gone}:another-boot.1:{nonce}")

    store = make_app().store
    now = datetime.now(UTC)
    assert store.acquire_lease(CALENDAR, dead, now + timedelta(seconds=60), now)
    with CalendarLease(store, CALENDAR, "new-owner", 60):
        assert store.lease_owner(CALENDAR) == "new-owner"
    assert store.lease_owner(CALENDAR) is None


def with_lease(config, seconds: float):
    """One event at a time, so that a pass takes its events' time end to end."""
    return config.model_copy(
        update={"sync": config.sync.model_copy(update={"lease_seconds": seconds, "workers": 1})}
    )


def test_the_lease_is_renewed_while_a_long_pass_runs(google_sim, zoom_sim, make_app, config):
    seed(google_sim, 12)
    zoom_sim.latency = 0.25  # a pass of about 3 s against a lease of 1 s
    first, second = make_app(with_lease(config, 1)), make_app(with_lease(config, 1))
    worker = threading.Thread(target=first.run_pass)
    worker.start()
    time.sleep(2)

    report = second.run_pass()
    worker.join()

    assert report.calendars[0].busy
    assert len(zoom_sim.meetings()) == 12


def test_a_syncd_that_lost_its_lease_writes_nothing_more(
    google_sim, zoom_sim, make_app, config, clock
):
    seed(google_sim, 1)
    zoom_sim.inject("meetings.create", hang=1.0)  # Zoom creates it, slowly
    app = make_app()
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(report=app.run_pass()))
    worker.start()
    while not zoom_sim.in_flight("meetings.create"):
        time.sleep(0.01)
    holder = app.store.lease_owner(CALENDAR)
    now = datetime.now(UTC)
    assert app.store.take_over_lease(CALENDAR, holder, "other-host:1:x:y", now)  # expired now
    worker.join()

    report = outcome["report"]
    assert "now in work by other-host:1:x:y" in report.calendars[0].error
    assert google_sim.count("events.patch") == 0
    assert app.store.calendar(CALENDAR).sync_token is None
    (link,) = app.store.all_links()
    assert link.state == "creating" and link.meeting_id is None

    # Whoever works on the calendar next finds the meeting instead of making another.
    clock.advance(minutes=3)
    assert make_app().run_pass().ok
    assert len(zoom_sim.meetings()) == 1
    assert google_sim.count("events.patch") == 1


def test_a_lease_released_while_another_syncd_lost_the_race_is_no_crash(make_app):
    """Three daemons on one database: one loses the race for the lease, and the holder
    releases it before the loser reads who holds it (a TypeError formatting None, once)."""
    from syncd.engine.lease import CalendarBusy, CalendarLease
    from syncd.store import Store

    class ReleasedInBetween(Store):
        def acquire_lease(self, calendar_id, owner, until, now) -> bool:
            taken = super().acquire_lease(calendar_id, owner, until, now)
            self.release_lease(calendar_id, "winner")  # the winner finishes at that moment
            return taken

    store = make_app().store
    now = datetime.now(UTC)
    assert store.acquire_lease(CALENDAR, "winner", now + timedelta(seconds=60), now)
    racing = ReleasedInBetween(store.engine)

    try:
        with CalendarLease(racing, CALENDAR, "loser", 60):
            raise AssertionError("the lease was held by the winner")
    except CalendarBusy as busy:
        assert "was in work by another syncd a moment ago" in str(busy)
