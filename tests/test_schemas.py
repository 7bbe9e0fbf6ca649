"""Tests for tests/schemas.py: the published-schema validators must accept good requests
and name the offending field in bad ones."""

from __future__ import annotations

import pytest

from tests.schemas import (
    SchemaViolation,
    validate_google_request,
    validate_google_resource,
    validate_zoom_request,
    validate_zoom_response,
    zoom_response_schema,
)


def meeting_create_body(**changes: object) -> dict:
    body = {
        "topic": "Quarterly planning",
        "type": 2,
        "start_time": "2026-03-29T08:30:00Z",
        "timezone": "Europe/Berlin",
        "duration": 60,
        "agenda": "Created by syncd",
        "settings": {"waiting_room": False, "join_before_host": True},
    }
    body.update(changes)
    return body


def violation(call, *args: object) -> str:
    with pytest.raises(SchemaViolation) as caught:
        call(*args)
    return str(caught.value)


# --------------------------------------------------------------------------- Zoom requests


def test_zoom_meeting_create_body_passes():
    validate_zoom_request("POST", "/users/me/meetings", meeting_create_body())


def test_zoom_full_base_url_is_accepted():
    url = "https://api.zoom.us/v2/users/me/meetings"
    validate_zoom_request("POST", url, meeting_create_body())


def test_zoom_misspelt_settings_key_fails():
    body = meeting_create_body(settings={"waiting_rooms": False})
    message = violation(validate_zoom_request, "POST", "/users/me/meetings", body)
    assert "body.settings.waiting_rooms: unknown field" in message
    assert "did you mean 'waiting_room'" in message


def test_zoom_unknown_top_level_field_fails():
    body = meeting_create_body(meeting_topic="x")
    message = violation(validate_zoom_request, "POST", "/users/me/meetings", body)
    assert "body.meeting_topic: unknown field" in message


def test_zoom_misspelt_recurrence_key_fails():
    body = meeting_create_body(type=8, recurrence={"type": 2, "repeat_intervall": 1})
    message = violation(validate_zoom_request, "POST", "/users/me/meetings", body)
    assert "body.recurrence.repeat_intervall: unknown field" in message


def test_zoom_topic_over_200_chars_fails():
    body = meeting_create_body(topic="x" * 201)
    message = violation(validate_zoom_request, "POST", "/users/me/meetings", body)
    assert "body.topic:" in message
    assert "too long" in message


def test_zoom_wrong_type_and_enum_fail():
    body = meeting_create_body(duration="60", settings={"audio": "loud"})
    message = violation(validate_zoom_request, "POST", "/users/me/meetings", body)
    assert "body.duration: '60' is not of type 'integer'" in message
    assert "body.settings.audio: 'loud' is not one of" in message


def test_zoom_every_problem_is_listed():
    body = meeting_create_body(topic="x" * 201, extra=1, settings={"waiting_rooms": False})
    with pytest.raises(SchemaViolation) as caught:
        validate_zoom_request("POST", "/users/me/meetings", body)
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize("start_time", ["2026-03-29T08:30:00Z", "2026-03-29T10:30:00"])
def test_zoom_start_time_in_documented_formats_passes(start_time):
    validate_zoom_request("POST", "/users/me/meetings", meeting_create_body(start_time=start_time))


@pytest.mark.parametrize(
    "start_time", ["2026-03-29 08:30:00", "2026-03-29T08:30:00+00:00", "2026-13-29T08:30:00Z"]
)
def test_zoom_start_time_in_other_formats_fails(start_time):
    body = meeting_create_body(start_time=start_time)
    message = violation(validate_zoom_request, "POST", "/users/me/meetings", body)
    assert "body.start_time:" in message


def test_zoom_weekly_days_accepts_documented_comma_list():
    # The spec's enum says "1".."7", its description asks for "1,3" for several days.
    recurrence = {"type": 2, "repeat_interval": 1, "weekly_days": "2,4", "end_times": 5}
    validate_zoom_request(
        "POST", "/users/me/meetings", meeting_create_body(type=8, recurrence=recurrence)
    )
    recurrence["weekly_days"] = "2,9"
    body = meeting_create_body(type=8, recurrence=recurrence)
    message = violation(validate_zoom_request, "POST", "/users/me/meetings", body)
    assert "body.recurrence.weekly_days:" in message


def test_zoom_meeting_update_passes():
    body = {
        "topic": "Renamed",
        "start_time": "2026-03-30T09:00:00Z",
        "duration": 45,
        "timezone": "Europe/Berlin",
        "agenda": "Moved",
        "settings": {"waiting_room": True},
    }
    validate_zoom_request("PATCH", "/meetings/85746065432", body)


