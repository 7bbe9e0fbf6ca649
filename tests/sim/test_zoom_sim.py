"""The Zoom simulator answers as Zoom does: checked over loopback with a plain httpx client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from syncd.sim.zoom import GRANULAR_SCOPES, OWNER_EMAIL, ZoomSim
from syncd.sim.zoom_limits import BUSINESS
from tests.schemas import validate_zoom_response

TOKEN_FORM = {"grant_type": "account_credentials", "account_id": "sim-account"}
CREDENTIALS = ("sim-client-id", "sim-client-secret")
WEEKLY = {"type": 2, "weekly_days": "3", "end_times": 4}  # Tuesdays


@pytest.fixture
def sim() -> Iterator[ZoomSim]:
    with ZoomSim() as server:
        yield server  # type: ignore[misc]


def post_token(sim: ZoomSim, **kwargs: Any) -> httpx.Response:
    with httpx.Client(verify=False) as http:  # verify=False: no CA bundle to load for loopback
        return http.post(sim.token_url, **kwargs)


def fetch_token(sim: ZoomSim) -> str:
    response = post_token(sim, auth=CREDENTIALS, data=TOKEN_FORM)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def client(sim: ZoomSim) -> httpx.Client:
    headers = {"Authorization": f"Bearer {fetch_token(sim)}"}
    return httpx.Client(base_url=sim.api_base_url, headers=headers, verify=False)


@pytest.fixture
def api(sim: ZoomSim) -> Iterator[httpx.Client]:
    with client(sim) as http:
        yield http


def create(api: httpx.Client, user: str = "me", **body: Any) -> dict[str, Any]:
    response = api.post(f"/users/{user}/meetings", json={"topic": "Standup", **body})
    assert response.status_code == 201, response.text
    return response.json()


def set_clock(sim: ZoomSim, moment: datetime) -> None:
    sim.now = lambda: moment


def client_at(sim: ZoomSim, moment: datetime) -> httpx.Client:
    """A client whose token is issued once the simulator's clock reads `moment`."""
    set_clock(sim, moment)
    return client(sim)


def invalid_fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["code"], body["message"]) == (300, "Validation Failed.")
    return [error["field"] for error in body["errors"]]


# -- OAuth ---------------------------------------------------------------------------------------
def test_token_from_form_body(sim: ZoomSim) -> None:
    response = post_token(sim, auth=CREDENTIALS, data=TOKEN_FORM)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == GRANULAR_SCOPES
    assert body["api_url"] == "https://api.zoom.us"
    assert len(body["access_token"]) >= 32
    assert sim.tokens_issued == 1
    assert sim.count("token") == 1


def test_token_from_query_string_and_tokens_differ(sim: ZoomSim) -> None:
    first = post_token(sim, auth=CREDENTIALS, params=TOKEN_FORM)
    second = post_token(sim, auth=CREDENTIALS, params=TOKEN_FORM)
    assert first.status_code == second.status_code == 200
    assert first.json()["access_token"] != second.json()["access_token"]
    assert sim.tokens_issued == 2


def test_token_lifetime_and_scope_are_configurable() -> None:
    with ZoomSim(token_lifetime=3599, scope="meeting:write:admin") as sim:
        body = post_token(sim, auth=CREDENTIALS, data=TOKEN_FORM).json()
    assert (body["expires_in"], body["scope"]) == (3599, "meeting:write:admin")


