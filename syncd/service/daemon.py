"""`syncd run`: one pass every interval on an APScheduler loop, until SIGTERM or SIGINT;
SIGHUP re-reads the config between passes; systemd hears READY, STATUS, WATCHDOG and
STOPPING."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import sdnotify
from apscheduler.schedulers.background import BackgroundScheduler

from syncd.app import App
from syncd.config import Config, ConfigError, load_config
from syncd.core.errors import GoogleError, StoreError
from syncd.engine.engine import ProgressCallback
from syncd.engine.report import PassReport
from syncd.service import metrics
from syncd.service.logs import setup_logging
from syncd.service.watchdog import Heartbeat, Watchdog, ping_interval

log = logging.getLogger(__name__)

JOB = "sync-pass"

AppBuilder = Callable[[Config, ProgressCallback], App]
"""Builds the app a config describes (the credentials read again), reporting progress."""


class Daemon:
    def __init__(self, config_path: Path, config: Config, build: AppBuilder) -> None:
        self._config_path = config_path
        self._build = build
        self._stopping = threading.Event()
        self._reload_requested = threading.Event()
        self._pass_lock = threading.Lock()
        """Held for a whole pass: a reload waits for the pass in hand to end."""
        self._notifier = sdnotify.SystemdNotifier()
        self._pass_status = "no pass yet"
        self.heartbeat = Heartbeat(config.sync.stall_seconds)
        self.app = build(config, self._progress)
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            self._pass,
            "interval",
            seconds=config.sync.interval_seconds,
            id=JOB,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(config.sync.interval_seconds)),
        )

    @property
    def config(self) -> Config:
        return self.app.config

    def _progress(self, _calendar_id: str, _events_seen: int) -> None:
        self.heartbeat.beat()

    def _pass(self) -> None:
        with self._pass_lock:
            if self._stopping.is_set():
                return
            self.heartbeat.beat()
            started = time.monotonic()
            report = self._run_pass()
            interval = self.config.sync.interval_seconds
            self.heartbeat.beat(next_in=interval)
        took = time.monotonic() - started
        if report is None:
            metrics.record_failed_pass(took)
            self._tell_status(f"last pass {datetime.now(UTC):%H:%M:%S} UTC failed: see the log")
            return
        try:
            metrics.record_pass(report, took, *self.app.store.count_work_left())
        except StoreError as exc:
            log.error("cannot count the events with work left: %s", exc)
        if took > interval:
            log.info(
                "the pass took %.0f s, longer than interval_seconds (%g s): the passes that "
                "fell due meanwhile were skipped, not stacked",
                took,
                interval,
            )
        self._tell_status(_status_line(report))

    def _tell_status(self, line: str) -> None:
        self._pass_status = line
        self._notifier.notify(f"STATUS={line}")

    def _run_pass(self) -> PassReport | None:
        try:
            return self.app.run_pass()
        except (StoreError, GoogleError) as exc:
            log.error("sync pass failed, will try again next pass: %s", exc)
        except Exception:  # the loop must outlive any one pass; a bug deserves its traceback
            log.exception("sync pass failed")
        return None

    # -- signals -----------------------------------------------------------------------------
    def request_stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        log.info("received %s, stopping after the event in hand", signal.Signals(signum).name)
        self._stopping.set()
        self.app.engine.request_stop()

    def request_reload(self, _signum: int = signal.SIGHUP, _frame: FrameType | None = None) -> None:
        self._reload_requested.set()

    def _reload(self) -> None:
        """Read the config again and build the app it describes, between passes. A config
        that cannot be used leaves the old one in force."""
        self._reload_requested.clear()
        try:
            config = load_config(self._config_path)
        except ConfigError as exc:
            self._refuse_reload("; ".join(exc.problems))
            return
        with self._pass_lock:
            if self._stopping.is_set():
                return
            try:
                app = self._build(config, self._progress)
            except ConfigError as exc:
                self._refuse_reload("; ".join(exc.problems))
                return
            except Exception as exc:  # a reload must never end the daemon
                self._refuse_reload(f"{type(exc).__name__}: {exc}")
                return
            old, self.app = self.app, app
            old.close()
            setup_logging(config.sync.log_level, config.sync.log_format)
            self.heartbeat.stall_seconds = config.sync.stall_seconds
            interval = config.sync.interval_seconds
            if interval != old.config.sync.interval_seconds:
                self._scheduler.reschedule_job(JOB, trigger="interval", seconds=interval)
                self.heartbeat.beat(next_in=interval)  # the next pass is that far off now
            removed = set(old.config.google.calendars) - set(config.google.calendars)
            metrics.forget_calendars(removed)
        log.info("config %s reloaded", self._config_path)
        reloaded = f"config reloaded {datetime.now(UTC):%H:%M:%S} UTC"
        self._notifier.notify(f"STATUS={self._pass_status} ({reloaded})")

    def _refuse_reload(self, problem: str) -> None:
        log.error(
            "reload of %s refused, the old config stays in force: %s", self._config_path, problem
        )

    # -- the loop ----------------------------------------------------------------------------
    def serve_metrics(self) -> None:
        """Serve /metrics where `[metrics] listen` says (a reload does not move it)."""
        listen = self.config.metrics.listen
        if not listen:
            return
        try:
            metrics.serve(listen)
        except OSError as exc:
            raise ConfigError([f"metrics.listen: cannot listen on {listen}: {exc}"]) from None
        log.info("serving Prometheus metrics on http://%s/metrics", listen)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGHUP, self.request_reload)
        self._scheduler.start()
        interval = ping_interval()
        if interval is not None:
            notify = self._notifier.notify
            Watchdog(notify, self.heartbeat, interval, self._stopping).start()
        log.info(
            "syncd running: %d calendar(s)%s every %g s",
            len(self.config.google.calendars),
            " and the directory's users'" if self.config.google.directory else "",
            self.config.sync.interval_seconds,
        )
        self._notifier.notify("READY=1")
        while not self._stopping.wait(0.2):
            if self._reload_requested.is_set():
                self._reload()
        self._notifier.notify("STOPPING=1")
        self._scheduler.shutdown(wait=True)
        self.app.close()
        log.info("syncd stopped")
        return 0


def _status_line(report: PassReport) -> str:
    """What `systemctl status syncd` shows: the last pass, in a line."""
    calendars = report.calendars
    failures = sum(len(c.failures) for c in calendars)
    parked = sum(c.parked for c in calendars)
    errors = sum(1 for c in calendars if c.error)
    created = sum(c.meetings_created for c in calendars)
    updated = sum(c.meetings_updated for c in calendars)
    deleted = sum(c.meetings_deleted for c in calendars)
    return (
        f"last pass {datetime.now(UTC):%H:%M:%S} UTC: {created} created, {updated} updated, "
        f"{deleted} deleted; {failures} events queued for retry, {parked} parked, "
        f"{errors} calendars failed"
    )
