"""The Google Calendar simulator, driven by the real googleapiclient and google-auth."""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import quote, urlencode

import google_auth_httplib2
import httplib2
import pytest
from google.auth import crypt, jwt
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from syncd.sim.google import GoogleCalendarSim
from syncd.sim.google_oauth import JWT_BEARER
from syncd.sim.server import ApiError

CAL = "team@group.calendar.google.com"
SCOPE = "https://www.googleapis.com/auth/calendar.events"
ETAG = re.compile(r'^"\d{16}"$')
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# -- fixtures and helpers ----------------------------------------------------------------------
@pytest.fixture
def sim():
    with GoogleCalendarSim() as server:
        server.add_calendar(CAL, "Europe/Berlin", "Team")
        yield server


@pytest.fixture
def creds(sim):
    info = sim.authorized_user_info()
    return Credentials(
        token=None,
        refresh_token=info["refresh_token"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_uri=sim.token_uri,
    )


@pytest.fixture
def service(sim, creds):
    return calendar_service(sim, creds)


def calendar_service(sim, credentials):
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": sim.api_endpoint},
    )


def service_account_creds(sim):
    return service_account.Credentials.from_service_account_info(
        sim.service_account_info(), scopes=[SCOPE]
    )


def timed(summary, start, end, **fields):
    return {"summary": summary, "start": {"dateTime": start}, "end": {"dateTime": end}, **fields}


def add(sim, summary="Standup", start="2026-12-01T09:00:00Z", end="2026-12-01T09:30:00Z", **f):
    return sim.put_event(CAL, timed(summary, start, end, **f))


def list_all(service, **params):
    """Every page of one listing: (items, nextSyncToken, number of pages)."""
    items, pages, token = [], 0, None
    while True:
        page = service.events().list(calendarId=CAL, pageToken=token, **params).execute()
        items += page["items"]
        pages += 1
        token = page.get("nextPageToken")
        if token is None:
            return items, page["nextSyncToken"], pages


def http_error(request):
    with pytest.raises(HttpError) as caught:
        request.execute()
    return caught.value


def reason(error):
    return error.error_details[0]["reason"]


def raw(sim, creds, path, method="GET", body=None, headers=None):
    """A request through google-auth's AuthorizedHttp, for what the client library won't send."""
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http())
    response, content = http.request(
        f"{sim.url}{path}", method, body=json.dumps(body) if body else None, headers=headers
    )
    return response, json.loads(content) if content else None