def test_zoom_meeting_update_rejects_create_only_setting():
    # additional_data_center_regions is documented for meetingCreate only.
    body = {"settings": {"additional_data_center_regions": ["DE"]}}
    message = violation(validate_zoom_request, "PATCH", "/meetings/85746065432", body)
    assert "body.settings.additional_data_center_regions: unknown field" in message


def test_zoom_delete_with_declared_query_passes():
    query = {"schedule_for_reminder": "false"}
    validate_zoom_request("DELETE", "/meetings/85746065432", None, query)


def test_zoom_delete_with_unknown_query_param_fails():
    query = {"notify_host": "false"}
    message = violation(validate_zoom_request, "DELETE", "/meetings/85746065432", None, query)
    assert "query.notify_host: unknown parameter" in message


def test_zoom_query_value_must_match_declared_type():
    query = {"schedule_for_reminder": "False"}
    message = violation(validate_zoom_request, "DELETE", "/meetings/85746065432", None, query)
    assert "query.schedule_for_reminder: 'False' is not 'true' or 'false'" in message


def test_zoom_body_for_operation_without_request_body_fails():
    message = violation(validate_zoom_request, "DELETE", "/meetings/85746065432", {"x": 1})
    assert "body: operation takes no request body" in message


def test_zoom_path_parameter_type_is_checked():
    message = violation(validate_zoom_request, "DELETE", "/meetings/not-a-number", None)
    assert "path.meetingId: 'not-a-number' is not an integer" in message


def test_zoom_undocumented_path_and_method_fail():
    assert "matches no documented path" in violation(
        validate_zoom_request, "POST", "/users/me/meeting", meeting_create_body()
    )
    assert "has no PUT operation" in violation(
        validate_zoom_request, "PUT", "/meetings/85746065432", {"topic": "x"}
    )


# --------------------------------------------------------------------------- Zoom responses


def test_zoom_response_schema_is_resolved_and_not_strict():
    schema = zoom_response_schema("meeting", "200")
    assert schema["properties"]["id"]["type"] == "integer"
    assert "additionalProperties" not in schema
    assert "example" not in schema["properties"]["id"]


def test_zoom_response_schema_unknown_operation_raises():
    with pytest.raises(KeyError, match="meetingCreated"):
        zoom_response_schema("meetingCreated", "201")


def test_zoom_response_conformance():
    created = {
        "id": 85746065432,
        "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
        "topic": "Quarterly planning",
        "type": 2,
        "start_time": "2026-03-29T08:30:00Z",
        "join_url": "https://zoom.us/j/85746065432",
        "settings": {"waiting_room": False},
    }
    validate_zoom_response("POST", "/users/me/meetings", 201, created)
    validate_zoom_response("PATCH", "/meetings/85746065432", 204, None)
    validate_zoom_response("GET", "/meetings/1", 404, {"code": 3001, "message": "Not found"})


def test_zoom_response_with_wrong_type_or_unexpected_body_fails():
    message = violation(validate_zoom_response, "GET", "/meetings/1", 200, {"id": "85746065432"})
    assert "body.id: '85746065432' is not of type 'integer'" in message
    message = violation(validate_zoom_response, "DELETE", "/meetings/1", 204, {"ok": True})
    assert "204 response has no body" in message
    message = violation(validate_zoom_response, "GET", "/meetings/1", 404, {"error": "gone"})
    assert "'code' is a required property" in message


# --------------------------------------------------------------------------- Google requests

PATCH_BODY = {
    "description": "Join Zoom: https://zoom.us/j/123",
    "extendedProperties": {"private": {"syncd_meeting_id": "123"}},
}


def test_google_events_patch_passes():
    validate_google_request("calendar.events.patch", PATCH_BODY, {"sendUpdates": "none"})


def test_google_client_added_alt_param_is_declared():
    query = {"sendUpdates": "none", "alt": "json"}
    validate_google_request("calendar.events.patch", PATCH_BODY, query)


def test_google_patch_may_clear_with_null():
    body = {"extendedProperties": {"private": {"syncd_meeting_id": None}}}
    validate_google_request("calendar.events.patch", body, {"sendUpdates": "none"})


def test_google_unknown_field_fails():
    body = {**PATCH_BODY, "conferenceLink": "https://zoom.us/j/123"}
    message = violation(validate_google_request, "calendar.events.patch", body, None)
    assert "body.conferenceLink: unknown field" in message


def test_google_nested_unknown_field_fails():
    body = {"start": {"dateTime": "2026-03-29T10:30:00+02:00", "timezone": "Europe/Berlin"}}
    message = violation(validate_google_request, "calendar.events.patch", body, None)
    assert "body.start.timezone: unknown field" in message
    assert "did you mean 'timeZone'" in message


def test_google_send_updates_enum_is_checked():
    query = {"sendUpdates": "nobody"}
    message = violation(validate_google_request, "calendar.events.patch", PATCH_BODY, query)
    assert "query.sendUpdates: 'nobody' is not one of" in message


