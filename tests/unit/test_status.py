from datetime import UTC, datetime

from syncd.status import render

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def report(lease_until: str, queued: list[dict]) -> dict:
    return {
        "calendars": [
            {
                "id": "primary",
                "last_success_at": None,
                "last_error": None,
                "in_work_by": "host:1:m:n",
                "lease_expires_at": lease_until,
            }
        ],
        "links": {"linked": 3},
        "meetings": [],
        "queued": queued,
    }


def test_an_expired_lease_says_so():
    assert "(expired)" in render(report("2026-11-23T11:00:00+00:00", []), NOW)
    assert "(expired)" not in render(report("2026-11-23T12:01:00+00:00", []), NOW)


def test_work_in_flight_is_not_shown_as_a_failure():
    item = {
        "calendar_id": "primary",
        "event_id": "e1",
        "state": "creating",
        "attempts": 0,
        "next_attempt_at": "2026-11-23T11:59:00+00:00",
        "last_error": None,
        "meeting_id": None,
    }
    text = render(report("2026-11-23T12:01:00+00:00", [item]), NOW)
    assert "primary/e1: creating; a step was under way or cut short" in text
    assert "None" not in text
