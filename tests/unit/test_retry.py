from datetime import UTC, datetime

import pytest

from syncd.adapters.retry import RetryPolicy, call_with_retries, parse_retry_after
from syncd.core.errors import TransientError

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("2026-11-23T12:00:30Z", 30.0),  # Zoom: an ISO date-time
        ("Mon, 23 Nov 2026 12:01:00 GMT", 60.0),  # HTTP: an HTTP-date
        ("2026-11-23T11:00:00Z", 0.0),  # already past
        (None, None),
        ("soon", None),
    ],
)
def test_retry_after_in_every_form_servers_use(header, seconds):
    assert parse_retry_after(header, NOW) == seconds


def test_a_wait_longer_than_the_policy_allows_is_not_waited_for():
    calls = []

    def rate_limited() -> None:
        calls.append(1)
        raise TransientError("come back tomorrow", retry_after=86_400)

    with pytest.raises(TransientError):
        call_with_retries(rate_limited, RetryPolicy(attempts=3, max_wait_seconds=30))
    assert len(calls) == 1


def test_a_request_that_may_have_taken_effect_is_not_repeated():
    calls = []

    def uncertain() -> None:
        calls.append(1)
        raise TransientError("timed out after sending", retry_safe=False)

    with pytest.raises(TransientError):
        call_with_retries(uncertain, RetryPolicy(attempts=3, base_seconds=0.01))
    assert len(calls) == 1
