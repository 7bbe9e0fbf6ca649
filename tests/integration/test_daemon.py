"""`syncd run` under a supervisor: passes on a timer, clean exit on SIGTERM."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import CALENDAR, when
from tests.integration.command import toml_for


def start_daemon(
    config,
    zoom_sim,
    tmp_path,
    interval: float,
    *,
    sync: str = "",
    more: str = "",
    env: dict | None = None,
) -> subprocess.Popen:
    """`more`: sections added to the config."""
    path = tmp_path / "config.toml"
    path.write_text(daemon_toml(config, interval, sync) + more)
    return daemon_process(path, zoom_sim, env)


def daemon_process(
    path, zoom_sim, env: dict | None = None, log=subprocess.PIPE
) -> subprocess.Popen:
    """`syncd run` on the config at `path`, with the simulator's Zoom secrets; what it logs
    goes to `log` (a pipe, or a file for a daemon that logs more than a pipe holds)."""
    environ = (
        os.environ
        | (env or {})
        | {
            "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
            "ZOOM_CLIENT_ID": zoom_sim.client_id,
            "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(path), "run"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=environ,
    )


def daemon_toml(config, interval: float, sync: str = "") -> str:
    return toml_for(config).replace("[sync]", f"[sync]\ninterval_seconds = {interval}\n{sync}")


def stop(daemon: subprocess.Popen) -> str:
    """SIGTERM; what the daemon logged (printed: scanned for secrets)."""
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=30)
    print(stderr)  # what journald would hold: scanned for secrets
    assert daemon.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stderr


class NotifySocket:
    """systemd's end of sd_notify: a datagram socket that keeps each message and its time."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="notify-", dir="/tmp")  # a short socket path
        self.path = os.path.join(self.directory, "notify")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.socket.settimeout(0.1)
        self.messages: list[tuple[float, str]] = []
        self._open = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while self._open:
            try:
                data = self.socket.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def kinds(self) -> list[str]:
        """Each message's variable name, runs of WATCHDOG folded into one."""
        kinds: list[str] = []
        for _, message in self.messages:
            kind = message.split("=", 1)[0]
            if not (kind == "WATCHDOG" and kinds and kinds[-1] == "WATCHDOG"):
                kinds.append(kind)
        return kinds

    def pings_since(self, moment: float) -> int:
        return sum(1 for at, message in self.messages if at >= moment and message == "WATCHDOG=1")

    def close(self) -> None:
        self._open = False
        self._reader.join()
        self.socket.close()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def notify_socket():
    listening = NotifySocket()
    yield listening
    listening.close()


WATCHED = {"WATCHDOG_USEC": "200000"}  # WatchdogSec=0.2s: a ping every 0.1 s


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_daemon_picks_up_new_events_and_stops_on_sigterm(google_sim, zoom_sim, config, tmp_path):
    google_sim.put_event(CALENDAR, {"summary": "One #zoom", **when()})
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=0.5)
    try:
        wait_for(lambda: len(zoom_sim.meetings()) == 1)
        google_sim.put_event(CALENDAR, {"summary": "Two #zoom", **when(days=2)})
        wait_for(lambda: len(zoom_sim.meetings()) == 2)
        lists_before = google_sim.count("events.list")
        wait_for(lambda: google_sim.count("events.list") >= lists_before + 2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=30)
        print(stderr)  # what journald would hold: scanned for secrets
    assert daemon.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "syncd stopped" in stderr
    assert len(zoom_sim.meetings()) == 2


def test_sigterm_mid_pass_finishes_the_event_in_hand(
    google_sim, zoom_sim, config, tmp_path, make_app
):
    for i in range(40):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i / 10)})
    zoom_sim.latency = 0.05
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=60)
    wait_for(lambda: zoom_sim.count("meetings.create") >= 5)
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=30)
    print(stderr)  # what journald would hold: scanned for secrets
    assert daemon.returncode == 0, stderr
    created = len(zoom_sim.meetings())
    assert 5 <= created < 40

    app = make_app()
    assert all(link.state == "linked" for link in app.store.all_links())
    assert app.store.calendar(CALENDAR).sync_token is None  # the pass did not finish
    zoom_sim.latency = 0
    assert app.run_pass().ok
    assert len(zoom_sim.meetings()) == 40


def test_a_pass_longer_than_the_interval_is_not_overlapped(google_sim, zoom_sim, config, tmp_path):
    for i in range(10):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i / 10)})
    zoom_sim.latency = 0.2  # a first pass of about 2.5 s, against an interval of 0.2 s
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=0.2)
    try:
        wait_for(lambda: google_sim.count("events.patch") == 10)
        time.sleep(1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=30)
        print(stderr)  # what journald would hold: scanned for secrets
    assert daemon.returncode == 0, stderr
    assert len(zoom_sim.meetings()) == 10
    assert zoom_sim.count("meetings.create") == 10
    assert "in work by" not in stderr  # no second pass of this daemon ever started alongside


