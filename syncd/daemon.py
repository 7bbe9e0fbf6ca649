"""`syncd run`: one pass every interval on an APScheduler loop, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType

import sdnotify
from apscheduler.schedulers.background import BackgroundScheduler

from syncd.app import App
from syncd.store import StoreError

log = logging.getLogger(__name__)


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self._stopping = threading.Event()
        self._notifier = sdnotify.SystemdNotifier()
        interval = app.config.sync.interval_seconds
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            self._pass,
            "interval",
            seconds=interval,
            id="sync-pass",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(interval)),
        )

    def _pass(self) -> None:
        started = time.monotonic()
        try:
            report = self.app.run_pass()
        except StoreError as exc:
            log.error("sync pass failed, will try again next pass: %s", exc)
            return
        except Exception:  # the loop must outlive any one pass; a bug deserves its traceback
            log.exception("sync pass failed")
            return
        took, interval = time.monotonic() - started, self.app.config.sync.interval_seconds
        if took > interval:
            log.info(
                "the pass took %.0f s, longer than interval_seconds (%g s): the passes that "
                "fell due meanwhile were skipped, not stacked",
                took,
                interval,
            )
        failures = sum(len(c.failures) for c in report.calendars)
        errors = sum(1 for c in report.calendars if c.error)
        self._notifier.notify(
            f"STATUS=last pass {datetime.now(UTC):%H:%M:%S} UTC: "
            f"{failures} events queued for retry, {errors} calendars failed"
        )

    def request_stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        log.info("received %s, stopping after the event in hand", signal.Signals(signum).name)
        self._stopping.set()

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.request_stop)
        self._scheduler.start()
        log.info(
            "syncd running: %d calendar(s) every %g s",
            len(self.app.config.google.calendars),
            self.app.config.sync.interval_seconds,
        )
        self._notifier.notify("READY=1")
        while not self._stopping.wait(1.0):
            pass
        self._notifier.notify("STOPPING=1")
        self.app.engine.request_stop()
        self._scheduler.shutdown(wait=True)
        log.info("syncd stopped")
        return 0
