"""One syncd at a time per calendar: a lease in the database, renewed on a timer of its own.

The timer keeps the lease alive while a pass waits on a slow request; a syncd that dies stops
renewing, and another can take the calendar over once the lease has run out (at once, when
the dead one ran on the same machine). A holder that cannot prove it still holds the lease,
because its renewals failed or it was paused, stops before its next request.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from functools import cache
from pathlib import Path
from types import TracebackType

from syncd.core.errors import LeaseLost, StoreError
from syncd.core.ports import LeasePort

log = logging.getLogger(__name__)


@cache
def _machine() -> str:
    """This boot of this machine and this pid namespace: where a pid means one process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return "unknown"
    return f"{boot}.{namespace}"


def owner_name() -> str:
    """Who holds a lease: host:pid for an administrator, then what makes it unique."""
    return f"{socket.gethostname()}:{os.getpid()}:{_machine()}:{uuid.uuid4().hex[:8]}"


def is_dead_local_owner(owner: str) -> bool:
    """The owner was a process of this machine, boot and pid namespace that no longer runs.

    A reused pid looks alive, which only means waiting for the lease to run out."""
    parts = owner.split(":")
    if len(parts) != 4 or _machine() == "unknown":
        return False
    host, pid, machine, _ = parts
    if host != socket.gethostname() or machine != _machine() or not pid.isdecimal():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class CalendarBusy(Exception):
    """Another syncd holds the calendar's lease."""


class CalendarLease:
    def __init__(self, store: LeasePort, calendar_id: str, owner: str, seconds: float) -> None:
        self._store = store
        self.calendar_id = calendar_id
        self.owner = owner
        self._ttl = timedelta(seconds=seconds)
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._valid_until = 0.0
        self._renewer = threading.Thread(
            target=self._renew_until_stopped, name=f"lease {calendar_id}", daemon=True
        )

    def __enter__(self) -> CalendarLease:
        started = time.monotonic()
        if not self._acquire():
            raise CalendarBusy(self._busy_message())
        self._valid_until = started + self._ttl.total_seconds()
        self._renewer.start()
        return self

    def _busy_message(self) -> str:
        """Who holds the lease, read after the failed attempt: by then the holder may have
        released it (a race lost to a syncd that just finished), which is no error either."""
        holder = self._store.calendar(self.calendar_id)
        if holder.lease_owner is None or holder.lease_expires_at is None:
            return (
                f"calendar {self.calendar_id!r} was in work by another syncd a moment ago "
                "(the next pass takes it)"
            )
        return (
            f"calendar {self.calendar_id!r} is in work by {holder.lease_owner} "
            f"(lease until {holder.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC)"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._renewer.join()
        if not self._lost.is_set():
            self._store.release_lease(self.calendar_id, self.owner)

    def check(self) -> None:
        """Raise LeaseLost unless the lease is surely still ours (call before each request)."""
        if self._lost.is_set() or time.monotonic() >= self._valid_until:
            self._lost.set()
            raise LeaseLost(f"calendar {self.calendar_id!r}: lease lost or run out")

    def _acquire(self) -> bool:
        now = self._store.database_now()
        if self._store.acquire_lease(self.calendar_id, self.owner, now + self._ttl, now):
            return True
        holder = self._store.lease_owner(self.calendar_id)
        if holder is None or not is_dead_local_owner(holder):
            return False
        log.info(
            "calendar %s: taking over from %s, which is no longer running", self.calendar_id, holder
        )
        return self._store.take_over_lease(self.calendar_id, holder, self.owner, now + self._ttl)

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self._ttl.total_seconds() / 3):
            started = time.monotonic()
            try:
                until = self._store.database_now() + self._ttl
                renewed = self._store.renew_lease(self.calendar_id, self.owner, until)
            except StoreError as exc:
                log.warning("calendar %s: cannot renew the lease: %s", self.calendar_id, exc)
                continue
            if not renewed:
                log.error("calendar %s: lease lost to another syncd", self.calendar_id)
                self._lost.set()
                return
            self._valid_until = started + self._ttl.total_seconds()
