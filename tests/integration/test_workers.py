"""A pass works on several calendars at once, up to `[sync] workers`, and each event still
gets exactly one meeting."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import CALENDAR, when

ROOMS = [f"room-{n}@example.com" for n in range(6)]


def with_rooms(config, google_sim, workers: int):
    for room in ROOMS:
        google_sim.add_calendar(room, "Europe/Berlin")
        for i in range(3):
            google_sim.put_event(room, {"summary": f"{room} {i} #zoom", **when(days=1 + i)})
    return config.model_copy(
        update={
            "google": config.google.model_copy(update={"calendars": ROOMS}),
            "sync": config.sync.model_copy(update={"workers": workers}),
        }
    )


@pytest.mark.parametrize("workers", [1, 4])
def test_calendars_are_worked_on_at_once_up_to_the_workers(
    google_sim, zoom_sim, make_app, config, workers
):
    app = make_app(with_rooms(config, google_sim, workers))
    google_sim.latency = zoom_sim.latency = 0.05
    google_sim.take_load()
    zoom_sim.take_load()

    report = app.run_pass()

    assert report.ok, report
    assert [c.calendar_id for c in report.calendars] == ROOMS  # reported in the config's order
    references = Counter(m["agenda"].split()[0] for m in zoom_sim.meetings())
    assert len(references) == 18 and set(references.values()) == {1}
    # One token for all the workers: they wait for the one fetching it.
    assert (google_sim.count("token"), zoom_sim.count("token")) == (1, 1)
    peak = max(google_sim.take_load().peak_in_flight, zoom_sim.take_load().peak_in_flight)
    if workers == 1:
        assert peak == 1
    else:
        assert 1 < peak <= workers


def with_rate_limits(config, per_second: float):
    limits = config.zoom.rate_limits.model_copy(update={"light": per_second, "medium": per_second})
    return config.model_copy(
        update={"zoom": config.zoom.model_copy(update={"rate_limits": limits})}
    )


@pytest.mark.parametrize(("told", "answered_429"), [(8.0, False), (1000.0, True)])
def test_workers_share_zooms_rate_limits(
    google_sim, zoom_sim, make_app, config, told, answered_429
):
    """Zoom allows 8 requests a second: told so, four workers get no 429 between them; told
    a wrong, higher limit, they do (and still make every meeting once, after Retry-After)."""
    zoom_sim.limits.per_second = 8
    app = make_app(with_rate_limits(with_rooms(config, google_sim, workers=4), told))

    report = app.run_pass()

    assert report.ok, report
    references = Counter(m["agenda"].split()[0] for m in zoom_sim.meetings())
    assert len(references) == 18 and set(references.values()) == {1}
    limited = [r for r in zoom_sim.calls() if r.status == 429]
    assert bool(limited) is answered_429


def with_google_quota(config, per_minute: float):
    google = config.google.model_copy(update={"requests_per_minute": per_minute})
    return config.model_copy(update={"google": google})


@pytest.mark.parametrize(("told", "refused"), [(480.0, False), (60_000.0, True)])
def test_workers_share_googles_quota(google_sim, zoom_sim, make_app, config, told, refused):
    """Google allows this user 480 requests a minute, measured over a sliding window (here
    shortened to 2 seconds: 16 requests): told so, four workers are never refused between
    them; told a wrong, higher quota, they are (403 userRateLimitExceeded), and still make
    every meeting once, the refused identity waiting as Google asks."""
    google_sim.requests_per_minute = 480
    google_sim.quota_window = 2.0
    app = make_app(
        with_google_quota(with_rooms(config, google_sim, workers=4), told), quota_window=2.0
    )

    report = app.run_pass()

    references = Counter(m["agenda"].split()[0] for m in zoom_sim.meetings())
    assert len(references) == 18 and set(references.values()) == {1}
    assert (google_sim.quota_refusals() > 0) is refused
    assert google_sim.peak_in_window() <= 16
    if not refused:
        assert report.ok, report


def test_replicas_on_one_database_share_googles_quota(google_sim, zoom_sim, make_app, config):
    """Two syncd processes on one database, one Google identity: each keeps to half of its
    budget (16 requests a shortened window), so together they are never refused."""
    google_sim.requests_per_minute = 480
    google_sim.quota_window = 2.0
    for room in ROOMS:
        google_sim.add_calendar(room, "Europe/Berlin")
    rooms = config.google.model_copy(update={"calendars": ROOMS})
    told = with_google_quota(config.model_copy(update={"google": rooms}), 480)
    replicas = [make_app(told, quota_window=2.0), make_app(told, quota_window=2.0)]
    replicas[1].engine._owner = "host:2:other"  # a second process
    for app in replicas:  # each registers at its pass (6 requests): both alive for the next
        assert app.run_pass().ok
    for room in ROOMS:
        for i in range(7):
            google_sim.put_event(room, {"summary": f"{room} {i} #zoom", **when(days=1 + i)})

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda app: app.run_pass(), replicas))

    references = Counter(m["agenda"].split()[0] for m in zoom_sim.meetings())
    assert len(references) == 42 and set(references.values()) == {1}
    assert google_sim.quota_refusals() == 0
    assert google_sim.peak_in_window() <= 16
    assert all(not c.error or c.busy for report in reports for c in report.calendars)


def test_the_events_of_one_calendar_are_worked_on_at_once(google_sim, zoom_sim, make_app, config):
    """One calendar alone gets the whole pool for its events; each still gets one meeting,
    and the next pass (its sync token saved after every event) has nothing to do."""
    for i in range(12):
        google_sim.put_event(CALENDAR, {"summary": f"Meeting {i} #zoom", **when(days=1 + i)})
    app = make_app(
        config.model_copy(update={"sync": config.sync.model_copy(update={"workers": 4})})
    )
    google_sim.latency = zoom_sim.latency = 0.05
    zoom_sim.take_load()

    report = app.run_pass()

    assert report.ok, report
    assert report.calendars[0].meetings_created == 12
    references = Counter(m["agenda"].split()[0] for m in zoom_sim.meetings())
    assert len(references) == 12 and set(references.values()) == {1}
    assert 1 < zoom_sim.take_load().peak_in_flight <= 4
    zoom_sim.reset_log()
    again = app.run_pass()
    assert again.ok and again.calendars[0].meetings_created == 0
    assert zoom_sim.calls() == []
