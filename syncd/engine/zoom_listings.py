"""Each host's meetings that syncd made, by reference, for a journal recovered from Zoom
(docs/design.md, "A lost database"): listed at most once a pass and shared by every
calendar's pass. A first pass over many calendars hosted by one user lists that user once,
not once per calendar, whose pages would grow with the meetings the calendars before it made.

Hosts are listed in parallel: a host's listing is made under that host's own lock (a second
worker that wants it waits for the first), never under the lock of them all, so that the
workers together list as fast as Zoom's rate allows.

A recovery's sweep (looking for meetings a lost create made, under every host the config may
use) needs listings made after the recovery window, not this pass's: those are kept from pass
to pass, and each pass makes at most `sweep_per_pass` new ones, so that over a thousand hosts
the sweep is spread over a few passes instead of making one pass outlast its interval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime

Listing = dict[str, list[int]]
"""Meeting ids by the reference in their agenda."""


class HostListings:
    def __init__(self, sweep_per_pass: int = 1_000_000) -> None:
        self._by_host: dict[str, Listing] = {}
        self._hosts_by_reference: dict[str, list[str]] = {}
        self._listing: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._sweep_per_pass = sweep_per_pass
        self._sweep_left = sweep_per_pass
        self._for_sweep: dict[str, tuple[datetime, Listing]] = {}
        self._sweep_listing: dict[str, threading.Lock] = {}

    def new_pass(self) -> None:
        with self._lock:
            self._by_host.clear()
            self._hosts_by_reference.clear()
            self._listing.clear()
            self._sweep_left = self._sweep_per_pass

    def for_sweep(
        self,
        host: str,
        listed_after: datetime,
        now: Callable[[], datetime],
        list_host: Callable[[str], Listing],
        *,
        budgeted: bool = True,
    ) -> Listing | None:
        """The host's listing made at or after `listed_after`, kept from earlier passes or
        made now (when `budgeted`, only while this pass may still make one; else None)."""
        with self._lock:
            kept = self._for_sweep.get(host)
            if kept is not None and kept[0] >= listed_after:
                return kept[1]
            host_lock = self._sweep_listing.setdefault(host, threading.Lock())
        with host_lock:
            with self._lock:
                kept = self._for_sweep.get(host)
                if kept is not None and kept[0] >= listed_after:
                    return kept[1]
                if budgeted and self._sweep_left <= 0:
                    return None
                self._sweep_left -= 1
            began = now()  # a meeting that reached Zoom before this is in the listing
            listing = list_host(host)
            with self._lock:
                self._for_sweep[host] = (began, listing)
            return listing

    def of(self, host: str, list_host: Callable[[str], Listing]) -> Listing:
        """The host's listing, made by `list_host` the first time this pass asks."""
        with self._lock:
            if host in self._by_host:
                return self._by_host[host]
            host_lock = self._listing.setdefault(host, threading.Lock())
        with host_lock:
            with self._lock:
                if host in self._by_host:
                    return self._by_host[host]
            listing = list_host(host)
            with self._lock:
                self._by_host[host] = listing
                for reference in listing:
                    self._hosts_by_reference.setdefault(reference, []).append(host)
            return listing

    def not_listed(self, hosts: Iterable[str]) -> list[str]:
        """Those of `hosts` not listed yet this pass."""
        with self._lock:
            return [host for host in hosts if host not in self._by_host]

    def hosts_with(self, reference: str) -> list[str]:
        """The hosts listed this pass that have a meeting with `reference`."""
        with self._lock:
            return list(self._hosts_by_reference.get(reference, ()))

    def ids(self, host: str, reference: str) -> list[int]:
        with self._lock:
            return self._by_host[host][reference]