def test_systemd_hears_ready_watchdog_during_a_slow_pass_status_and_stopping(
    google_sim, zoom_sim, config, tmp_path, notify_socket
):
    for i in range(8):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i / 10)})
    zoom_sim.latency = (
        0.25  # a pass of about 3 s (one event at a time), far longer than WatchdogSec
    )
    env = WATCHED | {"NOTIFY_SOCKET": notify_socket.path}
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=60, sync="workers = 1", env=env)
    wait_for(lambda: zoom_sim.count("meetings.create") >= 1)
    started = time.monotonic()
    wait_for(lambda: google_sim.count("events.patch") == 8)
    wait_for(lambda: "STATUS" in notify_socket.kinds())
    stop(daemon)

    kinds = notify_socket.kinds()
    assert kinds[:3] == ["READY", "WATCHDOG", "STATUS"], kinds
    assert kinds[3:] in (["STOPPING"], ["WATCHDOG", "STOPPING"]), kinds
    slow = [at for at, message in notify_socket.messages if message == "WATCHDOG=1"]
    during_the_pass = [at for at in slow if at >= started]
    assert len(during_the_pass) >= 10  # every 0.1 s while the pass went on
    assert max(b - a for a, b in itertools.pairwise(during_the_pass)) < 0.5
    (status,) = [m for _, m in notify_socket.messages if m.startswith("STATUS=")]
    assert "8 created, 0 updated, 0 deleted; 0 events queued for retry, 0 parked" in status


def test_a_wedged_daemon_stops_pinging_the_watchdog(
    google_sim, zoom_sim, config, tmp_path, notify_socket
):
    google_sim.put_event(CALENDAR, {"summary": "Stuck #zoom", **when()})
    zoom_sim.inject("meetings.create", hang=4.0)  # far beyond stall_seconds, within the timeout
    env = WATCHED | {"NOTIFY_SOCKET": notify_socket.path}
    daemon = start_daemon(
        config, zoom_sim, tmp_path, interval=60, sync="stall_seconds = 1", env=env
    )
    wait_for(lambda: zoom_sim.in_flight("meetings.create") > 0)
    wedged = time.monotonic()
    time.sleep(2.5)
    quiet_from = wedged + 1.3  # a second without progress, and one ping interval more
    assert notify_socket.pings_since(wedged) >= 5  # still alive at first
    assert notify_socket.pings_since(quiet_from) == 0
    wait_for(lambda: len(zoom_sim.meetings()) == 1)
    resumed = time.monotonic()
    wait_for(lambda: notify_socket.pings_since(resumed) > 0)  # alive again: pings resume
    logged = stop(daemon)

    assert "no progress for" in logged and "systemd will restart it" in logged


def test_sighup_reloads_the_config_between_passes(google_sim, zoom_sim, config, tmp_path):
    google_sim.put_event(CALENDAR, {"summary": "Old tag #zoom", **when()})
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=0.3)
    try:
        wait_for(lambda: len(zoom_sim.meetings()) == 1)
        path = tmp_path / "config.toml"
        path.write_text(daemon_toml(config, 0.3, 'tag = "#video"\nlog_format = "json"'))
        daemon.send_signal(signal.SIGHUP)
        new_tag = {"summary": "New tag #video", **when(days=2)}
        event_id = google_sim.put_event(CALENDAR, new_tag)["id"]
        wait_for(lambda: any(m["topic"] == "New tag" for m in zoom_sim.meetings()))
    finally:
        logged = stop(daemon)
    before, _, after = logged.partition(f"config {tmp_path / 'config.toml'} reloaded")
    assert after, logged
    records = [json.loads(line) for line in after.splitlines()[1:] if line]
    [created] = [r for r in records if r.get("action") == "created"]
    assert created["event_id"] == event_id
    [meeting] = [m for m in zoom_sim.meetings() if m["topic"] == "New tag"]
    assert created["meeting_id"] == meeting["id"]
    assert created["calendar_id"] == CALENDAR
    assert all(line[:1].isdigit() for line in before.splitlines()[:-1])  # text until the reload


def test_a_reload_to_a_longer_interval_keeps_the_watchdog_fed(
    google_sim, zoom_sim, config, tmp_path, notify_socket
):
    env = WATCHED | {"NOTIFY_SOCKET": notify_socket.path}
    daemon = start_daemon(config, zoom_sim, tmp_path, 0.3, sync="stall_seconds = 1", env=env)
    try:
        wait_for(lambda: google_sim.count("events.list") >= 2)
        (tmp_path / "config.toml").write_text(daemon_toml(config, 4, "stall_seconds = 1"))
        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: any("reloaded" in m for _, m in notify_socket.messages))
        reloaded = time.monotonic()
        time.sleep(2.5)  # past the old interval and stall_seconds, within the new interval
        assert notify_socket.pings_since(reloaded + 2) > 0
    finally:
        logged = stop(daemon)
    assert "no progress for" not in logged
    statuses = [m for _, m in notify_socket.messages if m.startswith("STATUS=")]
    assert "(config reloaded" in statuses[-1] and statuses[-1].startswith("STATUS=last pass")


