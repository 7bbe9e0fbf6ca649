"""Each host's meetings that syncd made, by reference, for a journal recovered from Zoom
(docs/design.md, "A lost database"): listed at most once a pass and shared by every
calendar's pass. A first pass over many calendars hosted by one user lists that user once,
not once per calendar, whose pages would grow with the meetings the calendars before it made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Listing = dict[str, list[int]]
"""Meeting ids by the reference in their agenda."""


class HostListings:
    def __init__(self) -> None:
        self._by_host: dict[str, Listing] = {}
        self._lock = threading.Lock()

    def new_pass(self) -> None:
        with self._lock:
            self._by_host.clear()

    def of(self, host: str, list_host: Callable[[str], Listing]) -> Listing:
        """The host's listing, made by `list_host` the first time this pass asks."""
        with self._lock:
            if host not in self._by_host:
                self._by_host[host] = list_host(host)
            return self._by_host[host]

    def hosts_with(self, reference: str) -> list[str]:
        """The hosts listed this pass that have a meeting with `reference`."""
        with self._lock:
            return [host for host, listing in self._by_host.items() if reference in listing]

    def ids(self, host: str, reference: str) -> list[int]:
        with self._lock:
            return self._by_host[host][reference]
