"""Requests per second, shared by every worker thread of one syncd.

Zoom limits each account per second by category (docs: "Rate limits"; a Pro account may send
30 Light and 20 Medium requests a second): more workers must not mean more 429s. Requests of a
category are spaced 1/rate apart, whichever worker sends them; a 429 pauses every worker for
the time Zoom asks, not only the one that got it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping


class RateLimiter:
    def __init__(
        self,
        per_second: Mapping[str, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._per_second = dict(per_second)
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        """When the next request of a category may go."""
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def wait(self, category: str) -> None:
        """Block until a request of `category` may be sent, and take its turn."""
        with self._lock:
            now = self._clock()
            start = max(now, self._paused_until, self._next.get(category, now))
            rate = self._per_second.get(category)
            if rate:
                self._next[category] = start + 1 / rate
        if start > now:
            self._sleep(start - now)

    def pause(self, seconds: float) -> None:
        """The server said "too many": no request of any category goes for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