def test_google_events_list_query_passes():
    query = {"syncToken": "x", "maxResults": "250", "showDeleted": "true", "singleEvents": "false"}
    validate_google_request("calendar.events.list", None, query)


def test_google_events_list_unknown_param_fails():
    query = {"syncToken": "x", "max_results": "250"}
    message = violation(validate_google_request, "calendar.events.list", None, query)
    assert "query.max_results: unknown parameter" in message


def test_google_query_types_and_bounds_are_checked():
    query = {"maxResults": "0", "showDeleted": "yes", "timeMin": "2026-03-29"}
    message = violation(validate_google_request, "calendar.events.list", None, query)
    assert "query.maxResults: 0 is less than the minimum of 1" in message
    assert "query.showDeleted: 'yes' is not 'true' or 'false'" in message
    assert "query.timeMin: '2026-03-29' is not a 'date-time'" in message


def test_google_repeated_param_accepts_a_list():
    query = {"privateExtendedProperty": ["syncd_meeting_id=1", "syncd=1"]}
    validate_google_request("calendar.events.list", None, query)


def test_google_body_presence_matches_method():
    message = violation(validate_google_request, "calendar.events.list", {"items": []}, None)
    assert "takes no request body" in message
    message = violation(validate_google_request, "calendar.events.insert", None, None)
    assert "requires a Event body" in message


def test_google_unknown_method_raises_key_error():
    with pytest.raises(KeyError, match=r"calendar\.events\.upsert"):
        validate_google_request("calendar.events.upsert", None)


# --------------------------------------------------------------------------- Directory requests


def test_directory_users_list_query_passes():
    query = {
        "customer": "my_customer",
        "query": "orgUnitPath='/Sales' isSuspended=false",
        "maxResults": "500",
        "pageToken": "abc",
        "orderBy": "email",
        "alt": "json",
    }
    validate_google_request("directory.users.list", None, query)


def test_directory_unknown_query_param_fails():
    query = {"customer": "my_customer", "orgUnitPath": "/Sales"}
    message = violation(validate_google_request, "directory.users.list", None, query)
    assert "query.orgUnitPath: unknown parameter" in message
    message = violation(
        validate_google_request, "directory.members.list", None, {"includeDerived": "true"}
    )
    assert "query.includeDerived: unknown parameter" in message
    assert "did you mean 'includeDerivedMembership'" in message


def test_directory_query_types_and_bounds_are_checked():
    query = {"customer": "my_customer", "maxResults": "501", "viewType": "public"}
    message = violation(validate_google_request, "directory.users.list", None, query)
    assert "query.maxResults: 501 is greater than the maximum of 500" in message
    assert "query.viewType: 'public' is not one of" in message
    query = {"includeDerivedMembership": "yes", "maxResults": "0"}
    message = violation(validate_google_request, "directory.members.list", None, query)
    assert "query.includeDerivedMembership: 'yes' is not 'true' or 'false'" in message
    assert "query.maxResults: 0 is less than the minimum of 1" in message


def test_unknown_google_api_raises_key_error():
    with pytest.raises(KeyError, match=r"gmail\.users\.list"):
        validate_google_request("gmail.users.list", None)
    with pytest.raises(KeyError, match=r"directory\.users\.upsert"):
        validate_google_request("directory.users.upsert", None)


# --------------------------------------------------------------------------- Google resources


def test_google_resources_conform():
    event = {
        "kind": "calendar#event",
        "id": "evt1",
        "status": "confirmed",
        "updated": "2026-03-01T10:00:00.000Z",
        "start": {"dateTime": "2026-03-29T10:30:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"date": "2026-03-30"},
        "extendedProperties": {"private": {"syncd_meeting_id": "123"}},
    }
    validate_google_resource("Event", event)
    validate_google_resource("Events", {"kind": "calendar#events", "items": [event]})


def test_google_resource_unknown_field_and_null_fail():
    message = violation(validate_google_resource, "Events", {"items": [{"id": "a", "colour": "1"}]})
    assert "body.items[0].colour: unknown field" in message
    message = violation(validate_google_resource, "Event", {"description": None})
    assert "body.description: None is not of type 'string'" in message


def test_directory_resources_conform_strictly():
    member = {
        "kind": "admin#directory#member",
        "id": "1",
        "email": "a@example.com",
        "role": "MEMBER",
        "type": "USER",
        "status": "ACTIVE",
    }
    validate_google_resource(
        "Members", {"kind": "admin#directory#members", "members": [member]}, "directory"
    )
    users = {"users": [{"primaryEmail": "a@example.com", "orgUnit": "/"}]}
    message = violation(validate_google_resource, "Users", users, "directory")
    assert "body.users[0].orgUnit: unknown field" in message
    assert "did you mean 'orgUnitPath'" in message
