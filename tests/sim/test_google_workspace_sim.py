"""The Google simulator as a Workspace: domain-wide delegation, calendars seen by their owners,
quotas per identity and per project over a sliding window, and the Admin SDK Directory API,
driven by the real google-auth and googleapiclient."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from syncd.sim.google import GoogleCalendarSim
from tests.conftest import _check_google_requests

AUTH = "https://www.googleapis.com/auth/"
EVENTS = AUTH + "calendar.events"
USERS = AUTH + "admin.directory.user.readonly"
MEMBERS = AUTH + "admin.directory.group.member.readonly"
ADMIN = "admin@example.com"
ADA = "ada@example.com"
BOB = "bob@example.com"
EVE = "eve@example.com"
EVENT = {
    "summary": "Standup",
    "start": {"dateTime": "2026-12-01T09:00:00Z"},
    "end": {"dateTime": "2026-12-01T09:30:00Z"},
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- fixtures and helpers ----------------------------------------------------------------------
@pytest.fixture
def sim():
    with GoogleCalendarSim() as server:
        server.add_user(ADMIN, admin=True)
        server.add_user(ADA, org_unit="/Sales", time_zone="Europe/Berlin")
        server.add_user(BOB, org_unit="/Sales/East")
        server.add_user(EVE, org_unit="/SalesOps")
        yield server
        _check_google_requests(server)


@pytest.fixture
def clock(sim):
    sim.clock = FakeClock()
    return sim.clock


def as_user(sim, email, *scopes):
    base = service_account.Credentials.from_service_account_info(
        sim.service_account_info(), scopes=list(scopes or [EVENTS])
    )
    return base.with_subject(email) if email else base


def calendar(sim, credentials):
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": sim.api_endpoint},
    )


def directory(sim, credentials=None):
    return build(
        "admin",
        "directory_v1",
        credentials=credentials or as_user(sim, ADMIN, USERS, MEMBERS),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": sim.directory_endpoint},
    )


def events_of(sim, email, calendar_id="primary"):
    service = calendar(sim, as_user(sim, email))
    return service.events().list(calendarId=calendar_id).execute()


def http_error(request):
    with pytest.raises(HttpError) as caught:
        request.execute()
    error = json.loads(caught.value.content)["error"]
    return caught.value.resp.status, error["errors"][0]["reason"], error["message"]


def post_token(sim, assertion):
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    response, content = httplib2.Http().request(
        sim.token_uri,
        "POST",
        urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    return response.status, json.loads(content)


def signed_assertion(credentials):
    return credentials._make_authorization_grant_assertion()


def all_pages(request, listing, key):
    rows, pages = [], 0
    while request is not None:
        page = request.execute()
        rows += page.get(key, [])
        pages += 1
        request = listing.list_next(request, page)
    return rows, pages


# -- domain-wide delegation ---------------------------------------------------------------------
def test_a_delegated_token_acts_as_the_user(sim):
    events_of(sim, ADA)
    events_of(sim, "Bob@Example.com")

    assert [sim.identity_of(c) for c in sim.calls("events.list")] == [ADA, BOB]
    assert [g["sub"] for g in sim.token_grants] == [ADA, "Bob@Example.com"]
    assert sim.identity_of(sim.calls("token")[0]) is None


def test_scopes_not_delegated_are_unauthorized_client(sim):
    sim.delegated_scopes.discard(EVENTS)
    with pytest.raises(RefreshError, match="unauthorized_client"):
        events_of(sim, ADA)
    sim.delegated_scopes.add(EVENTS)
    events_of(sim, ADA)
    status, body = post_token(sim, signed_assertion(as_user(sim, ADA, EVENTS, AUTH + "calendar")))

    assert status == 401
    assert body == {
        "error": "unauthorized_client",
        "error_description": "Client is unauthorized to retrieve access tokens using this "
        "method, or client not authorized for any of the scopes requested.",
    }


@pytest.mark.parametrize("change", ["unknown", "deleted", "suspended", "archived"])
def test_a_subject_that_is_no_active_user_is_invalid_grant(sim, change):
    subject = "nobody@example.com" if change == "unknown" else BOB
    if change == "deleted":
        sim.delete_user(BOB)
    elif change != "unknown":
        sim.update_user(BOB, **{change: True})

    with pytest.raises(RefreshError, match="invalid_grant"):
        events_of(sim, subject)
    status, body = post_token(sim, signed_assertion(as_user(sim, subject)))

    assert (status, body) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid email or User ID"},
    )


def test_without_a_directory_any_subject_is_accepted():
    with GoogleCalendarSim() as sim:
        sim.add_calendar("team@group.calendar.google.com")
        service = calendar(sim, as_user(sim, "whoever@example.org"))
        service.events().list(calendarId="team@group.calendar.google.com").execute()
        assert sim.identity_of(sim.calls("events.list")[0]) == "whoever@example.org"


def test_tokens_without_a_subject_act_as_the_credentials(sim):
    sim.add_calendar("team@group.calendar.google.com")
    account = calendar(sim, as_user(sim, None))
    account.events().list(calendarId="team@group.calendar.google.com").execute()
    info = sim.authorized_user_info()
    user = Credentials(
        None,
        refresh_token=info["refresh_token"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_uri=sim.token_uri,
    )
    calendar(sim, user).events().list(calendarId="team@group.calendar.google.com").execute()
    hidden = http_error(account.events().list(calendarId=ADA))

    account_email = sim.service_account_info()["client_email"]
    identities = [sim.identity_of(c) for c in sim.calls("events.list")]
    assert identities == [account_email, "authorized-user", account_email]
    assert hidden == (404, "notFound", "Not Found")


# -- calendars and who sees them ------------------------------------------------------------------
def test_each_users_calendar_is_seen_by_its_owner_only(sim):
    event = sim.put_event(ADA, EVENT)
    own = events_of(sim, ADA, ADA)
    bob = calendar(sim, as_user(sim, BOB))

    assert [e["id"] for e in own["items"]] == [event["id"]]
    assert own["accessRole"] == "owner" and own["timeZone"] == "Europe/Berlin"
    assert http_error(bob.events().list(calendarId=ADA)) == (404, "notFound", "Not Found")
    assert http_error(bob.events().get(calendarId=ADA, eventId=event["id"]))[0] == 404
    patch = bob.events().patch(calendarId=ADA, eventId=event["id"], body={"summary": "x"})
    assert http_error(patch)[0] == 404
    assert sim.event(ADA, event["id"])["summary"] == "Standup"


def test_primary_is_the_callers_own_calendar(sim):
    ada_event = sim.put_event(ADA, EVENT)
    bob_event = sim.put_event(BOB, EVENT | {"summary": "Bob's"})

    assert [e["id"] for e in events_of(sim, ADA)["items"]] == [ada_event["id"]]
    assert [e["id"] for e in events_of(sim, BOB)["items"]] == [bob_event["id"]]
    service = calendar(sim, as_user(sim, ADA))
    service.events().patch(
        calendarId="primary", eventId=ada_event["id"], body={"location": "A"}
    ).execute()
    assert sim.event(ADA, ada_event["id"])["location"] == "A"


def test_a_shared_calendar_is_seen_with_its_role(sim):
    event = sim.put_event(ADA, EVENT)
    sim.share_calendar(ADA, BOB, "reader")
    bob = calendar(sim, as_user(sim, BOB))

    listing = bob.events().list(calendarId=ADA).execute()
    refused = http_error(
        bob.events().patch(calendarId=ADA, eventId=event["id"], body={"location": "B"})
    )
    sim.share_calendar(ADA, BOB, "writer")
    bob.events().patch(calendarId=ADA, eventId=event["id"], body={"location": "B"}).execute()

    assert listing["accessRole"] == "reader" and len(listing["items"]) == 1
    assert refused == (
        403,
        "requiredAccessLevel",
        "You need to have writer access to this calendar.",
    )
    assert sim.event(ADA, event["id"])["location"] == "B"
    assert http_error(calendar(sim, as_user(sim, EVE)).events().list(calendarId=ADA))[0] == 404


def test_a_token_without_a_scope_of_the_method_is_refused(sim):
    sim.delegated_scopes.add(AUTH + "calendar.events.readonly")
    reader = calendar(sim, as_user(sim, ADA, AUTH + "calendar.events.readonly"))
    event = sim.put_event(ADA, EVENT)

    reader.events().list(calendarId="primary").execute()
    write = reader.events().patch(calendarId="primary", eventId=event["id"], body={"location": "x"})
    no_calendar = calendar(sim, as_user(sim, ADA, USERS)).events().list(calendarId="primary")
    no_directory = directory(sim, as_user(sim, ADMIN, EVENTS)).users().list(customer="my_customer")

    insufficient = (
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
    )
    assert http_error(write) == insufficient
    assert http_error(no_calendar) == insufficient
    assert http_error(no_directory) == insufficient


# -- quotas ---------------------------------------------------------------------------------------
def test_each_identitys_quota_slides(sim, clock):
    sim.quota_window = 10.0
    sim.requests_per_minute = 18  # 3 a 10-second window
    ada = calendar(sim, as_user(sim, ADA)).events()
    bob = calendar(sim, as_user(sim, BOB)).events()

    def ada_lists_at(now):
        clock.now = 1000.0 + now
        try:
            ada.list(calendarId="primary").execute()
        except HttpError as exc:
            return exc.resp.status, exc.error_details[0]["reason"]
        return 200

    statuses = [ada_lists_at(t) for t in (0, 4, 8, 9.9)]
    bob.list(calendarId="primary").execute()  # another identity's budget
    statuses += [ada_lists_at(t) for t in (10, 10.5, 14, 14)]

    refused = (403, "userRateLimitExceeded")
    assert statuses == [200, 200, 200, refused, 200, refused, 200, refused]
    assert sim.quota_refusals() == 3
    assert sim.peak_in_window(ADA) == 3 and sim.peak_in_window(BOB) == 1
    assert sim.identity_peaks() == {ADA: 3, BOB: 1}


def test_quota_refusal_is_googles_403(sim, clock):
    sim.requests_per_minute = 1
    service = calendar(sim, as_user(sim, ADA)).events()
    service.list(calendarId="primary").execute()
    with pytest.raises(HttpError) as caught:
        service.list(calendarId="primary").execute()

    error = json.loads(caught.value.content)["error"]
    assert error["code"] == 403 and error["message"] == "User Rate Limit Exceeded"
    assert error["errors"] == [
        {
            "message": "User Rate Limit Exceeded",
            "domain": "usageLimits",
            "reason": "userRateLimitExceeded",
        }
    ]


def test_refused_requests_do_not_count(sim, clock):
    sim.quota_window = 10.0
    sim.requests_per_minute = 12  # 2 a window
    service = calendar(sim, as_user(sim, ADA)).events()
    for _ in range(2):
        service.list(calendarId="primary").execute()
    clock.now += 9
    for _ in range(3):
        assert http_error(service.list(calendarId="primary"))[1] == "userRateLimitExceeded"
    clock.now += 1
    for _ in range(2):
        service.list(calendarId="primary").execute()

    assert [c.status for c in sim.calls("events.list")] == [200, 200, 403, 403, 403, 200, 200]
    assert sim.peak_in_window(ADA) == 2


def test_the_projects_quota_counts_every_identity(sim, clock):
    sim.quota_window = 10.0
    sim.project_requests_per_minute = 24  # 4 a window, for everyone together
    services = {who: calendar(sim, as_user(sim, who)).events() for who in (ADA, BOB, EVE)}
    for who in (ADA, ADA, BOB, BOB):
        services[who].list(calendarId="primary").execute()

    refused = http_error(services[EVE].list(calendarId="primary"))
    clock.now += 10
    services[EVE].list(calendarId="primary").execute()

    assert refused == (403, "rateLimitExceeded", "Rate Limit Exceeded")
    assert sim.peak_in_window() == 4 and sim.quota_refusals() == 1


def test_each_api_has_its_own_quota_and_the_token_endpoint_none(sim, clock):
    sim.requests_per_minute = 1
    admin = directory(sim)
    admin.users().list(customer="my_customer").execute()
    refused = http_error(admin.members().list(groupKey="nobody@example.com"))
    calendar(sim, as_user(sim, ADMIN)).events().list(calendarId="primary").execute()

    assert sim.count("token") == 2
    assert refused[:2] == (403, "userRateLimitExceeded")
    assert sim.peak_in_window(ADMIN, api="directory") == 1 == sim.peak_in_window(ADMIN)
    assert sim.identity_peaks("directory") == {ADMIN: 1} and sim.quota_refusals() == 1


# -- the Directory API ----------------------------------------------------------------------------
def test_only_an_administrator_may_use_the_directory(sim):
    not_authorized = (403, "forbidden", "Not Authorized to access this resource/api")
    as_ada = directory(sim, as_user(sim, ADA, USERS, MEMBERS))
    as_account = directory(sim, as_user(sim, None, USERS, MEMBERS))
    assert http_error(as_ada.users().list(customer="my_customer")) == not_authorized
    assert http_error(as_account.users().list(customer="my_customer")) == not_authorized
    sim.add_group("team@example.com", [ADA])
    assert http_error(as_ada.members().list(groupKey="team@example.com")) == not_authorized
    assert directory(sim).members().list(groupKey="team@example.com").execute()["members"]


def test_users_list_pages_through_every_user(sim):
    for n in range(6):
        sim.add_user(f"user{n}@example.com")
    users = directory(sim).users()

    rows, pages = all_pages(users.list(customer="my_customer", maxResults=3), users, "users")
    one_page = users.list(customer=sim.customer_id, maxResults=500).execute()

    emails = [u["primaryEmail"] for u in rows]
    assert pages == 4 and len(emails) == 10 == len(set(emails))
    assert emails == sorted(emails)
    assert [u["primaryEmail"] for u in one_page["users"]] == emails
    assert "nextPageToken" not in one_page and one_page["kind"] == "admin#directory#users"
    ada = next(u for u in rows if u["primaryEmail"] == ADA)
    assert ada["kind"] == "admin#directory#user" and ada["orgUnitPath"] == "/Sales"
    assert ada["customerId"] == sim.customer_id and ada["name"]["fullName"] == "Ada"
    assert (ada["isAdmin"], ada["suspended"], ada["archived"]) == (False, False, False)


def test_users_list_shows_suspended_and_archived_users_with_their_flags(sim):
    sim.update_user(BOB, suspended=True)
    sim.add_user("old@example.com", archived=True)
    sim.delete_user(EVE)
    users = directory(sim).users()

    listed = users.list(customer="my_customer").execute()["users"]
    deleted = users.list(customer="my_customer", showDeleted="true").execute()["users"]

    flags = {u["primaryEmail"]: (u["suspended"], u["archived"]) for u in listed}
    assert flags == {
        ADMIN: (False, False),
        ADA: (False, False),
        BOB: (True, False),
        "old@example.com": (False, True),
    }
    assert [u["primaryEmail"] for u in deleted] == [EVE]
    assert next(u for u in listed if u["primaryEmail"] == ADMIN)["isAdmin"] is True


def test_users_list_by_org_unit_includes_the_units_below(sim):
    users = directory(sim).users()

    def emails(**params):
        page = users.list(customer="my_customer", **params).execute()
        return [u["primaryEmail"] for u in page.get("users", [])]

    assert emails(query="orgUnitPath='/Sales'") == [ADA, BOB]
    assert emails(query="orgUnitPath=/Sales/East") == [BOB]
    assert emails(query="orgUnitPath='/'") == [ADA, ADMIN, BOB, EVE]
    assert emails(query="orgUnitPath='/Marketing'") == []
    sim.update_user(ADA, suspended=True)
    assert emails(query="orgUnitPath='/Sales' isSuspended=false") == [BOB]
    assert emails(query="isAdmin=true") == [ADMIN]


def test_users_list_needs_a_customer_or_a_domain_of_its_own(sim):
    sim.add_user("zed@other.org")
    users = directory(sim).users()

    by_domain = users.list(domain="other.org").execute()["users"]
    both = users.list(customer="my_customer", domain="example.com").execute()["users"]

    assert [u["primaryEmail"] for u in by_domain] == ["zed@other.org"]
    assert "zed@other.org" not in [u["primaryEmail"] for u in both]
    assert http_error(users.list()) == (400, "badRequest", "Bad Request")
    assert http_error(users.list(customer="C0other"))[:2] == (403, "forbidden")
    assert http_error(users.list(domain="example.net"))[:2] == (403, "forbidden")


def test_members_list_pages_and_flattens_nested_groups(sim):
    sim.add_group("all@example.com", [ADMIN, "sales@example.com"])
    sim.add_group("sales@example.com", [ADA, "east@example.com"])
    sim.add_group("east@example.com", [BOB, "all@example.com"])  # a cycle: listed once
    members = directory(sim).members()

    direct = members.list(groupKey="all@example.com").execute()["members"]
    derived, pages = all_pages(
        members.list(groupKey="all@example.com", includeDerivedMembership=True, maxResults=2),
        members,
        "members",
    )

    assert [(m["email"], m["type"]) for m in direct] == [
        (ADMIN, "USER"),
        ("sales@example.com", "GROUP"),
    ]
    assert [m["email"] for m in derived] == [
        ADMIN,
        "sales@example.com",
        ADA,
        "east@example.com",
        BOB,
    ]
    assert pages == 3
    assert {(m["kind"], m["role"], m["status"]) for m in derived} == {
        ("admin#directory#member", "MEMBER", "ACTIVE")
    }
    users = [m["email"] for m in derived if m["type"] == "USER"]
    assert users == [ADMIN, ADA, BOB]


def test_members_list_follows_changes_and_refuses_unknown_groups(sim):
    sim.add_group("team@example.com", [ADA, BOB])
    sim.remove_member("team@example.com", ADA)
    sim.add_member("team@example.com", EVE, role="OWNER")
    sim.delete_user(BOB)
    members = directory(sim).members()

    listed = members.list(groupKey="Team@Example.com").execute()["members"]
    owners = members.list(groupKey="team@example.com", roles="OWNER").execute()["members"]

    assert [(m["email"], m["role"]) for m in listed] == [(EVE, "OWNER")]
    assert [m["email"] for m in owners] == [EVE]
    missing = http_error(members.list(groupKey="nobody@example.com"))
    assert missing == (404, "notFound", "Resource Not Found: groupKey")
    assert http_error(members.list(groupKey="team@example.com", maxResults=201))[0] == 400
