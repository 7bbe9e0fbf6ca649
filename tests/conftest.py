"""Shared fixtures: the simulators on loopback, a config pointing at them, and the real app.

Every request syncd sends to a simulator during a test is checked, at teardown, against
Zoom's published OpenAPI spec and Google's discovery document. Everything every test printed
(captured output and log records at every level, failure reports, the output of every syncd
process a test started) is scanned for the secrets the simulators issued; one found fails the
session.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

import pytest
from google.auth.credentials import CredentialsWithRegionalAccessBoundary
from pydantic import SecretStr

from syncd.adapters.retry import RetryPolicy
from syncd.adapters.zoom import ZoomCredentials
from syncd.app import App
from syncd.config import Config, GoogleSection, SyncSection, ZoomRateLimits, ZoomSection
from syncd.sim.google import GoogleCalendarSim
from syncd.sim.issued import all_issued
from syncd.sim.zoom import ZoomSim
from tests.schemas import validate_google_request, validate_zoom_request

pytest_plugins = ["tests.postgres"]

_LEAKS: list[str] = []
_CHILD_LOGS: list[Path] = []


def child_log(path: Path) -> IO[str]:
    """A file for a syncd child process's stdout and stderr, scanned like the rest."""
    _CHILD_LOGS.append(path)
    return path.open("w")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Scan what the test printed, in each phase, for every secret issued so far."""
    printed = [report.longreprtext, *(content for _, content in report.sections)]
    text = "\n".join(printed)
    for secret in all_issued():
        if secret in text:
            _LEAKS.append(f"{report.nodeid} ({report.when}): a secret ...{secret[-4:]} was printed")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Two workers a core: most tests wait on loopback or on a child process."""
    return 2 * (os.cpu_count() or 1)


def pytest_testnodedown(node: Any, error: object) -> None:
    """Under pytest-xdist each worker issues and scans its own secrets: gather its finds."""
    _LEAKS.extend(node.workeroutput.get("syncd_leaks", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    secrets = all_issued()
    for path in _CHILD_LOGS:
        text = path.read_text() if path.exists() else ""
        _LEAKS.extend(f"{path}: a secret ...{s[-4:]} was printed" for s in secrets if s in text)
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller reports for the session
        worker_output["syncd_leaks"] = list(_LEAKS)
        return
    if _LEAKS:
        print("\nsecrets found in test output:\n" + "\n".join(sorted(set(_LEAKS))))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


CALENDAR = "primary"
FAST_RETRY = RetryPolicy(attempts=3, base_seconds=0.01, max_wait_seconds=2.0)
GOOGLE_METHODS = {
    "events.list": "calendar.events.list",
    "events.get": "calendar.events.get",
    "events.patch": "calendar.events.patch",
    "events.instances": "calendar.events.instances",
    "directory.users.list": "directory.users.list",
    "directory.members.list": "directory.members.list",
}
"""Simulator routes checked against a discovery document, with their method ids."""


@pytest.fixture(autouse=True)
def no_regional_access_boundary_lookup(monkeypatch):
    """google-auth looks up a service account's "allowed locations" at
    iamcredentials.googleapis.com in a background thread after each token refresh: keep the
    tests on loopback."""
    monkeypatch.setattr(
        CredentialsWithRegionalAccessBoundary,
        "_maybe_start_regional_access_boundary_refresh",
        lambda self, request, url: None,
    )


@pytest.fixture
def google_sim() -> Iterator[GoogleCalendarSim]:
    with GoogleCalendarSim() as sim:
        sim.add_calendar(CALENDAR, time_zone="Europe/Berlin")
        yield sim
        _check_google_requests(sim)


@pytest.fixture
def zoom_sim() -> Iterator[ZoomSim]:
    with ZoomSim() as sim:
        yield sim
        _check_zoom_requests(sim)


def _query(recorded: Any) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in recorded.query.items()}


def _check_zoom_requests(sim: ZoomSim) -> None:
    for request in sim.calls():
        if request.route in ("token", "unrouted"):
            continue
        path = request.path.removeprefix("/v2")
        validate_zoom_request(request.method, unquote(path), request.json(), _query(request))


def _check_google_requests(sim: GoogleCalendarSim) -> None:
    """Every Calendar and Directory request the simulator received, against the discovery
    documents; the Workspace simulator tests run it on their own simulators too."""
    for request in sim.calls():
        method_id = GOOGLE_METHODS.get(request.route)
        if method_id:
            validate_google_request(method_id, request.json(), _query(request))


UNLIMITED = ZoomRateLimits(light=1000, medium=1000)
GOOGLE_UNLIMITED = 60_000.0
"""The simulators have no rate limits unless a test gives them one: neither has syncd."""


@pytest.fixture
def config(google_sim: GoogleCalendarSim, zoom_sim: ZoomSim, tmp_path: Path) -> Config:
    credentials_file = tmp_path / "google.json"
    credentials_file.write_text(json.dumps(google_sim.authorized_user_info()))
    return Config(
        sync=SyncSection(database_url=f"sqlite:///{tmp_path / 'syncd.db'}"),
        google=GoogleSection(
            credentials_file=str(credentials_file),
            calendars=[CALENDAR],
            api_endpoint=google_sim.api_endpoint,
            timeout_seconds=5,
            requests_per_minute=GOOGLE_UNLIMITED,
        ),
        zoom=ZoomSection(
            api_base_url=zoom_sim.api_base_url,
            token_url=zoom_sim.token_url,
            timeout_seconds=5,
            rate_limits=UNLIMITED,
        ),
    )


@pytest.fixture
def zoom_credentials(zoom_sim: ZoomSim) -> ZoomCredentials:
    return ZoomCredentials(
        zoom_sim.account_id, zoom_sim.client_id, SecretStr(zoom_sim.client_secret)
    )


class Clock:
    """The engine's notion of now, moved by tests to reach retry times."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(
    config: Config, zoom_credentials: ZoomCredentials, clock: Clock
) -> Iterator[Callable[..., App]]:
    apps: list[App] = []

    def build(cfg: Config | None = None, **options: Any) -> App:
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("clock", clock)
        app = App.build(cfg or config, zoom_credentials, **options)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def when(
    days: float = 1, hour: int = 10, minutes: int = 30, zone: str = "Europe/Berlin"
) -> dict[str, Any]:
    """start/end fields for an event `days` from now at `hour` local time."""
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo(zone)) + timedelta(days=days)
    start = day.replace(hour=hour, minute=0, second=0, microsecond=0)
    end = start + timedelta(minutes=minutes)
    return {
        "start": {"dateTime": start.isoformat(), "timeZone": zone},
        "end": {"dateTime": end.isoformat(), "timeZone": zone},
    }