@pytest.mark.parametrize(
    ("auth", "form", "error"),
    [
        (("sim-client-id", "wrong"), TOKEN_FORM, "invalid_client"),
        (("other-client", "sim-client-secret"), TOKEN_FORM, "invalid_client"),
        (None, TOKEN_FORM, "invalid_client"),
        (CREDENTIALS, {**TOKEN_FORM, "grant_type": "client_credentials"}, "unsupported_grant_type"),
        (CREDENTIALS, {**TOKEN_FORM, "account_id": "elsewhere"}, "invalid_request"),
    ],
)
def test_token_errors(sim: ZoomSim, auth: Any, form: dict[str, str], error: str) -> None:
    response = post_token(sim, auth=auth, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert sim.tokens_issued == 0


def test_wrong_secret_gets_zooms_exact_error(sim: ZoomSim) -> None:
    response = post_token(sim, auth=("sim-client-id", "nope"), data=TOKEN_FORM)
    assert response.json() == {
        "reason": "Invalid client_id or client_secret",
        "error": "invalid_client",
    }


# -- access tokens on /v2 ------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic c2ltOnNpbQ=="])
def test_v2_needs_a_valid_bearer_token(sim: ZoomSim, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    with httpx.Client(verify=False) as http:
        response = http.get(f"{sim.api_base_url}/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Invalid access token."}


def test_expire_tokens_invalidates_every_token_issued(sim: ZoomSim, api: httpx.Client) -> None:
    assert api.get("/users/me").status_code == 200
    sim.expire_tokens()
    response = api.get("/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == 124
    with client(sim) as fresh:
        assert fresh.get("/users/me").status_code == 200


def test_token_expires_after_its_lifetime(sim: ZoomSim, api: httpx.Client) -> None:
    set_clock(sim, datetime.now(UTC) + timedelta(seconds=3601))
    response = api.get("/users/me")
    assert (response.status_code, response.json()["code"]) == (401, 124)


# -- users ---------------------------------------------------------------------------------------
def test_users_get_by_me_email_and_id(sim: ZoomSim, api: httpx.Client) -> None:
    me = api.get("/users/me").json()
    assert (me["email"], me["timezone"]) == (OWNER_EMAIL, "America/Los_Angeles")
    assert api.get(f"/users/{OWNER_EMAIL}").json()["id"] == me["id"]
    added = sim.add_user("ana@sim.example", "Europe/Berlin")
    assert api.get(f"/users/{added['id']}").json()["email"] == "ana@sim.example"
    assert sim.count("users.get") == 3


def test_unknown_user_is_404_1001(api: httpx.Client) -> None:
    response = api.get("/users/ghost@sim.example")
    assert response.status_code == 404
    assert response.json() == {"code": 1001, "message": "User does not exist: ghost@sim.example."}


def test_host_time_zone_is_the_owners() -> None:
    with ZoomSim(host_time_zone="Asia/Tokyo") as sim, client(sim) as api:
        assert api.get("/users/me").json()["timezone"] == "Asia/Tokyo"


def list_users(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/users", params=params)
    assert response.status_code == 200, response.text
    validate_zoom_response("GET", "/users", 200, response.json())
    return response.json()


def test_users_list_answers_like_zoom(sim: ZoomSim, api: httpx.Client) -> None:
    ana = sim.add_user("ana@sim.example", "Europe/Berlin")
    body = list_users(api)
    assert {k: v for k, v in body.items() if k != "users"} == {
        "page_count": 1,
        "page_number": 1,
        "page_size": 30,
        "total_records": 2,
        "next_page_token": "",
    }
    owner, listed = body["users"]
    assert owner["email"] == OWNER_EMAIL
    assert listed == {
        "id": ana["id"],
        "email": "ana@sim.example",
        "first_name": "ana",
        "last_name": "",
        "display_name": "ana",
        "type": 2,
        "pmi": ana["pmi"],
        "timezone": "Europe/Berlin",
        "status": "active",
        "verified": 1,
    }
    assert sim.count("users.list") == 1
    assert sim.count("users.get") == 0


def test_users_list_pages(sim: ZoomSim, api: httpx.Client) -> None:
    added = [sim.add_user(f"user{n}@sim.example")["email"] for n in range(6)]
    seen: list[str] = []
    params: dict[str, Any] = {"page_size": 3}
    while True:
        body = list_users(api, **params)
        assert (body["total_records"], body["page_count"]) == (7, 3)
        assert body["page_number"] == len(seen) // 3 + 1
        seen += [user["email"] for user in body["users"]]
        if not body["next_page_token"]:
            break
        params["next_page_token"] = body["next_page_token"]
    assert seen == [OWNER_EMAIL, *added]
    assert sim.count("users.list") == 3


def test_users_list_page_size_is_capped_at_300(sim: ZoomSim, api: httpx.Client) -> None:
    for n in range(300):
        sim.add_user(f"user{n}@sim.example")
    body = list_users(api, page_size=1000)
    assert (body["page_size"], len(body["users"]), body["page_count"]) == (300, 300, 2)
    assert body["next_page_token"]


def test_users_list_by_status(sim: ZoomSim, api: httpx.Client) -> None:
    sim.add_user("ana@sim.example")
    sim.add_user("gone@sim.example", status="inactive")
    sim.add_user("invited@sim.example", status="pending")

    def emails(**params: Any) -> list[str]:
        return [user["email"] for user in list_users(api, **params)["users"]]

    assert emails() == emails(status="active") == [OWNER_EMAIL, "ana@sim.example"]
    assert emails(status="inactive") == ["gone@sim.example"]
    assert emails(status="pending") == ["invited@sim.example"]
    [pending] = list_users(api, status="pending")["users"]
    assert "id" not in pending
    assert invalid_fields(api.get("/users", params={"status": "deleted"})) == ["status"]


def test_users_list_and_get_routes_do_not_clash(sim: ZoomSim, api: httpx.Client) -> None:
    assert api.get("/users").json()["users"][0]["email"] == OWNER_EMAIL
    assert api.get("/users/me").json()["email"] == OWNER_EMAIL
    assert api.get("/users/me/meetings").json()["total_records"] == 0
    assert [call.route for call in sim.calls()][-3:] == ["users.list", "users.get", "meetings.list"]


# -- create --------------------------------------------------------------------------------------
def test_create_answers_like_zoom(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(
        api,
        agenda="Daily",
        type=2,
        start_time="2030-05-01T16:00:00Z",
        duration=30,
        timezone="Europe/Paris",
        settings={"waiting_room": True, "no_such_setting": 1},
        no_such_field="ignored",
    )
    assert 2**32 < meeting["id"] < 10**11
    assert (meeting["topic"], meeting["agenda"], meeting["type"]) == ("Standup", "Daily", 2)
    assert (meeting["start_time"], meeting["timezone"], meeting["duration"]) == (
        "2030-05-01T16:00:00Z",
        "Europe/Paris",
        30,
    )
    assert meeting["status"] == "waiting"
    assert meeting["host_email"] == OWNER_EMAIL
    assert meeting["join_url"] == f"{sim.url}/j/{meeting['id']}?pwd={meeting['encrypted_password']}"
    assert meeting["settings"]["waiting_room"] is True
    assert meeting["settings"]["join_before_host"] is False
    assert "no_such_field" not in meeting
    assert {"uuid", "host_id", "created_at", "start_url", "h323_password", "pstn_password"} <= set(
        meeting
    )
    assert sim.meeting(meeting["id"]) == meeting


def test_create_generates_a_passcode_unless_given(api: httpx.Client) -> None:
    generated = create(api)["password"]
    assert len(generated) >= 6 and generated.isalnum()
    assert create(api, password="a@b-c_d*9")["password"] == "a@b-c_d*9"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("topic", "t" * 201),
        ("agenda", "a" * 2001),
        ("password", "p" * 11),
        ("password", "pass word"),
        ("password", "pass!"),
        ("type", 5),
        ("duration", -1),
        ("timezone", "Mars/Olympus"),
        ("timezone", "Pacific/Chatham"),  # a real zone, but not one Zoom lists
        ("timezone", "Asia/Chungking"),  # an alias of a listed zone, not listed itself
        ("start_time", "2030-05-01T16:00:00+02:00"),
        ("start_time", "tomorrow"),
    ],
)
def test_create_validation_errors(
    sim: ZoomSim, api: httpx.Client, field: str, value: object
) -> None:
    response = api.post("/users/me/meetings", json={"topic": "x", field: value})
    assert invalid_fields(response) == [field]
    assert sim.meetings() == []


def test_limits_are_inclusive(api: httpx.Client) -> None:
    meeting = create(api, topic="t" * 200, agenda="a" * 2000, password="p" * 10)
    assert len(meeting["topic"]) == 200


def test_body_must_be_a_json_object(api: httpx.Client) -> None:
    response = api.post("/users/me/meetings", content=b"[1, 2]")
    assert response.status_code == 400
    assert response.json() == {
        "code": 300,
        "message": "Request Body should be a valid JSON object.",
    }


def test_create_for_unknown_user_is_404(api: httpx.Client) -> None:
    response = api.post("/users/nobody@sim.example/meetings", json={"topic": "x"})
    assert (response.status_code, response.json()["code"]) == (404, 1001)


def test_meeting_ids_are_unique_under_concurrency(sim: ZoomSim, api: httpx.Client) -> None:
    ids: list[int] = []

    def make() -> None:
        ids.append(create(api)["id"])

    threads = [threading.Thread(target=make) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 20
    assert sim.count("meetings.create") == 20
    assert len(sim.meetings()) == 20


# -- start_time ----------------------------------------------------------------------------------
def test_local_start_time_is_read_in_the_given_timezone(api: httpx.Client) -> None:
    meeting = create(api, start_time="2030-07-01T09:00:00", timezone="Europe/London")
    assert (meeting["start_time"], meeting["timezone"]) == ("2030-07-01T08:00:00Z", "Europe/London")


def test_bare_local_start_time_is_read_in_the_hosts_zone(sim: ZoomSim, api: httpx.Client) -> None:
    owners = create(api, start_time="2030-07-01T09:00:00")
    assert (owners["start_time"], owners["timezone"]) == (
        "2030-07-01T16:00:00Z",
        "America/Los_Angeles",
    )
    sim.add_user("berlin@sim.example", "Europe/Berlin")
    berlin = create(api, start_time="2030-07-01T09:00:00", schedule_for="berlin@sim.example")
    assert (berlin["start_time"], berlin["timezone"]) == ("2030-07-01T07:00:00Z", "Europe/Berlin")


def test_utc_start_time_gets_the_hosts_zone_as_timezone(api: httpx.Client) -> None:
    meeting = create(api, start_time="2030-07-01T09:00:00Z")
    assert (meeting["start_time"], meeting["timezone"]) == (
        "2030-07-01T09:00:00Z",
        "America/Los_Angeles",
    )


def test_instant_and_no_fixed_time_meetings(sim: ZoomSim) -> None:
    with client_at(sim, datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)) as api:
        assert create(api, type=1)["start_time"] == "2030-01-02T03:04:05Z"
        floating = create(api, type=3, start_time="2030-07-01T09:00:00Z", duration=30)
        assert "start_time" not in floating and "duration" not in floating
        assert "occurrences" not in floating


# -- recurrence ----------------------------------------------------------------------------------
def test_weekly_series_keeps_local_time_across_dst(api: httpx.Client) -> None:
    meeting = create(
        api,
        type=8,
        start_time="2030-03-05T09:00:00",
        timezone="America/New_York",
        duration=45,
        recurrence=WEEKLY,
    )
    starts = [o["start_time"] for o in meeting["occurrences"]]
    # DST starts in New York on 2030-03-10: 09:00 local moves from 14:00Z to 13:00Z.
    assert starts == [
        "2030-03-05T14:00:00Z",
        "2030-03-12T13:00:00Z",
        "2030-03-19T13:00:00Z",
        "2030-03-26T13:00:00Z",
    ]
    first = meeting["occurrences"][0]
    assert (first["duration"], first["status"]) == (45, "available")
    assert first["occurrence_id"] == str(
        int(datetime(2030, 3, 5, 14, tzinfo=UTC).timestamp() * 1000)
    )
    assert meeting["recurrence"] == {**WEEKLY, "repeat_interval": 1}


def test_series_starts_on_the_first_selected_day(api: httpx.Client) -> None:
    # 2030-03-04 is a Monday; the series runs on Wednesdays and Fridays.
    recurrence = {"type": 2, "weekly_days": "6,4", "end_times": 3}
    meeting = create(
        api, type=8, start_time="2030-03-04T10:00:00Z", timezone="UTC", recurrence=recurrence
    )
    days = [o["start_time"][:10] for o in meeting["occurrences"]]
    assert days == ["2030-03-06", "2030-03-08", "2030-03-13"]
    assert meeting["start_time"] == "2030-03-06T10:00:00Z"


def test_daily_series_with_interval(api: httpx.Client) -> None:
    recurrence = {"type": 1, "repeat_interval": 90, "end_times": 3}
    meeting = create(
        api, type=8, start_time="2030-01-01T10:00:00Z", timezone="UTC", recurrence=recurrence
    )
    assert [o["start_time"][:10] for o in meeting["occurrences"]] == [
        "2030-01-01",
        "2030-04-01",
        "2030-06-30",
    ]


@pytest.mark.parametrize(
    ("recurrence", "days"),
    [
        (
            {"type": 3, "monthly_day": 15, "end_times": 3},
            ["2030-01-15", "2030-02-15", "2030-03-15"],
        ),
        ({"type": 3, "monthly_day": 31, "end_times": 2}, ["2030-01-31", "2030-02-28"]),
        (
            {"type": 3, "monthly_week": -1, "monthly_week_day": 6, "end_times": 3},
            ["2030-01-25", "2030-02-22", "2030-03-29"],
        ),
        (
            {
                "type": 3,
                "monthly_week": 2,
                "monthly_week_day": 2,
                "repeat_interval": 3,
                "end_times": 2,
            },
            ["2030-01-14", "2030-04-08"],
        ),
    ],
)
def test_monthly_series(api: httpx.Client, recurrence: dict[str, int], days: list[str]) -> None:
    meeting = create(
        api, type=8, start_time="2030-01-01T10:00:00Z", timezone="UTC", recurrence=recurrence
    )
    assert [o["start_time"][:10] for o in meeting["occurrences"]] == days


def test_end_date_time_bounds_the_series(api: httpx.Client) -> None:
    recurrence = {"type": 1, "end_date_time": "2030-01-04T23:59:00Z"}
    meeting = create(
        api, type=8, start_time="2030-01-01T10:00:00Z", timezone="UTC", recurrence=recurrence
    )
    assert len(meeting["occurrences"]) == 4


def test_series_never_exceeds_sixty_occurrences(api: httpx.Client) -> None:
    recurrence = {"type": 1, "end_date_time": "2031-01-01T00:00:00Z"}
    meeting = create(
        api, type=8, start_time="2030-01-01T10:00:00Z", timezone="UTC", recurrence=recurrence
    )
    assert len(meeting["occurrences"]) == 60


@pytest.mark.parametrize(
    ("recurrence", "field"),
    [
        ({"type": 4}, "recurrence.type"),
        ({"type": 1, "repeat_interval": 91}, "recurrence.repeat_interval"),
        ({"type": 2, "repeat_interval": 13}, "recurrence.repeat_interval"),
        ({"type": 3, "repeat_interval": 4}, "recurrence.repeat_interval"),
        ({"type": 2, "weekly_days": "8"}, "recurrence.weekly_days"),
        ({"type": 2, "weekly_days": "MO"}, "recurrence.weekly_days"),
        ({"type": 3, "monthly_day": 32}, "recurrence.monthly_day"),
        ({"type": 3, "monthly_week": 5, "monthly_week_day": 2}, "recurrence.monthly_week"),
        ({"type": 3, "monthly_week": 1}, "recurrence.monthly_week"),
        ({"type": 1, "end_times": 61}, "recurrence.end_times"),
        ({"type": 1, "end_times": 0}, "recurrence.end_times"),
        (
            {"type": 1, "end_times": 2, "end_date_time": "2030-02-01T00:00:00Z"},
            "recurrence.end_date_time",
        ),
        ({"type": 1, "end_date_time": "2030-02-01T00:00:00"}, "recurrence.end_date_time"),
    ],
)
def test_recurrence_validation(api: httpx.Client, recurrence: dict[str, Any], field: str) -> None:
    body = {"type": 8, "start_time": "2030-01-01T10:00:00Z", "recurrence": recurrence}
    assert invalid_fields(api.post("/users/me/meetings", json=body)) == [field]


def test_recurring_fixed_time_needs_a_recurrence(api: httpx.Client) -> None:
    response = api.post(
        "/users/me/meetings", json={"type": 8, "start_time": "2030-01-01T10:00:00Z"}
    )
    assert invalid_fields(response) == ["recurrence.type"]


# -- schedule_for --------------------------------------------------------------------------------
def test_schedule_for_makes_another_user_the_host(sim: ZoomSim, api: httpx.Client) -> None:
    ana = sim.add_user("ana@sim.example")
    meeting = create(api, schedule_for="ana@sim.example")
    assert (meeting["host_id"], meeting["host_email"]) == (ana["id"], "ana@sim.example")


def test_schedule_for_unknown_user(api: httpx.Client) -> None:
    response = api.post("/users/me/meetings", json={"schedule_for": "ghost@sim.example"})
    assert (response.status_code, response.json()["code"]) == (400, 300)


def test_instant_meetings_cannot_be_scheduled_for_others(sim: ZoomSim, api: httpx.Client) -> None:
    sim.add_user("ana@sim.example")
    response = api.post("/users/me/meetings", json={"type": 1, "schedule_for": "ana@sim.example"})
    assert (response.status_code, response.json()["code"]) == (400, 3000)


# -- rate limits ---------------------------------------------------------------------------------
def test_daily_create_update_limit_per_host() -> None:
    with (
        ZoomSim(daily_create_limit=2) as sim,
        client_at(sim, datetime(2030, 1, 1, 23, 30, tzinfo=UTC)) as api,
    ):
        meeting = create(api)
        assert api.patch(f"/meetings/{meeting['id']}", json={"topic": "b"}).status_code == 204
        refused = api.post("/users/me/meetings", json={"topic": "c"})
        assert refused.status_code == 429
        assert refused.json() == {
            "code": 429,
            "message": "You have exceeded the daily rate limit (2) of Meeting Create/Update "
            "API requests permitted for this particular user. You may resume these requests "
            "at GMT 00:00:00.",
        }
        assert refused.headers["Retry-After"] == "2030-01-02T00:00:00Z"
        assert refused.headers["X-RateLimit-Type"] == "Daily-limit"
        assert refused.headers["X-RateLimit-Category"] == "Medium"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        refused_update = api.patch(f"/meetings/{meeting['id']}", json={"topic": "d"})
        assert refused_update.status_code == 429
        assert refused_update.headers["X-RateLimit-Category"] == "Light"
        assert sim.meeting(meeting["id"])["topic"] == "b"
        sim.add_user("ana@sim.example")
        create(api, schedule_for="ana@sim.example")  # another host has its own allowance
        set_clock(sim, datetime(2030, 1, 2, 0, 0, 1, tzinfo=UTC))
        create(api)  # the limit resets at 00:00 UTC


def test_refused_requests_do_not_count_against_the_daily_limit() -> None:
    with ZoomSim(daily_create_limit=1) as sim, client(sim) as api:
        assert api.post("/users/me/meetings", json={"topic": "t" * 201}).status_code == 400
        create(api)


def test_per_second_limit() -> None:
    with ZoomSim(requests_per_second=2) as sim, client(sim) as api:
        statuses = [api.get("/users/me").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = sim.calls("users.get")[-1]
        assert refused.status == 429
        response = api.get("/users/me")
        assert response.status_code == 429
        assert response.json()["message"] == (
            "You have reached the maximum per-second rate limit for this API. Try again later."
        )
        assert response.headers["X-RateLimit-Type"] == "QPS"
        assert response.headers["X-RateLimit-Category"] == "Light"
        assert datetime.fromisoformat(response.headers["Retry-After"]) > sim.now() - timedelta(
            seconds=1
        )
        assert api.post("/users/me/meetings", json={}).status_code == 201  # Medium: its own bucket


def test_per_second_limits_per_category() -> None:
    """A Business account: each category has its own rate (Light 80, Medium 60 a second); a
    category left out of the mapping is not limited."""
    assert BUSINESS == {"Light": 80.0, "Medium": 60.0, "Heavy": 40.0}
    with ZoomSim(requests_per_second={"Light": 3, "Medium": 2}) as sim, client(sim) as api:
        creates = [api.post("/users/me/meetings", json={}).status_code for _ in range(3)]
        assert creates == [201, 201, 429]
        refused = api.get("/users/me/meetings")
        assert refused.status_code == 429
        assert refused.headers["X-RateLimit-Category"] == "Medium"
        assert refused.headers["X-RateLimit-Limit"] == "2"
        assert [api.get("/users/me").status_code for _ in range(4)] == [200, 200, 200, 429]
        sim.limits.per_second = {"Medium": 2}  # Light no longer limited
        assert {api.get("/users/me").status_code for _ in range(10)} == {200}
        assert sim.limits.rate("Heavy") is None
        sim.limits.per_second = 5  # one rate for every category, as before
        assert sim.limits.rate("Heavy") == 5


def test_no_per_second_limit_by_default(api: httpx.Client) -> None:
    assert {api.get("/users/me").status_code for _ in range(30)} == {200}


# -- get -----------------------------------------------------------------------------------------
def test_get_meeting(api: httpx.Client) -> None:
    meeting = create(api, start_time="2030-05-01T16:00:00Z")
    response = api.get(f"/meetings/{meeting['id']}")
    assert response.status_code == 200
    assert response.json() == meeting


def test_get_unknown_meeting_is_404_3001(api: httpx.Client) -> None:
    response = api.get("/meetings/98765432101")
    assert response.status_code == 404
    assert response.json() == {"code": 3001, "message": "Meeting does not exist: 98765432101."}


def test_get_one_occurrence(api: httpx.Client) -> None:
    meeting = create(
        api, type=8, start_time="2030-03-05T09:00:00Z", timezone="UTC", recurrence=WEEKLY
    )
    second = meeting["occurrences"][1]
    response = api.get(
        f"/meetings/{meeting['id']}", params={"occurrence_id": second["occurrence_id"]}
    )
    assert response.json()["start_time"] == second["start_time"]
    bad = api.get(f"/meetings/{meeting['id']}", params={"occurrence_id": "123"})
    assert (bad.status_code, bad.json()["code"]) == (400, 3000)


def test_get_hides_past_occurrences_unless_asked(sim: ZoomSim) -> None:
    with client_at(sim, datetime(2030, 3, 13, tzinfo=UTC)) as api:
        meeting = create(
            api, type=8, start_time="2030-03-05T09:00:00Z", timezone="UTC", recurrence=WEEKLY
        )
        shown = api.get(f"/meetings/{meeting['id']}").json()["occurrences"]
        assert [o["start_time"][:10] for o in shown] == ["2030-03-19", "2030-03-26"]
        everything = api.get(
            f"/meetings/{meeting['id']}", params={"show_previous_occurrences": "true"}
        )
        assert len(everything.json()["occurrences"]) == 4


# -- update --------------------------------------------------------------------------------------
def test_update_is_partial(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(
        api, agenda="keep", start_time="2030-05-01T16:00:00Z", settings={"waiting_room": True}
    )
    response = api.patch(
        f"/meetings/{meeting['id']}",
        json={"topic": "Renamed", "settings": {"join_before_host": True}, "unknown": 1},
    )
    assert (response.status_code, response.content) == (204, b"")
    stored = sim.meeting(meeting["id"])
    assert (stored["topic"], stored["agenda"], stored["start_time"]) == (
        "Renamed",
        "keep",
        "2030-05-01T16:00:00Z",
    )
    assert stored["settings"]["waiting_room"] is True
    assert stored["settings"]["join_before_host"] is True
    assert stored["join_url"] == meeting["join_url"]


def test_update_validates_like_create(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api)
    response = api.patch(f"/meetings/{meeting['id']}", json={"agenda": "a" * 2001})
    assert invalid_fields(response) == ["agenda"]
    assert sim.meeting(meeting["id"]) == meeting


def test_update_reads_a_bare_local_time_in_the_meetings_zone(
    sim: ZoomSim, api: httpx.Client
) -> None:
    meeting = create(api, start_time="2030-07-01T09:00:00Z", timezone="Asia/Tokyo")
    api.patch(f"/meetings/{meeting['id']}", json={"start_time": "2030-07-02T09:00:00"})
    assert sim.meeting(meeting["id"])["start_time"] == "2030-07-02T00:00:00Z"


def test_update_ignores_create_only_settings(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api)
    api.patch(f"/meetings/{meeting['id']}", json={"settings": {"push_change_to_calendar": True}})
    assert sim.meeting(meeting["id"])["settings"]["push_change_to_calendar"] is False


def test_update_started_meeting_is_refused(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api)
    sim.start_meeting(meeting["id"])
    response = api.patch(f"/meetings/{meeting['id']}", json={"topic": "late"})
    assert (response.status_code, response.json()["code"]) == (400, 3000)
    assert sim.meeting(meeting["id"])["topic"] == "Standup"


def test_update_deleted_meeting_is_404(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api)
    sim.delete_out_of_band(meeting["id"])
    response = api.patch(f"/meetings/{meeting['id']}", json={"topic": "gone"})
    assert response.status_code == 404
    assert response.json() == {"code": 3001, "message": f"Meeting does not exist: {meeting['id']}."}


def test_update_schedule_for_changes_the_host(sim: ZoomSim, api: httpx.Client) -> None:
    ana = sim.add_user("ana@sim.example")
    meeting = create(api)
    api.patch(f"/meetings/{meeting['id']}", json={"schedule_for": ana["id"]})
    assert sim.meeting(meeting["id"])["host_email"] == "ana@sim.example"


def test_update_schedule_for_by_email_moves_the_meeting(sim: ZoomSim, api: httpx.Client) -> None:
    ana = sim.add_user("ana@sim.example")
    meeting = create(api)
    response = api.patch(f"/meetings/{meeting['id']}", json={"schedule_for": "Ana@Sim.Example"})
    assert response.status_code == 204
    stored = sim.meeting(meeting["id"])
    assert (stored["host_id"], stored["host_email"]) == (ana["id"], "ana@sim.example")
    assert [m["id"] for m in api.get("/users/me/meetings").json()["meetings"]] == []
    listed = api.get("/users/ana@sim.example/meetings").json()["meetings"]
    assert [m["id"] for m in listed] == [meeting["id"]]


def test_update_recurrence_regenerates_occurrences(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(
        api, type=8, start_time="2030-03-05T09:00:00Z", timezone="UTC", recurrence=WEEKLY
    )
    api.patch(f"/meetings/{meeting['id']}", json={"recurrence": {**WEEKLY, "end_times": 2}})
    assert len(sim.meeting(meeting["id"])["occurrences"]) == 2
    api.patch(f"/meetings/{meeting['id']}", json={"type": 2})
    assert "occurrences" not in sim.meeting(meeting["id"])


def test_update_one_occurrence(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(
        api, type=8, start_time="2030-03-05T09:00:00Z", timezone="UTC", recurrence=WEEKLY
    )
    target = meeting["occurrences"][2]["occurrence_id"]
    response = api.patch(
        f"/meetings/{meeting['id']}",
        params={"occurrence_id": target},
        json={"start_time": "2030-03-20T11:00:00Z", "duration": 15},
    )
    assert response.status_code == 204
    moved = sim.meeting(meeting["id"])["occurrences"][2]
    assert (moved["start_time"], moved["duration"]) == ("2030-03-20T11:00:00Z", 15)


# -- delete --------------------------------------------------------------------------------------
def test_delete_meeting(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api)
    params = {"schedule_for_reminder": "false", "cancel_meeting_reminder": "false"}
    response = api.delete(f"/meetings/{meeting['id']}", params=params)
    assert (response.status_code, response.content) == (204, b"")
    assert api.get(f"/meetings/{meeting['id']}").status_code == 404
    again = api.delete(f"/meetings/{meeting['id']}")
    assert (again.status_code, again.json()["code"]) == (404, 3001)
    assert sim.calls("meetings.delete")[0].query["schedule_for_reminder"] == ["false"]


def test_delete_one_occurrence(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(
        api, type=8, start_time="2030-03-05T09:00:00Z", timezone="UTC", recurrence=WEEKLY
    )
    target = meeting["occurrences"][1]["occurrence_id"]
    response = api.delete(f"/meetings/{meeting['id']}", params={"occurrence_id": target})
    assert response.status_code == 204
    statuses = [o["status"] for o in sim.meeting(meeting["id"])["occurrences"]]
    assert statuses == ["available", "deleted", "available", "available"]
    again = api.delete(f"/meetings/{meeting['id']}", params={"occurrence_id": target})
    assert (again.status_code, again.json()["code"]) == (400, 3000)


def test_deleted_occurrence_stays_deleted_when_the_series_changes(
    sim: ZoomSim, api: httpx.Client
) -> None:
    meeting = create(
        api, type=8, start_time="2030-03-05T09:00:00Z", timezone="UTC", recurrence=WEEKLY
    )
    target = meeting["occurrences"][1]["occurrence_id"]
    api.delete(f"/meetings/{meeting['id']}", params={"occurrence_id": target})
    api.patch(f"/meetings/{meeting['id']}", json={"topic": "Renamed"})
    assert sim.meeting(meeting["id"])["occurrences"][1]["status"] == "deleted"


def test_delete_started_meeting_is_refused(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api)
    sim.start_meeting(meeting["id"])
    response = api.delete(f"/meetings/{meeting['id']}")
    assert (response.status_code, response.json()["code"]) == (400, 3002)


def test_delete_out_of_band(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api)
    sim.delete_out_of_band(meeting["id"])
    assert api.get(f"/meetings/{meeting['id']}").status_code == 404
    assert api.get("/users/me/meetings").json()["total_records"] == 0
    assert sim.count("meetings.delete") == 0


# -- list ----------------------------------------------------------------------------------------
def test_list_items_have_the_list_shape(sim: ZoomSim, api: httpx.Client) -> None:
    meeting = create(api, agenda="x" * 300, start_time="2030-05-01T16:00:00Z")
    body = api.get("/users/me/meetings").json()
    assert (body["page_size"], body["total_records"], body["next_page_token"]) == (30, 1, "")
    [item] = body["meetings"]
    assert set(item) == {
        "uuid",
        "id",
        "host_id",
        "topic",
        "type",
        "start_time",
        "duration",
        "timezone",
        "agenda",
        "created_at",
        "join_url",
    }
    assert item["agenda"] == "x" * 250
    assert item["id"] == meeting["id"]
    assert sim.count("meetings.list") == 1


def test_list_shows_only_that_hosts_meetings(sim: ZoomSim, api: httpx.Client) -> None:
    sim.add_user("ana@sim.example")
    mine = create(api)
    create(api, schedule_for="ana@sim.example")
    ids = [m["id"] for m in api.get("/users/me/meetings").json()["meetings"]]
    assert ids == [mine["id"]]
    assert api.get("/users/ana@sim.example/meetings").json()["total_records"] == 1


def test_list_pages(api: httpx.Client) -> None:
    created = [create(api)["id"] for _ in range(5)]
    seen: list[int] = []
    params: dict[str, Any] = {"page_size": 2}
    while True:
        body = api.get("/users/me/meetings", params=params).json()
        assert body["total_records"] == 5
        seen += [m["id"] for m in body["meetings"]]
        if not body["next_page_token"]:
            break
        params["next_page_token"] = body["next_page_token"]
    assert seen == created


def test_list_page_size_is_capped_at_300(api: httpx.Client) -> None:
    assert api.get("/users/me/meetings", params={"page_size": 1000}).json()["page_size"] == 300


def test_list_by_type(sim: ZoomSim) -> None:
    with client_at(sim, datetime(2030, 6, 1, tzinfo=UTC)) as api:
        past = create(api, start_time="2030-05-01T16:00:00Z")["id"]
        future = create(api, start_time="2030-07-01T16:00:00Z")["id"]
        floating = create(api, type=3)["id"]
        live = create(api, start_time="2030-04-01T16:00:00Z")["id"]
        sim.start_meeting(live)

        def ids(kind: str) -> set[int]:
            return {
                m["id"]
                for m in api.get("/users/me/meetings", params={"type": kind}).json()["meetings"]
            }

        assert ids("scheduled") == {past, future, floating, live}
        assert ids("upcoming") == ids("upcoming_meetings") == {future, floating, live}
        assert ids("live") == {live}
        assert ids("previous_meetings") == {past}
        bad = api.get("/users/me/meetings", params={"type": "everything"})
        assert invalid_fields(bad) == ["type"]
