"""systemd's watchdog: `WATCHDOG=1` from a timer of its own, for as long as the daemon shows
it is alive. A pass may outlast `WatchdogSec=`, so the pings do not wait for passes; they
stop when nothing has moved for `stall_seconds` (no pass begun or ended, no event handled),
and systemd then restarts syncd."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def ping_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Half of `$WATCHDOG_USEC`, in seconds, when systemd watches this very process."""
    environ = os.environ if environ is None else environ
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2 / 1_000_000


class Heartbeat:
    """When the daemon last showed it is alive, and when it is due to again."""

    def __init__(self, stall_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stall_seconds = stall_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._due = clock() + stall_seconds

    def beat(self, next_in: float = 0.0) -> None:
        """Alive now; the next sign is due within `next_in` (the wait for the next pass),
        then `stall_seconds` more."""
        with self._lock:
            self._due = self._clock() + next_in + self.stall_seconds

    def stalled_for(self) -> float:
        """Seconds past the time a sign of life was due (0 while alive)."""
        with self._lock:
            return max(0.0, self._clock() - self._due)


class Watchdog:
    """Pings systemd every `interval` seconds while the heartbeat is alive."""

    def __init__(
        self,
        notify: Callable[[str], None],
        heartbeat: Heartbeat,
        interval: float,
        stopping: threading.Event,
    ) -> None:
        self._notify = notify
        self._heartbeat = heartbeat
        self._interval = interval
        self._stopping = stopping
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        warned = False
        while not self._stopping.wait(self._interval):
            late = self._heartbeat.stalled_for()
            if not late:
                self._notify("WATCHDOG=1")
                warned = False
            elif not warned:
                log.error(
                    "syncd has made no progress for %.0f s (stall_seconds): no more watchdog "
                    "pings, systemd will restart it",
                    self._heartbeat.stall_seconds + late,
                )
                warned = True
