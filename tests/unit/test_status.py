from syncd.commands.status import render


def report(lease: dict | None, queued: list[dict], out_of_scope_since: str | None = None) -> dict:
    return {
        "version": 1,
        "generated_at": "2026-11-23T12:00:00+00:00",
        "calendars": [
            {
                "id": "primary",
                "time_zone": "UTC",
                "incremental": True,
                "last_pass_finished_at": None,
                "last_success_at": None,
                "last_error": None,
                "lease": lease,
                "out_of_scope_since": out_of_scope_since,
            }
        ],
        "link_counts": {"linked": 3},
        "links": [],
        "queued": queued,
        "parked": [],
    }


def test_an_expired_lease_says_so():
    lease = {"holder": "host:1:m:n", "expires_at": "2026-11-23T11:00:00+00:00"}
    assert "(expired)" in render(report(lease | {"expired": True}, []))
    assert "(expired)" not in render(report(lease | {"expired": False}, []))
    assert "in work by host:1:m:n" in render(report(lease | {"expired": False}, []))


def test_work_in_flight_is_not_shown_as_a_failure():
    item = {
        "calendar_id": "primary",
        "event_id": "e1",
        "summary": "Standup #zoom",
        "state": "creating",
        "attempts": 0,
        "next_attempt_at": "2026-11-23T11:59:00+00:00",
        "reason": None,
        "meeting_id": None,
    }
    text = render(report(None, [item]))
    assert "primary/e1 'Standup #zoom': creating; a step was under way or cut short" in text
    assert "None" not in text


def test_a_calendar_out_of_the_directorys_scope_says_so():
    text = render(report(None, [], out_of_scope_since="2026-11-23T11:00:00+00:00"))
    assert "out of scope since 2026-11-23T11:00:00+00:00: not read" in text
    assert "out of scope" not in render(report(None, []))
