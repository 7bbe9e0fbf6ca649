"""A Google Workspace end to end: the directory's in-scope users found, each calendar read as
its owner, one meeting per event hosted by its organizer, and the scope followed as it
changes; delegation not granted stops syncd before it writes anything."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from syncd.commands.status import collect
from syncd.config import DirectorySection
from tests.conftest import when
from tests.integration.command import one_line_error

DOMAIN = "example.com"
ADMIN = f"it@{DOMAIN}"
GROUP = f"zoomers@{DOMAIN}"
NESTED = f"sales-team@{DOMAIN}"
STAFF = [f"u{n:02d}@{DOMAIN}" for n in range(1, 21)]  # /Staff, u16-u20 in /Staff/Berlin
IN_GROUP = STAFF[:12]  # u01-u08 directly, u09-u12 through the nested group
CONTRACTORS = [f"c{n}@{DOMAIN}" for n in range(1, 4)]  # /Contractors, in the group
SUSPENDED = [f"gone{n}@{DOMAIN}" for n in range(1, 3)]  # in the group, /Staff
ARCHIVED = [f"old{n}@{DOMAIN}" for n in range(1, 3)]  # in the group, /Staff
NO_ZOOM = {STAFF[2], STAFF[5]}  # no Zoom account: the fallback host hosts theirs
FALLBACK = f"desk@{DOMAIN}"
SCOPE = sorted(IN_GROUP)


@pytest.fixture
def domain(google_sim, zoom_sim):
    """About 30 users: staff (some below /Staff), contractors in another org unit, suspended
    and archived users, a group with a nested group, and some users without a Zoom account."""
    google_sim.add_user(ADMIN, admin=True, calendar=False)
    for n, email in enumerate(STAFF):
        unit = "/Staff/Berlin" if n >= 15 else "/Staff"
        google_sim.add_user(email, org_unit=unit, time_zone="Europe/Berlin")
    for email in CONTRACTORS:
        google_sim.add_user(email, org_unit="/Contractors")
    for email in SUSPENDED:
        google_sim.add_user(email, org_unit="/Staff", suspended=True)
    for email in ARCHIVED:
        google_sim.add_user(email, org_unit="/Staff", archived=True)
    google_sim.add_group(NESTED, STAFF[8:12])
    google_sim.add_group(GROUP, [*STAFF[:8], NESTED, *CONTRACTORS, *SUSPENDED, *ARCHIVED])
    zoom_sim.add_user(FALLBACK)
    for email in [*STAFF, *CONTRACTORS]:
        if email not in NO_ZOOM:
            zoom_sim.add_user(email)
    for email in [*STAFF, *CONTRACTORS, *SUSPENDED, *ARCHIVED]:
        google_sim.put_event(email, {"summary": f"Sync of {email} #zoom", **when(days=2)})
        google_sim.put_event(email, {"summary": f"Lunch of {email}", **when(days=3)})
    return google_sim


@pytest.fixture
def workspace_config(config, google_sim, tmp_path: Path):
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(google_sim.service_account_info()))
    directory = DirectorySection(
        admin=ADMIN, group=GROUP, org_unit="/Staff", api_endpoint=google_sim.directory_endpoint
    )
    google = config.google.model_copy(
        update={
            "credentials_file": str(credentials),
            "act_as": "owner",
            "calendars": [],
            "directory": directory,
        }
    )
    zoom = config.zoom.model_copy(update={"host": "organizer", "host_fallback": FALLBACK})
    return config.model_copy(update={"google": google, "zoom": zoom})


def calendar_calls(sim):
    return [r for r in sim.calls() if r.route.startswith("events.")]


def test_every_in_scope_calendar_is_linked_once_as_its_owner(
    domain, zoom_sim, make_app, workspace_config
):
    report = make_app(workspace_config).run_pass()

    assert report.ok, report
    assert sorted(c.calendar_id for c in report.calendars) == SCOPE
    meetings = zoom_sim.meetings()
    assert Counter(m["topic"] for m in meetings) == Counter(f"Sync of {email}" for email in SCOPE)
    hosts = {m["topic"].split()[2]: m["host_email"] for m in meetings}
    assert hosts == {e: FALLBACK if e in NO_ZOOM else e for e in SCOPE}
    calls = calendar_calls(domain)
    assert calls and all(domain.identity_of(r) == r.path.split("/")[4] for r in calls)
    touched = {r.path.split("/")[4] for r in calls}
    assert touched == set(SCOPE)  # no request at all for anyone out of scope
    joins = {m["topic"].split()[2]: m["join_url"] for m in meetings}
    for email in SCOPE:
        linked = [e for e in domain.events(email) if joins[email] in (e.get("description") or "")]
        assert len(linked) == 1


def test_the_next_pass_follows_the_directory(domain, zoom_sim, make_app, workspace_config):
    make_app(workspace_config).run_pass()
    domain.add_member(GROUP, STAFF[15])  # joins: /Staff/Berlin is below /Staff
    domain.update_user(STAFF[0], suspended=True)  # leaves
    domain.put_event(STAFF[1], {"summary": "Retro #zoom", **when(days=4)})
    domain.reset_log()

    app = make_app(workspace_config)
    report = app.run_pass()

    assert report.ok, report
    calendars = sorted(c.calendar_id for c in report.calendars)
    assert calendars == sorted({*SCOPE, STAFF[15]} - {STAFF[0]})
    topics = Counter(m["topic"] for m in zoom_sim.meetings())
    assert topics[f"Sync of {STAFF[15]}"] == 1
    assert topics["Retro"] == 1
    assert topics[f"Sync of {STAFF[0]}"] == 1  # the meeting stays
    assert STAFF[0] not in {r.path.split("/")[4] for r in calendar_calls(domain)}
    states = {c["id"]: c["out_of_scope_since"] for c in collect(app.store)["calendars"]}
    assert states[STAFF[0]] is not None
    assert all(states[email] is None for email in calendars)

    domain.update_user(STAFF[0], suspended=False)  # comes back: resumed, no duplicate
    again = make_app(workspace_config).run_pass()
    assert again.ok and STAFF[0] in {c.calendar_id for c in again.calendars}
    assert Counter(m["topic"] for m in zoom_sim.meetings())[f"Sync of {STAFF[0]}"] == 1


def test_an_invitation_copy_gets_no_meeting_of_its_own(
    domain, zoom_sim, make_app, workspace_config
):
    organizer, guest = STAFF[0], STAFF[1]
    event = domain.put_event(organizer, {"summary": "Planning #zoom", **when(days=5)})
    copy = {k: v for k, v in event.items() if k not in ("etag", "updated", "created")}
    domain.put_event(guest, copy | {"organizer": {"email": organizer, "self": False}})

    assert make_app(workspace_config).run_pass().ok

    planning = [m for m in zoom_sim.meetings() if m["topic"] == "Planning"]
    assert len(planning) == 1 and planning[0]["host_email"] == organizer


def test_delegation_not_granted_is_exit_2_and_nothing_written(
    domain, zoom_sim, syncd, workspace_config, tmp_path
):
    domain.delegated_scopes.discard("https://www.googleapis.com/auth/calendar.events")
    path = write_config(tmp_path, workspace_config)

    result = syncd("--config", str(path), "sync")

    assert result.returncode == 2
    line = one_line_error(result)
    assert "domain-wide delegation is not granted" in line
    assert "https://www.googleapis.com/auth/calendar.events" in line
    assert domain.service_account_info()["client_id"] in line
    assert calendar_calls(domain) == []
    assert [r for r in zoom_sim.calls() if r.method != "GET" and r.route != "token"] == []


def write_config(tmp_path: Path, config) -> Path:
    directory = config.google.directory
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[sync]
database_url = "{config.sync.database_url}"
[google]
credentials_file = "{config.google.credentials_file}"
act_as = "owner"
api_endpoint = "{config.google.api_endpoint}"
[google.directory]
admin = "{directory.admin}"
group = "{directory.group}"
org_unit = "{directory.org_unit}"
api_endpoint = "{directory.api_endpoint}"
[zoom]
api_base_url = "{config.zoom.api_base_url}"
token_url = "{config.zoom.token_url}"
host = "organizer"
host_fallback = "{config.zoom.host_fallback}"
"""
    )
    return path


