"""The Zoom simulator's meeting rules: validation, start times, schedules and shapes.

Pure functions over plain dicts shaped like Zoom's "Get a meeting" response. Zoom ignores
request fields it does not know, and so does `apply_changes`.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from syncd.core.zoom_schedule import UTC_FORMAT, occurrence_starts, parse_utc
from syncd.core.zoom_zones import zoom_zones
from syncd.sim.server import ApiError
from syncd.sim.zoom_recurrence import as_int, normalize, recurrence_errors

INSTANT, SCHEDULED, RECURRING_NO_FIXED_TIME, RECURRING_FIXED_TIME = 1, 2, 3, 8
MEETING_TYPES = (INSTANT, SCHEDULED, RECURRING_NO_FIXED_TIME, RECURRING_FIXED_TIME)
MAX_LENGTHS = {"topic": 200, "agenda": 2000, "password": 10}
PASSWORD = re.compile(r"[A-Za-z0-9@_*-]*")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
PLAIN_FIELDS = ("topic", "agenda", "pre_schedule")
CREATE_ONLY_SETTINGS = frozenset({"additional_data_center_regions", "push_change_to_calendar"})
LIST_FIELDS = (  # the fields of an item of "List meetings", per the spec
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
)
LIST_AGENDA_LENGTH = 250
DEFAULT_DURATION = 60
DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "watermark": False,
    "use_pmi": False,
    "approval_type": 2,
    "audio": "both",
    "auto_recording": "none",
    "alternative_hosts": "",
    "alternative_hosts_email_notification": True,
    "close_registration": False,
    "cn_meeting": False,
    "in_meeting": False,
    "waiting_room": False,
    "meeting_authentication": False,
    "email_notification": True,
    "registrants_email_notification": True,
    "encryption_type": "enhanced_encryption",
    "private_meeting": False,
    "continuous_meeting_chat": {"enable": False},
    "push_change_to_calendar": False,
}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(UTC_FORMAT)


def stored_time(text: str) -> datetime:
    """A start_time as the simulator stores it (always `...Z`)."""
    return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)


def parse_start_time(text: object, local_zone: ZoneInfo) -> datetime | None:
    """Zoom's two start_time forms: `...Z` is UTC; without `Z` it is wall time in `local_zone`.

    Anything else (an offset such as +01:00, fractions of a second) is refused.
    """
    utc = parse_utc(text)
    if utc is not None or not isinstance(text, str):
        return utc
    try:
        return datetime.strptime(text, LOCAL_FORMAT).replace(tzinfo=local_zone).astimezone(UTC)
    except ValueError:
        return None


def validation_failed(fields: list[str]) -> ApiError:
    errors = [{"field": field, "message": "Invalid field."} for field in fields]
    return ApiError(400, {"code": 300, "message": "Validation Failed.", "errors": errors})


def field_errors(body: dict[str, Any]) -> list[str]:
    """Fields of a create/update body that Zoom would reject (start_time and recurrence aside)."""
    checks = {
        "topic": lambda v: _short_text(v, "topic"),
        "agenda": lambda v: _short_text(v, "agenda"),
        "password": lambda v: _short_text(v, "password") and PASSWORD.fullmatch(v) is not None,
        "type": lambda v: as_int(v) in MEETING_TYPES,
        "duration": _non_negative_int,
        "timezone": lambda v: v in zoom_zones(),
        "settings": lambda v: isinstance(v, dict),
        "pre_schedule": lambda v: isinstance(v, bool),
    }
    return [field for field, ok in checks.items() if field in body and not ok(body[field])]


def _non_negative_int(value: object) -> bool:
    number = as_int(value)
    return number is not None and number >= 0


def _short_text(value: object, field: str) -> bool:
    return isinstance(value, str) and len(value) <= MAX_LENGTHS[field]


def new_password() -> str:
    """A generated passcode: six letters and digits (Zoom's depend on account settings)."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))


def set_password(meeting: dict[str, Any], password: str) -> None:
    """The passcode and the forms Zoom derives from it (numeric for room systems and phones)."""
    numeric = "".join(secrets.choice(string.digits) for _ in password)
    meeting.update(
        password=password,
        h323_password=numeric,
        pstn_password=numeric,
        encrypted_password=secrets.token_urlsafe(24) + ".1",
    )


def new_uuid() -> str:
    return base64.b64encode(secrets.token_bytes(16)).decode()


def apply_changes(
    meeting: dict[str, Any], body: dict[str, Any], *, zone_name: str, now: datetime, creating: bool
) -> dict[str, Any]:
    """A copy of `meeting` with a create or update body applied, or ApiError 300.

    A start_time without `Z` is read in the body's `timezone`, else in `zone_name` (the host's
    zone when creating, the meeting's when updating).
    """
    errors = field_errors(body)
    if errors:
        raise validation_failed(errors)
    updated = copy.deepcopy(meeting)
    updated.update({field: body[field] for field in PLAIN_FIELDS if field in body})
    updated.update({field: as_int(body[field]) for field in ("type", "duration") if field in body})
    updated["timezone"] = body.get("timezone", zone_name)
    updated["settings"].update(_settings(body, creating))
    if "password" in body:
        set_password(updated, body["password"])
    if "recurrence" in body:
        updated["recurrence"] = body["recurrence"]
    if "start_time" in body:
        updated["start_time"] = utc_text(_start_time(body["start_time"], updated["timezone"]))
    schedule(updated, now)
    return updated


def _start_time(text: object, zone_name: str) -> datetime:
    start = parse_start_time(text, ZoneInfo(zone_name))
    if start is None:
        raise validation_failed(["start_time"])
    return start


def _settings(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    settings = body.get("settings", {})
    return {k: v for k, v in settings.items() if creating or k not in CREATE_ONLY_SETTINGS}


def schedule(meeting: dict[str, Any], now: datetime) -> None:
    """Bring start_time, duration, recurrence and occurrences in line with the meeting type."""
    if meeting["type"] == RECURRING_NO_FIXED_TIME:
        for field in ("start_time", "duration", "recurrence", "occurrences"):
            meeting.pop(field, None)
        return
    meeting.setdefault("start_time", utc_text(now))
    meeting.setdefault("duration", DEFAULT_DURATION)
    if meeting["type"] == RECURRING_FIXED_TIME:
        _schedule_series(meeting)
    else:
        meeting.pop("recurrence", None)
        meeting.pop("occurrences", None)


def _schedule_series(meeting: dict[str, Any]) -> None:
    errors = recurrence_errors(meeting.get("recurrence"))
    if errors:
        raise validation_failed(errors)
    recurrence = normalize(meeting["recurrence"])
    first = stored_time(meeting["start_time"])
    previous = meeting.get("occurrences", [])
    deleted = {o["occurrence_id"] for o in previous if o["status"] == "deleted"}
    starts = occurrence_starts(recurrence, first, meeting["timezone"])
    occurrences = [_occurrence(start, meeting["duration"], deleted) for start in starts]
    meeting.update(recurrence=recurrence, occurrences=occurrences)
    if occurrences:
        meeting["start_time"] = occurrences[0]["start_time"]


def _occurrence(start: datetime, duration: int, deleted: set[str]) -> dict[str, Any]:
    occurrence_id = str(int(start.timestamp() * 1000))
    status = "deleted" if occurrence_id in deleted else "available"
    return {
        "occurrence_id": occurrence_id,
        "start_time": utc_text(start),
        "duration": duration,
        "status": status,
    }


def find_occurrence(meeting: dict[str, Any], occurrence_id: str) -> dict[str, Any]:
    """A series' occurrence that has not been deleted, or ApiError 3000."""
    for occurrence in meeting.get("occurrences", []):
        if occurrence["occurrence_id"] == occurrence_id and occurrence["status"] != "deleted":
            return occurrence
    raise ApiError(400, {"code": 3000, "message": "Invalid occurrence_id."})


def move_occurrence(
    meeting: dict[str, Any], occurrence_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A copy of a series with one occurrence updated (only start_time and duration are
    simulated; the rest of the body is validated, then ignored)."""
    errors = field_errors(body)
    if errors:
        raise validation_failed(errors)
    updated = copy.deepcopy(meeting)
    occurrence = find_occurrence(updated, occurrence_id)
    if "start_time" in body:
        zone_name = body.get("timezone", meeting["timezone"])
        occurrence["start_time"] = utc_text(_start_time(body["start_time"], zone_name))
    if "duration" in body:
        occurrence["duration"] = as_int(body["duration"])
    return updated


def end_time(meeting: dict[str, Any]) -> datetime | None:
    """When the meeting (its last occurrence, for a series) ends; None without a fixed time."""
    last = (meeting.get("occurrences") or [meeting])[-1]
    start = parse_utc(last.get("start_time"))
    return None if start is None else start + timedelta(minutes=last["duration"])


def ended(meeting: dict[str, Any], now: datetime) -> bool:
    """Over (a series: its last occurrence), not started, with a fixed time; also for one
    occurrence."""
    end = end_time(meeting)
    return meeting["status"] != "started" and end is not None and end < now


# "List meetings" filters by its `type` parameter.
LIST_TYPES: dict[str, Callable[[dict[str, Any], datetime], bool]] = {
    "scheduled": lambda meeting, now: True,
    "live": lambda meeting, now: meeting["status"] == "started",
    "upcoming": lambda meeting, now: not ended(meeting, now),
    "upcoming_meetings": lambda meeting, now: not ended(meeting, now),
    "previous_meetings": ended,
}


def list_item(meeting: dict[str, Any]) -> dict[str, Any]:
    """The meeting as "List meetings" shows it (agenda cut to 250 characters)."""
    item = {field: meeting[field] for field in LIST_FIELDS if field in meeting}
    item["agenda"] = item["agenda"][:LIST_AGENDA_LENGTH]
    return item
