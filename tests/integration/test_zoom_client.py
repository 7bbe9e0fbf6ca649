"""The Zoom client against the simulator: one token, shared; errors become typed exceptions."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime

import pytest

from syncd.adapters.zoom import ZoomClient
from syncd.core.domain import MeetingSpec, MeetingType
from syncd.core.errors import (
    HostUnknown,
    MeetingNotFound,
    ZoomAuthError,
    ZoomDailyLimit,
    ZoomRejected,
    ZoomUnavailable,
)
from syncd.sim.zoom import OWNER_EMAIL
from tests.conftest import FAST_RETRY

SPEC = MeetingSpec(
    topic="Planning",
    agenda="syncd-ref:x",
    type=MeetingType.SCHEDULED,
    host="me",
    start_time="2026-10-25T01:30:00Z",
    duration=30,
    timezone="Europe/Berlin",
)


@pytest.fixture
def client(zoom_sim, zoom_credentials):
    client = ZoomClient(
        zoom_credentials,
        api_base_url=zoom_sim.api_base_url,
        token_url=zoom_sim.token_url,
        timeout=5,
        retry=FAST_RETRY,
    )
    yield client
    client.close()


def test_concurrent_callers_share_one_token_fetch(client, zoom_sim):
    zoom_sim.inject("token", latency=0.3)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.user("me")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert zoom_sim.count("token") == 1
    assert zoom_sim.count("users.get") == 8


def test_the_repeated_hour_of_a_dst_night_keeps_its_instant(client, zoom_sim):
    # 02:30 on 25 Oct 2026 happens twice in Berlin; UTC with Z names exactly one of them.
    meeting = client.create_meeting(SPEC)
    stored = zoom_sim.meeting(meeting.id)
    assert stored["start_time"] == "2026-10-25T01:30:00Z"
    assert stored["timezone"] == "Europe/Berlin"
    assert meeting.start_time == SPEC.start_time


def test_missing_meeting_is_zoom_not_found(client):
    with pytest.raises(MeetingNotFound) as err:
        client.get_meeting(99999999999)
    assert err.value.code == 3001


def test_an_unknown_host_is_host_unknown(client):
    with pytest.raises(HostUnknown) as err:
        client.create_meeting(MeetingSpec(**{**SPEC.__dict__, "host": "nobody@sim.example"}))
    assert (err.value.status, err.value.code) == (404, 1001)


def test_validation_failure_is_rejected(client, zoom_sim):
    with pytest.raises(ZoomRejected) as err:
        client.create_meeting(MeetingSpec(**{**SPEC.__dict__, "topic": "x" * 201}))
    assert err.value.code == 300
    assert zoom_sim.meetings() == []
    zoom_sim.reset_log()  # the deliberately invalid body is not one syncd would send


def test_server_errors_on_create_are_not_retried_blindly(client, zoom_sim):
    zoom_sim.inject("meetings.create", status=502, times=None)
    with pytest.raises(ZoomUnavailable) as err:
        client.create_meeting(SPEC)
    assert err.value.retry_safe is False
    assert zoom_sim.count("meetings.create") == 1


def test_server_errors_on_reads_are_retried(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    zoom_sim.inject("meetings.get", status=503)
    assert client.get_meeting(meeting.id).id == meeting.id
    assert [c.status for c in zoom_sim.calls("meetings.get")] == [503, 200]


def test_daily_limit_names_the_time_to_resume(client, zoom_sim):
    zoom_sim.limits.daily_limit = 0
    with pytest.raises(ZoomDailyLimit) as err:
        client.create_meeting(SPEC)
    now = datetime.now(UTC)
    assert err.value.retry_at > now
    assert (err.value.retry_at.hour, err.value.retry_at.minute) == (0, 0)


def test_wrong_credentials_are_an_auth_error(zoom_sim, zoom_credentials):
    from pydantic import SecretStr

    from syncd.adapters.zoom import ZoomCredentials

    wrong = ZoomCredentials(
        zoom_credentials.account_id, zoom_credentials.client_id, SecretStr("nope")
    )
    client = ZoomClient(
        wrong, api_base_url=zoom_sim.api_base_url, token_url=zoom_sim.token_url, retry=FAST_RETRY
    )
    with pytest.raises(ZoomAuthError, match=r"invalid_client|Invalid client"):
        client.user("me")
    client.close()


def test_missing_scopes_are_reported(zoom_sim, zoom_credentials):
    zoom_sim.scope = "meeting:read:meeting:admin"
    client = ZoomClient(
        zoom_credentials, api_base_url=zoom_sim.api_base_url, token_url=zoom_sim.token_url
    )
    assert client.missing_scopes() == [
        "meeting:write:meeting:admin",
        "meeting:update:meeting:admin",
        "meeting:delete:meeting:admin",
        "meeting:read:list_meetings:admin",
    ]
    client.close()


def test_classic_scopes_cover_updates_and_deletes(zoom_sim, zoom_credentials):
    zoom_sim.scope = "meeting:write:admin meeting:read:admin user:read:admin"
    client = ZoomClient(
        zoom_credentials, api_base_url=zoom_sim.api_base_url, token_url=zoom_sim.token_url
    )
    assert client.missing_scopes() == []
    client.close()


def test_token_is_replaced_before_zoom_expires_it(zoom_sim, zoom_credentials):
    import time

    zoom_sim.token_lifetime = 2  # syncd renews at half the lifetime when it is this short
    client = ZoomClient(
        zoom_credentials,
        api_base_url=zoom_sim.api_base_url,
        token_url=zoom_sim.token_url,
        retry=FAST_RETRY,
    )
    client.user("me")
    client.user("me")
    time.sleep(1.2)
    client.user("me")
    client.close()
    assert zoom_sim.count("token") == 2
    assert all(call.status == 200 for call in zoom_sim.calls("users.get"))


def test_update_changes_the_meeting_in_place(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    before = zoom_sim.meeting(meeting.id)
    client.patch_meeting(
        meeting.id,
        {
            "topic": "Retro",
            "start_time": "2026-11-02T15:00:00Z",
            "duration": 45,
            "timezone": "Asia/Tokyo",
        },
    )
    after = zoom_sim.meeting(meeting.id)
    assert (after["topic"], after["start_time"], after["duration"], after["timezone"]) == (
        "Retro",
        "2026-11-02T15:00:00Z",
        45,
        "Asia/Tokyo",
    )
    assert (after["id"], after["join_url"]) == (before["id"], before["join_url"])
    assert [c.status for c in zoom_sim.calls("meetings.update")] == [204]


def test_update_with_schedule_for_moves_the_host(client, zoom_sim):
    zoom_sim.add_user("ana@sim.example")
    meeting = client.create_meeting(SPEC)
    assert zoom_sim.meeting(meeting.id)["host_email"] == OWNER_EMAIL
    client.patch_meeting(meeting.id, {"schedule_for": "ana@sim.example"})
    assert zoom_sim.meeting(meeting.id)["host_email"] == "ana@sim.example"


def test_update_of_a_meeting_deleted_out_of_band_is_not_found(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    zoom_sim.delete_out_of_band(meeting.id)
    with pytest.raises(MeetingNotFound) as err:
        client.patch_meeting(meeting.id, {"topic": "Gone"})
    assert (err.value.status, err.value.code) == (404, 3001)


def test_update_of_a_started_meeting_is_rejected(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    zoom_sim.start_meeting(meeting.id)
    with pytest.raises(ZoomRejected) as err:
        client.patch_meeting(meeting.id, {"topic": "Late"})
    assert (err.value.status, err.value.code) == (400, 3000)
    assert zoom_sim.count("meetings.update") == 1


def test_server_errors_on_update_are_retried(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    zoom_sim.inject("meetings.update", status=503)
    client.patch_meeting(meeting.id, {"topic": "Retro"})
    assert [c.status for c in zoom_sim.calls("meetings.update")] == [503, 204]
    assert zoom_sim.meeting(meeting.id)["topic"] == "Retro"


def test_delete_is_true_then_false_once_gone(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    assert client.delete_meeting(meeting.id) is True
    assert client.delete_meeting(meeting.id) is False
    assert zoom_sim.meetings() == []
    assert [c.status for c in zoom_sim.calls("meetings.delete")] == [204, 404]


def test_delete_sends_no_cancellation_emails(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    client.delete_meeting(meeting.id)
    [call] = zoom_sim.calls("meetings.delete")
    assert call.query == {"schedule_for_reminder": ["false"], "cancel_meeting_reminder": ["false"]}


def test_delete_of_a_started_meeting_is_rejected(client, zoom_sim):
    meeting = client.create_meeting(SPEC)
    zoom_sim.start_meeting(meeting.id)
    with pytest.raises(ZoomRejected) as err:
        client.delete_meeting(meeting.id)
    assert err.value.code == 3002


def test_active_user_emails_follows_every_page(client, zoom_sim):
    added = [zoom_sim.add_user(f"User.{n}@Sim.Example")["email"] for n in range(650)]
    zoom_sim.add_user("gone@sim.example", status="inactive")
    zoom_sim.add_user("invited@sim.example", status="pending")
    emails = client.active_user_emails()
    assert emails == {OWNER_EMAIL, *(email.lower() for email in added)}
    assert zoom_sim.count("users.list") == math.ceil(651 / 300) == 3
    [first, *rest] = zoom_sim.calls("users.list")
    assert first.query == {"status": ["active"], "page_size": ["300"]}
    assert all(call.query["next_page_token"] for call in rest)


def test_owner_email_is_the_email_of_me(client, zoom_sim):
    zoom_sim.add_user("alice@sim.example")
    assert client.owner_email() == OWNER_EMAIL
    [call] = zoom_sim.calls("users.get")
    assert call.path.endswith("/users/me")
