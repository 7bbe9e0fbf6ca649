"""One syncd at a time per calendar: a lease in the database, renewed on a timer of its own.

The timer keeps the lease alive while a pass waits on a slow request; a daemon that dies stops
renewing, and another can take the calendar over once the lease has run out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import TracebackType

from syncd.store import Store, StoreError

log = logging.getLogger(__name__)


def owner_name() -> str:
    """Who holds a lease: readable for an administrator, unique per process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_dead_local_owner(owner: str) -> bool:
    """The owner was a process on this machine that no longer runs (killed, crashed).

    A reused pid looks alive, which only means waiting for the lease to run out."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdecimal():
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
    def __init__(self, store: Store, calendar_id: str, owner: str, seconds: float) -> None:
        self._store = store
        self._calendar_id = calendar_id
        self._owner = owner
        self._ttl = timedelta(seconds=seconds)
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._renewer = threading.Thread(
            target=self._renew_until_stopped, name=f"lease {calendar_id}", daemon=True
        )

    def __enter__(self) -> CalendarLease:
        if not self._acquire():
            raise CalendarBusy(f"calendar {self._calendar_id!r} is being synced by another syncd")
        self._renewer.start()
        return self

    def _acquire(self) -> bool:
        now = datetime.now(UTC)
        if self._store.acquire_lease(self._calendar_id, self._owner, now + self._ttl, now):
            return True
        holder = self._store.lease_owner(self._calendar_id)
        if holder is None or not is_dead_local_owner(holder):
            return False
        log.info(
            "calendar %s: taking over from %s, which is no longer running",
            self._calendar_id,
            holder,
        )
        return self._store.take_over_lease(self._calendar_id, holder, self._owner, now + self._ttl)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._renewer.join()
        if not self.lost.is_set():
            self._store.release_lease(self._calendar_id, self._owner)

    def _renew_until_stopped(self) -> None:
        interval = self._ttl.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                renewed = self._store.renew_lease(
                    self._calendar_id, self._owner, datetime.now(UTC) + self._ttl
                )
            except StoreError as exc:
                log.warning("calendar %s: cannot renew the lease: %s", self._calendar_id, exc)
                continue
            if not renewed:
                log.error("calendar %s: lease lost to another syncd", self._calendar_id)
                self.lost.set()
                return