def test_each_identity_spends_its_own_quota_and_none_is_refused(
    domain, zoom_sim, make_app, workspace_config
):
    """Each user allows 8 requests per (shortened, 2-second) window, the project 40: the
    owners' requests together go past one identity's budget in a window, none past its own,
    and Google refuses none."""
    for email in SCOPE[:4]:
        for n in range(6):
            domain.put_event(email, {"summary": f"Standup {n} #zoom", **when(days=6 + n)})
    domain.requests_per_minute, domain.project_requests_per_minute = 240, 1200
    domain.quota_window = 2.0
    google = workspace_config.google.model_copy(
        update={"requests_per_minute": 240, "project_requests_per_minute": 1200}
    )
    sync = workspace_config.sync.model_copy(update={"workers": 8})
    config = workspace_config.model_copy(update={"google": google, "sync": sync})

    report = make_app(config, quota_window=2.0).run_pass()

    assert report.ok, report
    assert domain.quota_refusals() == 0
    peaks = domain.identity_peaks()
    assert max(peaks[email] for email in SCOPE) <= 8
    assert domain.peak_in_window() > 8


# -- syncd check -------------------------------------------------------------------------------
def run_check(syncd, workspace_config, tmp_path):
    result = syncd("--config", str(write_config(tmp_path, workspace_config)), "check")
    assert "Traceback" not in result.stderr
    return result


