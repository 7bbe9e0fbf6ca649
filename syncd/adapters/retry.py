"""Retrying transient API failures, honouring the server's Retry-After."""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from syncd.core.errors import TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_seconds: float = 0.5
    max_wait_seconds: float = 30.0
    """A server asking for a longer pause than this is not waited for in-process."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait, from delta-seconds, an HTTP date or an ISO 8601 date-time."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    now = now or datetime.now(UTC)
    when: datetime | None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy) -> T:
    """Call `fn`, retrying `TransientError`s that ask for no more than the policy allows."""
    backoff = wait_random_exponential(multiplier=policy.base_seconds, max=policy.max_wait_seconds)

    def worth_retrying(exc: BaseException) -> bool:
        return (
            isinstance(exc, TransientError)
            and exc.retry_safe
            and (exc.retry_after is None or exc.retry_after <= policy.max_wait_seconds)
        )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return exc.retry_after
        return backoff(state)

    retrying = Retrying(
        retry=retry_if_exception(worth_retrying),
        wait=wait,
        stop=stop_after_attempt(policy.attempts),
        reraise=True,
    )
    return retrying(fn)