def post_token(sim, form):
    response, content = httplib2.Http().request(
        sim.token_uri,
        "POST",
        urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    return response.status, json.loads(content)


def assertion(info, **claims):
    now = int(time.time())
    payload = {"iss": info["client_email"], "aud": info["token_uri"], "scope": SCOPE}
    payload |= {"iat": now, "exp": now + 3600} | claims
    signer = crypt.RSASigner.from_service_account_info(info)
    return jwt.encode(signer, {k: v for k, v in payload.items() if v is not None}).decode()


# -- resources -----------------------------------------------------------------------------------
def test_event_resource_looks_like_googles(sim, service):
    created = add(sim, description="Agenda")
    event = service.events().get(calendarId=CAL, eventId=created["id"]).execute()

    assert event["kind"] == "calendar#event"
    assert ETAG.match(event["etag"])
    assert re.fullmatch(r"[0-9a-v]{20,}", event["id"])
    assert event["status"] == "confirmed"
    assert event["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert RFC3339_MS.match(event["created"]) and RFC3339_MS.match(event["updated"])
    assert event["start"] == {"dateTime": "2026-12-01T10:00:00+01:00"}  # the calendar's zone
    assert event["organizer"] == event["creator"] == {"email": CAL, "self": True}
    assert event["iCalUID"] == f"{event['id']}@google.com"
    assert event["sequence"] == 0
    assert event["reminders"] == {"useDefault": True}
    assert event["description"] == "Agenda"
    assert "extendedProperties" not in event  # Google leaves out what was never set


def test_date_times_keep_their_zone_and_read_local_times_in_it(sim, service):
    event = sim.put_event(
        CAL,
        {
            "summary": "NY call",
            "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2026-12-01T11:00:00-05:00", "timeZone": "America/New_York"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
        },
    )
    got = service.events().get(calendarId=CAL, eventId=event["id"]).execute()
    assert got["start"] == {"dateTime": "2026-12-01T16:00:00+01:00", "timeZone": "America/New_York"}
    assert got["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]


@pytest.mark.parametrize(
    ("calendar_id", "event_id"),
    [
        ("people@group.calendar.google.com", "abc_20261201T100000Z"),
        ("en.usa#holiday@group.v.calendar.google.com", "x.y-z"),
        ("odd %41+id@example.com", "caf\u00e9"),
    ],
)
def test_ids_with_special_characters_route(sim, service, calendar_id, event_id):
    sim.add_calendar(calendar_id)
    sim.put_event(
        calendar_id, timed("x", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", id=event_id)
    )
    got = service.events().get(calendarId=calendar_id, eventId=event_id).execute()
    listed = service.events().list(calendarId=calendar_id).execute()
    assert got["id"] == event_id
    assert [e["id"] for e in listed["items"]] == [event_id]


def test_user_side_api(sim):
    first = add(sim, summary="Plan")
    replaced = sim.put_event(CAL, {**first, "summary": "Plan B"})
    edited = sim.edit_event(CAL, first["id"], description="notes", location=None)
    sim.delete_event(CAL, first["id"])
    copy_ = sim.event(CAL, first["id"])
    copy_["summary"] = "mutated"

    assert replaced["created"] == first["created"] and replaced["etag"] != first["etag"]
    assert edited["summary"] == "Plan B" and edited["description"] == "notes"
    assert sim.event(CAL, first["id"])["status"] == "cancelled"
    assert [e["summary"] for e in sim.events(CAL)] == ["Plan B"]
    assert len({first["etag"], replaced["etag"], edited["etag"]}) == 3


# -- events.list ---------------------------------------------------------------------------------
def test_list_envelope_pages_and_sync_token(sim, service):
    ids = [add(sim, summary=f"e{i}")["id"] for i in range(7)]
    first = service.events().list(calendarId=CAL, maxResults=3).execute()
    items, sync_token, pages = list_all(service, maxResults=3)

    assert first["kind"] == "calendar#events"
    assert first["timeZone"] == "Europe/Berlin"
    assert first["summary"] == "Team"
    assert first["accessRole"] == "owner"
    assert isinstance(first["defaultReminders"], list) and RFC3339_MS.match(first["updated"])
    assert "nextPageToken" in first and "nextSyncToken" not in first
    assert [e["id"] for e in items] == ids and pages == 3 and sync_token


def test_pages_are_stable_while_read(sim, service):
    ids = [add(sim, summary=f"e{i}")["id"] for i in range(4)]
    first = service.events().list(calendarId=CAL, maxResults=2).execute()
    sim.edit_event(CAL, ids[3], summary="changed meanwhile")
    late = add(sim, summary="late")
    rest = (
        service.events()
        .list(calendarId=CAL, maxResults=2, pageToken=first["nextPageToken"])
        .execute()
    )
    changes = service.events().list(calendarId=CAL, syncToken=rest["nextSyncToken"]).execute()

    assert [e["summary"] for e in rest["items"]] == ["e2", "e3"]
    assert [e["id"] for e in changes["items"]] == [ids[3], late["id"]]


def test_max_results_default_250_and_cap_2500(sim, service):
    for i in range(2501):
        sim.put_event(CAL, timed(f"e{i}", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"))
    default = service.events().list(calendarId=CAL).execute()
    capped = service.events().list(calendarId=CAL, maxResults=5000).execute()
    assert len(default["items"]) == 250
    assert len(capped["items"]) == 2500 and "nextPageToken" in capped


def test_incremental_sync_returns_every_change_with_deletions_slim(sim, service):
    kept, edited, deleted = (add(sim, summary=s) for s in ("kept", "edited", "deleted"))
    _, token, _ = list_all(service)
    sim.edit_event(CAL, edited["id"], summary="edited #zoom")
    sim.delete_event(CAL, deleted["id"])
    new = add(sim, summary="new")

    changes, next_token, _ = list_all(service, syncToken=token)
    quiet, same_token, _ = list_all(service, syncToken=next_token)

    assert [e["id"] for e in changes] == [edited["id"], deleted["id"], new["id"]]
    assert changes[0]["summary"] == "edited #zoom"
    assert set(changes[1]) == {"kind", "etag", "id", "status"}
    assert changes[1]["status"] == "cancelled"
    assert kept["id"] not in {e["id"] for e in changes}
    assert quiet == [] and same_token == next_token


def test_incremental_results_page_too(sim, service):
    _, token, _ = list_all(service)
    ids = [add(sim, summary=f"e{i}")["id"] for i in range(5)]
    changes, _, pages = list_all(service, syncToken=token, maxResults=2)
    assert [e["id"] for e in changes] == ids and pages == 3


def test_cancelled_events_in_full_listings(sim, service):
    master = add(sim, summary="series", recurrence=["RRULE:FREQ=DAILY;COUNT=5"])
    exception = add(
        sim,
        id=f"{master['id']}_20261202T090000Z",
        recurringEventId=master["id"],
        originalStartTime={"dateTime": "2026-12-02T09:00:00Z"},
    )
    gone = add(sim, summary="gone")
    sim.delete_event(CAL, exception["id"])
    sim.delete_event(CAL, gone["id"])

    hidden, _, _ = list_all(service)
    shown, _, _ = list_all(service, showDeleted=True)

    assert [e["id"] for e in hidden] == [master["id"], exception["id"]]
    assert hidden[1] == {
        "kind": "calendar#event",
        "etag": sim.event(CAL, exception["id"])["etag"],
        "id": exception["id"],
        "status": "cancelled",
        "recurringEventId": master["id"],
        "originalStartTime": {"dateTime": "2026-12-02T10:00:00+01:00"},
    }
    assert [e["id"] for e in shown] == [master["id"], exception["id"], gone["id"]]


def test_bare_cancelled_exception_is_listed_in_its_window(sim, service):
    master = add(sim, summary="series", recurrence=["RRULE:FREQ=DAILY;COUNT=5"])
    bare = {
        "id": f"{master['id']}_20261203T090000Z",
        "status": "cancelled",
        "recurringEventId": master["id"],
        "originalStartTime": {"dateTime": "2026-12-03T09:00:00Z"},
    }
    sim.put_event(CAL, bare)
    inside, _, _ = list_all(service, timeMin="2026-12-03T00:00:00Z")
    outside, _, _ = list_all(service, timeMax="2026-12-02T00:00:00Z")
    with pytest.raises(ApiError) as no_end:
        sim.put_event(CAL, {"summary": "x", "start": {"date": "2026-12-01"}})

    assert [e["id"] for e in inside] == [master["id"], bare["id"]]
    assert [e["id"] for e in outside] == [master["id"]]
    assert no_end.value.status == 400


def test_time_window(sim, service):
    add(sim, summary="before", start="2026-11-30T08:00:00Z", end="2026-11-30T09:00:00Z")
    add(sim, summary="overlaps start", start="2026-11-30T23:30:00Z", end="2026-12-01T00:30:00Z")
    add(sim, summary="inside", start="2026-12-01T09:00:00Z", end="2026-12-01T10:00:00Z")
    add(sim, summary="after", start="2026-12-03T00:00:00Z", end="2026-12-03T01:00:00Z")
    add(
        sim,
        summary="old series",
        start="2025-01-01T09:00:00Z",
        end="2025-01-01T10:00:00Z",
        recurrence=["RRULE:FREQ=DAILY"],
    )
    sim.put_event(
        CAL, {"summary": "all day", "start": {"date": "2026-12-02"}, "end": {"date": "2026-12-03"}}
    )

    items, _, _ = list_all(
        service, timeMin="2026-12-01T00:00:00Z", timeMax="2026-12-02T12:00:00+01:00"
    )
    assert [e["summary"] for e in items] == ["overlaps start", "inside", "old series", "all day"]


def test_updated_min_q_and_extended_property_filters(sim, service):
    old = add(sim, summary="Old #zoom")
    time.sleep(0.002)
    since = service.events().get(calendarId=CAL, eventId=add(sim)["id"]).execute()["updated"]
    tagged = add(sim, summary="Design review", description="bring #ZOOM link")
    prop = add(sim, summary="p", extendedProperties={"private": {"zoomMeetingId": "42", "x": "1"}})
    sim.delete_event(CAL, old["id"])

    by_q, _, _ = list_all(service, q="#zoom")
    by_prop, _, _ = list_all(service, privateExtendedProperty=["zoomMeetingId=42", "x=1"])
    by_updated, _, _ = list_all(service, updatedMin=since)

    assert [e["id"] for e in by_q] == [tagged["id"]]
    assert [e["id"] for e in by_prop] == [prop["id"]]
    assert {tagged["id"], prop["id"], old["id"]} <= {e["id"] for e in by_updated}
    assert next(e for e in by_updated if e["id"] == old["id"])["status"] == "cancelled"


@pytest.mark.parametrize(
    "param",
    [
        {"q": "zoom"},
        {"timeMin": "2026-01-01T00:00:00Z"},
        {"timeMax": "2026-01-01T00:00:00Z"},
        {"updatedMin": "2026-01-01T00:00:00Z"},
        {"orderBy": "updated"},
        {"privateExtendedProperty": "a=b"},
        {"sharedExtendedProperty": "a=b"},
        {"iCalUID": "x@google.com"},
        {"showDeleted": False},
    ],
)
def test_sync_token_refuses_restrictions(sim, service, param):
    _, token, _ = list_all(service)
    error = http_error(service.events().list(calendarId=CAL, syncToken=token, **param))
    assert error.resp.status == 400
    assert reason(error) == "syncTokenWithRequestRestrictions"


def test_expired_or_garbage_sync_token_gives_410(sim, service):
    _, token, _ = list_all(service)
    sim.expire_sync_tokens()
    expired = http_error(service.events().list(calendarId=CAL, syncToken=token))
    garbage = http_error(service.events().list(calendarId=CAL, syncToken="CPDAlvWDx70CEPDAlvWDx"))
    _, fresh, _ = list_all(service)

    assert json.loads(expired.content) == {
        "error": {
            "code": 410,
            "message": "Sync token is no longer valid, a full sync is required.",
            "errors": [
                {
                    "message": "Sync token is no longer valid, a full sync is required.",
                    "domain": "calendar",
                    "reason": "fullSyncRequired",
                    "location": "syncToken",
                    "locationType": "parameter",
                }
            ],
        }
    }
    assert garbage.resp.status == 410
    assert list_all(service, syncToken=fresh)[0] == []


def test_listing_refuses_what_the_simulator_or_google_cannot_do(sim, service):
    single = http_error(service.events().list(calendarId=CAL, singleEvents=True))
    ordered = http_error(service.events().list(calendarId=CAL, orderBy="startTime"))
    empty = http_error(
        service.events().list(
            calendarId=CAL, timeMin="2026-12-02T00:00:00Z", timeMax="2026-12-01T00:00:00Z"
        )
    )
    assert single.resp.status == ordered.resp.status == 400
    assert reason(empty) == "timeRangeEmpty"


# -- events.get, events.insert -------------------------------------------------------------------
def test_get_unknown_event_is_404_and_a_deleted_one_is_still_there(sim, service, creds):
    event = add(sim)
    sim.delete_event(CAL, event["id"])
    missing = http_error(service.events().get(calendarId=CAL, eventId="nosuchevent"))
    deleted = service.events().get(calendarId=CAL, eventId=event["id"]).execute()
    response, _ = raw(sim, creds, f"/calendar/v3/calendars/{quote(CAL)}/events/{event['id']}")

    assert missing.resp.status == 404 and reason(missing) == "notFound"
    assert deleted["status"] == "cancelled" and deleted["summary"] == "Standup"
    assert response["etag"] == deleted["etag"]


def test_unknown_or_removed_calendar_is_404(sim, service):
    event = add(sim)
    unknown = http_error(service.events().list(calendarId="nobody@example.com"))
    sim.remove_calendar(CAL)
    calls = [
        service.events().list(calendarId=CAL),
        service.events().get(calendarId=CAL, eventId=event["id"]),
        service.events().patch(calendarId=CAL, eventId=event["id"], body={}, sendUpdates="none"),
    ]
    assert json.loads(unknown.content)["error"] == {
        "code": 404,
        "message": "Not Found",
        "errors": [{"message": "Not Found", "domain": "global", "reason": "notFound"}],
        "status": "NOT_FOUND",
    }
    assert [http_error(call).resp.status for call in calls] == [404, 404, 404]


def test_insert(sim, service):
    body = timed("Made by API", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z")
    made = service.events().insert(calendarId=CAL, body=body, sendUpdates="none").execute()
    named = service.events().insert(calendarId=CAL, body={**body, "id": "abcdef12345"}).execute()
    duplicate = http_error(
        service.events().insert(calendarId=CAL, body={**body, "id": "abcdef12345"})
    )
    bad_id = http_error(service.events().insert(calendarId=CAL, body={**body, "id": "Bad_Id"}))
    no_end = http_error(service.events().insert(calendarId=CAL, body={"start": body["start"]}))

    assert sim.event(CAL, made["id"])["summary"] == "Made by API"
    assert named["id"] == "abcdef12345"
    assert sim.last_send_updates[(CAL, made["id"])] == "none"
    assert duplicate.resp.status == 409
    assert bad_id.resp.status == no_end.resp.status == 400


# -- events.patch --------------------------------------------------------------------------------
def test_patch_merges_objects_and_replaces_arrays(sim, service, creds):
    event = add(
        sim,
        description="user text",
        recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
        extendedProperties={"private": {"keep": "1", "drop": "2"}, "shared": {"s": "3"}},
    )
    body = {
        "description": "user text\n-- zoom --",
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"],
        "extendedProperties": {"private": {"drop": None, "zoomMeetingId": "85746065432"}},
    }
    request = service.events().patch(
        calendarId=CAL, eventId=event["id"], body=body, sendUpdates="none"
    )
    request.headers["If-Match"] = event["etag"]
    patched = request.execute()

    assert patched["summary"] == "Standup"
    assert patched["description"] == "user text\n-- zoom --"
    assert patched["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=2"]
    assert patched["extendedProperties"] == {
        "private": {"keep": "1", "zoomMeetingId": "85746065432"},
        "shared": {"s": "3"},
    }
    assert patched["etag"] != event["etag"] and patched["updated"] > event["updated"]
    assert patched == sim.event(CAL, event["id"])
    response, _ = raw(
        sim, creds, f"/calendar/v3/calendars/{quote(CAL)}/events/{event['id']}", "PATCH", {}
    )
    assert response["etag"] == sim.event(CAL, event["id"])["etag"]


def test_patch_with_stale_etag_gives_412(sim, service):
    event = add(sim)
    sim.edit_event(CAL, event["id"], summary="renamed by the user")
    stale = service.events().patch(calendarId=CAL, eventId=event["id"], body={"description": "x"})
    stale.headers["If-Match"] = event["etag"]
    error = http_error(stale)
    fresh = service.events().patch(calendarId=CAL, eventId=event["id"], body={"description": "x"})
    fresh.headers["If-Match"] = sim.event(CAL, event["id"])["etag"]

    assert json.loads(error.content)["error"] == {
        "code": 412,
        "message": "Precondition Failed",
        "errors": [
            {
                "message": "Precondition Failed",
                "domain": "global",
                "reason": "conditionNotMet",
                "location": "If-Match",
                "locationType": "header",
            }
        ],
        "status": "FAILED_PRECONDITION",
    }
    assert "description" not in sim.event(CAL, event["id"])
    assert fresh.execute()["summary"] == "renamed by the user"


def test_a_reader_may_list_but_not_write(sim, service):
    sim.add_calendar("shared@example.com", access_role="reader")
    event = sim.put_event(
        "shared@example.com", timed("Shared", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z")
    )
    page = service.events().list(calendarId="shared@example.com").execute()
    patch = service.events().patch(
        calendarId="shared@example.com", eventId=event["id"], body={"description": "x"}
    )
    error = http_error(patch)

    assert page["accessRole"] == "reader"
    assert service.events().list(calendarId=CAL).execute()["accessRole"] == "owner"
    assert error.resp.status == 403
    assert reason(error) == "requiredAccessLevel"
    assert "description" not in sim.event("shared@example.com", event["id"])


def test_patch_send_updates_is_recorded_and_checked(sim, service, creds):
    event = add(sim)
    path = f"/calendar/v3/calendars/{quote(CAL)}/events/{event['id']}"
    service.events().patch(
        calendarId=CAL, eventId=event["id"], body={}, sendUpdates="all"
    ).execute()
    recorded = sim.last_send_updates[(CAL, event["id"])]
    service.events().patch(calendarId=CAL, eventId=event["id"], body={}).execute()
    response, body = raw(sim, creds, f"{path}?sendUpdates=everyone", "PATCH", {})

    assert recorded == "all"
    assert sim.last_send_updates[(CAL, event["id"])] is None
    assert response.status == 400 and body["error"]["errors"][0]["location"] == "sendUpdates"


def test_patch_refuses_unknown_fields(sim, service):
    event = add(sim)
    error = http_error(
        service.events().patch(calendarId=CAL, eventId=event["id"], body={"descripton": "typo"})
    )
    assert error.resp.status == 400
    assert json.loads(error.content)["error"]["message"] == (
        'Invalid JSON payload received. Unknown name "descripton": Cannot find field.'
    )
    assert sim.event(CAL, event["id"])["etag"] == event["etag"]


def test_patch_cuts_extended_properties_silently(sim, service):
    event = add(sim)
    private = {"k" * 44: "v" * 2000, "k" * 45: "dropped"}
    patched = (
        service.events()
        .patch(
            calendarId=CAL, eventId=event["id"], body={"extendedProperties": {"private": private}}
        )
        .execute()
    )
    assert patched["extendedProperties"]["private"] == {"k" * 44: "v" * 1024}


# -- auth ------------------------------------------------------------------------------------------
def test_api_calls_need_a_token_the_sim_issued(sim):
    url = f"{sim.api_endpoint}calendars/{quote(CAL)}/events"
    missing, missing_body = httplib2.Http().request(url)
    bogus, bogus_body = httplib2.Http().request(url, headers={"Authorization": "Bearer ya29.x"})

    assert (
        missing.status == 401
        and json.loads(missing_body)["error"]["errors"][0]["reason"] == "required"
    )
    assert bogus.status == 401
    error = json.loads(bogus_body)["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["errors"] == [
        {
            "message": "Invalid Credentials",
            "domain": "global",
            "reason": "authError",
            "location": "Authorization",
            "locationType": "header",
        }
    ]


def test_expired_access_token_is_refreshed_by_google_auth(sim, service):
    service.events().list(calendarId=CAL).execute()
    sim.expire_access_tokens()
    service.events().list(calendarId=CAL).execute()

    assert sim.count("token") == 2
    assert [c.status for c in sim.calls("events.list")] == [200, 401, 200]


def test_tokens_expire_after_their_lifetime():
    with GoogleCalendarSim(token_lifetime=0) as sim:
        sim.add_calendar(CAL)
        info = sim.authorized_user_info()
        status, grant = post_token(
            sim,
            {"grant_type": "refresh_token"}
            | {k: info[k] for k in ("client_id", "client_secret", "refresh_token")},
        )
        response, _ = httplib2.Http().request(
            f"{sim.api_endpoint}calendars/{quote(CAL)}/events",
            headers={"Authorization": f"Bearer {grant['access_token']}"},
        )
    assert status == 200 and grant["token_type"] == "Bearer" and grant["scope"] == SCOPE
    assert response.status == 401


def test_refresh_grant_failures(sim, creds):
    info = sim.authorized_user_info()
    wrong_secret = Credentials(
        None,
        refresh_token=info["refresh_token"],
        client_id=info["client_id"],
        client_secret="nope",
        token_uri=sim.token_uri,
    )
    revoked = Credentials(
        None,
        refresh_token="1//revoked",
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_uri=sim.token_uri,
    )
    with pytest.raises(RefreshError, match="invalid_client"):
        calendar_service(sim, wrong_secret).events().list(calendarId=CAL).execute()
    with pytest.raises(RefreshError, match="invalid_grant"):
        calendar_service(sim, revoked).events().list(calendarId=CAL).execute()
    status, body = post_token(sim, {"grant_type": "password"})
    assert status == 400 and body["error"] == "unsupported_grant_type"


def test_service_account_grant(sim):
    service = calendar_service(sim, service_account_creds(sim))
    service.events().list(calendarId=CAL).execute()
    status, grant = post_token(
        sim, {"grant_type": JWT_BEARER, "assertion": assertion(sim.service_account_info())}
    )
    assert sim.token_grants[0] == {"grant_type": JWT_BEARER, "sub": None, "scope": SCOPE}
    assert status == 200 and set(grant) == {"access_token", "expires_in", "token_type"}


def test_domain_wide_delegation_records_the_subject(sim):
    delegated = service_account_creds(sim).with_subject("alice@example.com")
    calendar_service(sim, delegated).events().list(calendarId=CAL).execute()
    assert sim.token_grants == [
        {"grant_type": JWT_BEARER, "sub": "alice@example.com", "scope": SCOPE}
    ]


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"iss": "someone@else.iam.gserviceaccount.com"}, "invalid_grant"),
        ({"aud": "https://example.com/token"}, "invalid_grant"),
        ({"iat": 1_000_000, "exp": 1_003_600}, "invalid_grant"),
        ({"exp": int(time.time()) + 7200}, "invalid_grant"),
        ({"scope": None}, "invalid_scope"),
    ],
)
def test_bad_assertions_are_refused(sim, claims, error):
    status, body = post_token(
        sim,
        {"grant_type": JWT_BEARER, "assertion": assertion(sim.service_account_info(), **claims)},
    )
    assert (status, body["error"]) == (400, error)


def test_assertion_signed_by_another_key_is_refused(sim):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = assertion(sim.service_account_info() | {"private_key": pem.decode()})
    status, body = post_token(sim, {"grant_type": JWT_BEARER, "assertion": forged})
    assert (status, body["error_description"]) == (400, "Invalid JWT Signature.")


# -- the server around it ----------------------------------------------------------------------
def test_injected_faults_use_googles_envelope(sim, service):
    sim.inject("events.list", status=503)
    sim.inject("events.get", status=404)
    unavailable = http_error(service.events().list(calendarId=CAL))
    missing = http_error(service.events().get(calendarId=CAL, eventId="x"))
    service.events().list(calendarId=CAL).execute()

    assert (unavailable.resp.status, reason(unavailable)) == (503, "backendError")
    assert json.loads(unavailable.content)["error"]["status"] == "UNAVAILABLE"
    assert (missing.resp.status, reason(missing)) == (404, "notFound")


def test_concurrent_clients_and_user_edits(sim, creds):
    events = [add(sim, summary=f"e{i}") for i in range(8)]
    failures = []

    def client(event):
        service = calendar_service(sim, creds)  # one Http per thread: httplib2 isn't thread-safe
        for n in range(5):
            try:
                service.events().patch(
                    calendarId=CAL, eventId=event["id"], body={"description": str(n)}
                ).execute()
                sim.edit_event(CAL, event["id"], location=str(n))
            except Exception as exc:  # collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=client, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = sim.events(CAL)

    assert failures == []
    assert len({e["etag"] for e in final}) == 8
    assert all(e["description"] == "4" and e["location"] == "4" for e in final)
    _, token, _ = list_all(calendar_service(sim, creds))
    assert token