def test_check_counts_the_scope_and_proves_delegation(domain, syncd, workspace_config, tmp_path):
    result = run_check(syncd, workspace_config, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    out = len(STAFF) - len(IN_GROUP) + len(CONTRACTORS) + len(SUSPENDED) + len(ARCHIVED) + 1
    assert (
        f"google: directory as {ADMIN}: {len(SCOPE)} users in scope, {out} out of scope "
        "(suspended, archived, or outside the group or organizational unit)"
    ) in lines
    assert f"google: domain-wide delegation: granted (a token acting as {SCOPE[0]})" in lines
    assert any(
        line.startswith(f"google: calendar {SCOPE[0]}: readable and writable") for line in lines
    )
    assert {r.method for r in domain.calls()} <= {"GET", "POST"}  # POST: the token endpoint only
    assert {r.route for r in domain.calls() if r.method == "POST"} == {"token"}


@pytest.mark.parametrize(
    ("withheld", "who"),
    [
        ("https://www.googleapis.com/auth/calendar.events", SCOPE[0]),
        ("https://www.googleapis.com/auth/admin.directory.group.member.readonly", ADMIN),
    ],
)
def test_check_names_the_delegation_missing_and_its_fix(
    domain, syncd, workspace_config, tmp_path, withheld, who
):
    domain.delegated_scopes.discard(withheld)

    result = run_check(syncd, workspace_config, tmp_path)

    assert result.returncode == 2
    problem = [line for line in result.stdout.splitlines() if ": PROBLEM: " in line]
    assert problem == [
        f"google: PROBLEM: domain-wide delegation is not granted for acting as {who} with "
        + (
            withheld
            if who != ADMIN
            else "https://www.googleapis.com/auth/admin.directory.user.readonly " + withheld
        )
    ]
    fix = result.stdout.split(problem[0])[1].splitlines()[1].strip()
    client_id = domain.service_account_info()["client_id"]
    assert fix.startswith(
        "fix: grant it in the Admin console, Security, API controls, Domain-wide delegation: "
        f"client id {client_id}, scopes https://www.googleapis.com/auth/calendar.events,"
    )


def test_check_says_when_the_admin_is_no_administrator(domain, syncd, workspace_config, tmp_path):
    directory = workspace_config.google.directory.model_copy(update={"admin": STAFF[0]})
    google = workspace_config.google.model_copy(update={"directory": directory})

    result = run_check(syncd, workspace_config.model_copy(update={"google": google}), tmp_path)

    assert result.returncode == 2
    assert (
        f"fix: give {STAFF[0]} an admin role that may read the directory's users and groups"
        in result.stdout
    )
