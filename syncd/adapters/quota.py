"""Google's quotas as Google measures them: requests per identity and per project over a
sliding 60-second window, shared by every worker thread of one syncd.

Google allows a burst up to the budget and refuses the request after it (403
`userRateLimitExceeded` / `rateLimitExceeded`) until the oldest request of the window is a
minute old. So a request waits only when the window is full, never to pace evenly: a first
pass of 600 requests under one identity takes as long as they take, not a minute.

Google counts a request when it arrives, at some moment between syncd sending it and the
answer coming back. So a request counts here from the moment it is sent until a window after
its answer came: always at least as long as Google counts it, whatever the latency, and
never more than a request's latency longer."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

IN_FLIGHT_POLL = 0.05
"""How often a request waits to look again when the window is full of requests in flight."""


class _Window:
    """One budget's requests: those in flight, and when the answered ones were answered."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.answered: deque[float] = deque()

    def wait(self, now: float, window: float, budget: int) -> float:
        while self.answered and self.answered[0] <= now - window:
            self.answered.popleft()
        over = self.in_flight + len(self.answered) - budget + 1
        if over <= 0:
            return 0.0
        if over > len(self.answered):
            return IN_FLIGHT_POLL
        return self.answered[over - 1] + window - now


class SlidingWindowQuota:
    def __init__(
        self,
        per_identity: float,
        per_project: float,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._budgets = (per_identity, per_project)
        self._replicas = 1
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._identities: dict[str, _Window] = {}
        self._project = _Window()
        self._paused_until: dict[str | None, float] = {}
        """When requests may go again after a refusal, by identity; None: the project's."""
        self._lock = threading.Lock()

    @contextmanager
    def request(self, identity: str) -> Iterator[None]:
        """Wait until a request of `identity` fits its window and the project's, and count it
        while it is sent and for a window after its answer."""
        windows = self._take(identity)
        try:
            yield
        finally:
            with self._lock:
                answered = self._clock()
                for window in windows:
                    window.in_flight -= 1
                    window.answered.append(answered)

    def share(self, replicas: int) -> None:
        """`replicas` syncd processes spend the same budgets (they share one database): this
        one keeps to its share of each."""
        with self._lock:
            self._replicas = max(1, replicas)

    def _budget(self, of_project: bool) -> int:
        return max(1, math.floor(self._budgets[of_project] / self._replicas))

    def pause(self, seconds: float, identity: str | None = None) -> None:
        """Google said "too many" after all: `identity`'s requests (every identity's, for the
        project) wait `seconds`."""
        with self._lock:
            until = self._clock() + seconds
            self._paused_until[identity] = max(self._paused_until.get(identity, 0.0), until)

    def _take(self, identity: str) -> tuple[_Window, _Window]:
        while True:
            with self._lock:
                own = self._identities.setdefault(identity, _Window())
                now = self._clock()
                wait = max(
                    self._paused_until.get(identity, 0.0) - now,
                    self._paused_until.get(None, 0.0) - now,
                    own.wait(now, self._window, self._budget(of_project=False)),
                    self._project.wait(now, self._window, self._budget(of_project=True)),
                )
                if wait <= 0:
                    own.in_flight += 1
                    self._project.in_flight += 1
                    return own, self._project
            self._sleep(wait)