def test_a_reload_whose_app_cannot_be_built_keeps_the_old_one(
    google_sim, zoom_sim, config, tmp_path
):
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=0.3)
    path = tmp_path / "config.toml"
    try:
        wait_for(lambda: google_sim.count("events.list") >= 1)
        elsewhere = config.sync.database_url.replace("syncd.db", "no-such-folder/syncd.db")
        path.write_text(daemon_toml(config, 0.3).replace(config.sync.database_url, elsewhere))
        daemon.send_signal(signal.SIGHUP)
        google_sim.put_event(CALENDAR, {"summary": "Still synced #zoom", **when()})
        wait_for(lambda: len(zoom_sim.meetings()) == 1)  # the old config still in force
        assert daemon.poll() is None
    finally:
        logged = stop(daemon)
    refused = [line for line in logged.splitlines() if "refused" in line]
    assert len(refused) == 1, logged
    assert f"reload of {path} refused, the old config stays in force: " in refused[0]


def test_an_invalid_config_on_sighup_keeps_the_old_one(google_sim, zoom_sim, config, tmp_path):
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=0.3)
    path = tmp_path / "config.toml"
    try:
        wait_for(lambda: google_sim.count("events.list") >= 1)
        path.write_text(daemon_toml(config, 0.3, "park_after = 0\nno_such_option = 1"))
        daemon.send_signal(signal.SIGHUP)
        google_sim.put_event(CALENDAR, {"summary": "Still synced #zoom", **when()})
        wait_for(lambda: len(zoom_sim.meetings()) == 1)  # the old config still in force
        assert daemon.poll() is None
    finally:
        logged = stop(daemon)
    refused = [line for line in logged.splitlines() if "refused" in line]
    assert len(refused) == 1, logged
    assert f"{path}: sync.no_such_option: unknown option" in refused[0]
    assert "sync.park_after" in refused[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(listen: str) -> dict[tuple[str, tuple], float]:
    """Every sample /metrics shows, by name and labels."""
    text = httpx.get(f"http://{listen}/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_what_the_simulators_saw(google_sim, zoom_sim, config, tmp_path):
    for i in range(3):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i)})
    google_sim.put_event(CALENDAR, {"summary": "No tag", **when()})
    zoom_sim.inject("meetings.list", status=503)  # answered once with an error, then retried
    listen = f"127.0.0.1:{free_port()}"
    more = f'[metrics]\nlisten = "{listen}"\n'
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=60, more=more)
    try:
        wait_for(lambda: _passes(listen) >= 1)
        seen = scrape(listen)
    finally:
        stop(daemon)

    for api, sim in (("google", google_sim), ("zoom", zoom_sim)):
        answered = Counter(str(call.status) for call in sim.calls())
        counted = {
            dict(labels)["status"]: value
            for (name, labels), value in seen.items()
            if name == "syncd_api_requests_total" and dict(labels)["api"] == api
        }
        assert counted == answered, api
    assert seen["syncd_api_requests_total", (("api", "zoom"), ("status", "503"))] == 1
    actions = {
        dict(labels)["action"]: value
        for (name, labels), value in seen.items()
        if name == "syncd_actions_total"
    }
    assert actions["created"] == 3 and actions["linked"] == 3 and actions["deleted"] == 0
    assert seen["syncd_passes_total", (("result", "ok"),)] == 1
    assert seen["syncd_events_queued", ()] == 0 and seen["syncd_events_parked", ()] == 0
    assert seen["syncd_last_success_timestamp_seconds", (("calendar", CALENDAR),)] > 0
    assert seen["syncd_pass_duration_seconds_count", ()] == 1


def _passes(listen: str) -> float:
    try:
        samples = scrape(listen)
    except httpx.HTTPError:
        return 0
    return sum(v for (name, _), v in samples.items() if name == "syncd_passes_total")


def test_metrics_on_a_port_in_use_is_one_line_and_exit_2(google_sim, zoom_sim, config, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        more = f'[metrics]\nlisten = "{listen}"\n'
        daemon = start_daemon(config, zoom_sim, tmp_path, interval=60, more=more)
        _, stderr = daemon.communicate(timeout=30)
    print(stderr)  # scanned for secrets
    assert daemon.returncode == 2
    assert stderr.strip().splitlines() == [
        f"syncd: metrics.listen: cannot listen on {listen}: [Errno 98] Address already in use"
    ]
