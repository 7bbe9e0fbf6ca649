"""Zoom's rate limits as the simulator applies them.

Two kinds, as Zoom documents them (developers.zoom.us, "Rate limits"): per second per rate-limit
category of the account (Light, Medium, Heavy; the rates depend on the plan: `PRO`, `BUSINESS`),
and 100 meeting creates/updates per day per HOST user, reset at 00:00 UTC. Both answer 429
with `{"code": 429, "message": ...}` and the headers X-RateLimit-Category, X-RateLimit-Type
("QPS" or "Daily-limit"), X-RateLimit-Limit, X-RateLimit-Remaining and Retry-After (a UTC
date-time, e.g. 2020-05-31T00:00:00Z).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from syncd.core.zoom_schedule import UTC_FORMAT
from syncd.sim.server import ApiError, TokenBucket

DAILY_LIMIT_MESSAGE = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
LIGHT, MEDIUM, HEAVY = "Light", "Medium", "Heavy"  # Zoom's rate-limit categories
PRO: Mapping[str, float] = {LIGHT: 30.0, MEDIUM: 20.0, HEAVY: 10.0}
"""A Pro account's requests a second by category."""
BUSINESS: Mapping[str, float] = {LIGHT: 80.0, MEDIUM: 60.0, HEAVY: 40.0}
"""A Business account's (and Business Plus, Enterprise) requests a second by category."""

PerSecond = float | Mapping[str, float] | None
"""One rate for every category, a rate per category (a category not named: unlimited), or
None: no per-second limit."""


class RateLimits:
    """Per-category token buckets (real time) and per-host daily write counts (sim time)."""

    def __init__(self, daily_limit: int, per_second: PerSecond) -> None:
        self.daily_limit = daily_limit
        self.per_second = per_second
        """May be replaced while the simulator runs (a number or a mapping, as above)."""
        self._buckets: dict[str, TokenBucket] = {}
        self._writes: Counter[tuple[str, str]] = Counter()  # (host id, UTC day) -> writes

    def take(self, category: str, now: datetime) -> None:
        """Spend one request of a category's per-second allowance, or ApiError 429."""
        rate = self.rate(category)
        if rate is None:
            return
        bucket = self._buckets.get(category)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[category] = TokenBucket(rate)
        wait = bucket.take()
        if wait is not None:
            retry = now + timedelta(seconds=wait)
            raise _limited(QPS_MESSAGE, category, "QPS", math.ceil(rate), retry)

    def rate(self, category: str) -> float | None:
        """The category's requests a second; None: unlimited."""
        if self.per_second is None or isinstance(self.per_second, int | float):
            return self.per_second
        return self.per_second.get(category)

    def check_daily(self, host_id: str, category: str, now: datetime) -> None:
        """ApiError 429 if the host has used up today's meeting creates and updates."""
        if self._writes[host_id, _day(now)] >= self.daily_limit:
            message = DAILY_LIMIT_MESSAGE.format(limit=self.daily_limit)
            midnight = datetime.fromisoformat(_day(now)).replace(tzinfo=UTC) + timedelta(days=1)
            raise _limited(message, category, "Daily-limit", self.daily_limit, midnight)

    def count_write(self, host_id: str, now: datetime) -> None:
        self._writes[host_id, _day(now)] += 1


def _day(now: datetime) -> str:
    return now.astimezone(UTC).date().isoformat()


def _limited(message: str, category: str, kind: str, limit: int, retry: datetime) -> ApiError:
    retry_at = datetime.fromtimestamp(math.ceil(retry.timestamp()), UTC)
    headers = {
        "X-RateLimit-Category": category,
        "X-RateLimit-Type": kind,
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "Retry-After": retry_at.strftime(UTC_FORMAT),
    }
    return ApiError(429, {"code": 429, "message": message}, headers)
