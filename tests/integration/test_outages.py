"""Outages the calendar user never sees: over days of the engine's clock, a systemic failure
(Zoom down, Zoom refusing syncd's credentials) parks nothing, writes one note per waiting
event once its wait is long and nothing before, and heals by itself; a refusal particular to
an event parks it with its note at once."""

from __future__ import annotations

import logging
from datetime import timedelta

from pydantic import SecretStr

from syncd.adapters.zoom import ZoomCredentials
from syncd.app import App
from syncd.core.description import find_block, find_note
from tests.conftest import CALENDAR, FAST_RETRY, when

EVENTS = 3
PENDING_DOWN = "Zoom link pending: Zoom or Google did not answer; syncd will try again."
PENDING_SIGN_IN = (
    "Zoom link pending: syncd cannot sign in to Zoom at the moment; syncd will try again."
)


def tagged_events(google_sim) -> list[str]:
    return [
        google_sim.put_event(CALENDAR, {"summary": f"Review {n} #zoom", **when(days=5 + n)})["id"]
        for n in range(EVENTS)
    ]


def notes(google_sim, event_ids) -> list[str | None]:
    return [find_note(google_sim.event(CALENDAR, e).get("description", "")) for e in event_ids]


def passes_over(app, clock, duration: timedelta, every: timedelta = timedelta(minutes=5)):
    """The daemon's passes, one every `every` of the engine's clock, for `duration`."""
    reports = []
    end = clock.now + duration
    while clock.now < end:
        reports.append(app.run_pass())
        clock.advance(seconds=every.total_seconds())
    return reports


def test_three_days_of_zoom_answering_503(google_sim, zoom_sim, make_app, clock):
    event_ids = tagged_events(google_sim)
    for route in ("meetings.create", "meetings.list", "users.get"):  # Zoom down as a whole
        zoom_sim.inject(route, status=503, times=None)
    app = make_app()

    passes_over(app, clock, timedelta(minutes=10))
    assert google_sim.count("events.patch") == 0  # within note_after_minutes: nothing shows
    passes_over(app, clock, timedelta(days=3), every=timedelta(minutes=20))

    assert notes(google_sim, event_ids) == [PENDING_DOWN] * EVENTS
    assert google_sim.count("events.patch") == EVENTS  # one note each over the whole outage
    assert all(link.parked_at is None for link in app.store.links(CALENDAR, event_ids).values())

    zoom_sim.clear_faults()
    assert app.run_pass().ok  # the first pass after it heals, no `syncd retry`
    blocks = [find_block(google_sim.event(CALENDAR, e)["description"]) for e in event_ids]
    assert all(block is not None for block in blocks)
    assert len(zoom_sim.meetings()) == EVENTS
    assert google_sim.count("events.patch") == 2 * EVENTS


def test_a_day_of_zoom_refusing_the_credentials(google_sim, zoom_sim, config, clock, caplog):
    event_ids = tagged_events(google_sim)
    wrong = ZoomCredentials(zoom_sim.account_id, zoom_sim.client_id, SecretStr("wrong-secret"))
    app = App.build(config, wrong, retry=FAST_RETRY, clock=clock)
    try:
        with caplog.at_level(logging.ERROR):
            first = app.run_pass()
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "Zoom refused the app credentials" in errors[0]
        assert zoom_sim.count("token") == 1
        assert (
            first.credentials_error
            and "Zoom refused the app credentials" in first.credentials_error
        )
        assert {r.route for r in zoom_sim.calls()} == {"token"}  # no event's request at all
        passes_over(app, clock, timedelta(minutes=9))
        assert google_sim.count("events.patch") == 0  # within the grace time: nothing written
        reports = passes_over(app, clock, timedelta(days=1), every=timedelta(minutes=30))
    finally:
        app.close()

    assert all(report.credentials_error for report in reports)
    assert notes(google_sim, event_ids) == [PENDING_SIGN_IN] * EVENTS
    assert google_sim.count("events.patch") == EVENTS
    assert {r.route for r in zoom_sim.calls()} == {"token"}
    fixed = App.build(
        config,
        ZoomCredentials(zoom_sim.account_id, zoom_sim.client_id, SecretStr(zoom_sim.client_secret)),
        retry=FAST_RETRY,
        clock=clock,
    )
    try:
        assert fixed.run_pass().ok
    finally:
        fixed.close()
    assert len(zoom_sim.meetings()) == EVENTS
    assert not any(notes(google_sim, event_ids))


def test_a_refusal_particular_to_the_event_parks_it_with_its_note_at_once(
    google_sim, zoom_sim, make_app, config
):
    (event_id,) = tagged_events(google_sim)[:1] or [None]
    ghost = config.zoom.model_copy(update={"hosts": {CALENDAR: "ghost@example.com"}})
    app = make_app(config.model_copy(update={"zoom": ghost}))

    app.run_pass()

    link = app.store.links(CALENDAR, [event_id])[event_id]
    assert link.parked_at is not None
    assert notes(google_sim, [event_id]) == [
        "No Zoom meeting: the organizer has no Zoom account here; ask your administrator."
    ]
