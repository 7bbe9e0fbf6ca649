"""Google's request quotas as Google applies them: a budget per identity (the user a token acts
as) and one for the whole project, each over a sliding window.

A request is admitted when, counting it, the identity has made no more than its budget in the
last `window` seconds, and the project no more than its own; otherwise it is refused with a
403 (`userRateLimitExceeded` for the identity's, `rateLimitExceeded` for the project's) and
does not count. So a burst up to the budget goes through at once and the next request waits
until the oldest of the window is `window` seconds old. Admitted requests are counted even
without a budget, so a benchmark can show the most any window held. Google counts each API
(Calendar, the Admin SDK) on its own: the simulator keeps one of these per API.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from syncd.sim.google_wire import GoogleError


@dataclass(frozen=True)
class Budgets:
    """Requests allowed per window (None: unlimited), and the window in seconds."""

    per_identity: float | None
    per_project: float | None
    window: float

    @classmethod
    def per_minute(
        cls, per_identity: float | None, per_project: float | None, window: float
    ) -> Budgets:
        """Budgets given per minute, as Google states them, scaled to a `window`-second one."""

        def scaled(per_minute: float | None) -> float | None:
            return None if per_minute is None else max(1, math.floor(per_minute * window / 60))

        return cls(scaled(per_identity), scaled(per_project), window)


class SlidingWindowQuota:
    """The requests each identity and the project made in the last window, and the refusals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._admitted: dict[str, deque[float]] = {}
        self._project: deque[float] = deque()
        self._peaks: dict[str, int] = {}
        self._project_peak = 0
        self._refusals = 0

    def admit(self, identity: str, now: float, budgets: Budgets) -> None:
        """Count a request of `identity` at `now`, or raise Google's 403 (not counting it)."""
        with self._lock:
            own = self._admitted.setdefault(identity, deque())
            for times in (own, self._project):
                while times and times[0] <= now - budgets.window:
                    times.popleft()
            if budgets.per_identity is not None and len(own) >= budgets.per_identity:
                self._refusals += 1
                raise GoogleError(
                    403, "User Rate Limit Exceeded", "userRateLimitExceeded", domain="usageLimits"
                )
            if budgets.per_project is not None and len(self._project) >= budgets.per_project:
                self._refusals += 1
                raise GoogleError(
                    403, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits"
                )
            own.append(now)
            self._project.append(now)
            self._peaks[identity] = max(self._peaks.get(identity, 0), len(own))
            self._project_peak = max(self._project_peak, len(self._project))

    def refusals(self) -> int:
        with self._lock:
            return self._refusals

    def peak(self, identity: str | None = None) -> int:
        """The most requests `identity` (None: the project) had admitted in one window."""
        with self._lock:
            return self._project_peak if identity is None else self._peaks.get(identity, 0)

    def peaks(self) -> dict[str, int]:
        with self._lock:
            return dict(self._peaks)
