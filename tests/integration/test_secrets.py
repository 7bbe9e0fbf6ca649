"""Secrets never reach the logs, the database, status output or error messages."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pydantic import SecretStr

from syncd.adapters.zoom import ZoomCredentials
from syncd.app import App
from syncd.commands import status
from tests.conftest import CALENDAR, FAST_RETRY, when


def secrets_in_play(google_sim, zoom_sim) -> set[str]:
    google = google_sim.authorized_user_info()
    bearer = {
        call.headers.get("Authorization", "").removeprefix("Bearer ")
        for sim in (google_sim, zoom_sim)
        for call in sim.calls()
        if call.headers.get("Authorization", "").startswith("Bearer ")
    }
    return {zoom_sim.client_secret, google["client_secret"], google["refresh_token"], *bearer}


def test_no_secret_in_logs_database_or_status(google_sim, zoom_sim, make_app, config, caplog):
    caplog.set_level(logging.DEBUG)
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    zoom_sim.inject("meetings.create", status=500)  # an error message, too, must be clean
    app = make_app()
    report = app.run_pass()
    secrets = secrets_in_play(google_sim, zoom_sim)
    assert len(secrets) >= 5  # client secrets, refresh token, two access tokens

    path = Path(config.sync.database_url.removeprefix("sqlite:///"))
    database = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # WAL too
    assert len(database) > path.stat().st_size
    shown = json.dumps(status.collect(app.store)) + status.render(status.collect(app.store))
    failures = " ".join(f for c in report.calendars for f in c.failures)
    for secret in secrets:
        assert secret not in caplog.text
        assert secret.encode() not in database
        assert secret not in shown
        assert secret not in failures


def test_refused_zoom_credentials_do_not_echo_the_secret(google_sim, zoom_sim, config, caplog):
    caplog.set_level(logging.DEBUG)
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    wrong = ZoomCredentials(zoom_sim.account_id, zoom_sim.client_id, SecretStr("hunter2-wrong"))
    app = App.build(config, wrong, retry=FAST_RETRY)
    try:
        report = app.run_pass()
    finally:
        app.close()
    (failure,) = report.calendars[0].failures
    assert "refused the app credentials" in failure
    assert "hunter2-wrong" not in failure + caplog.text + repr(wrong)
