"""Google's wire formats, as the simulator speaks them: the JSON error envelope, RFC 3339
timestamps, event date-times, and the Event schema of the discovery document."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from datetime import time as dtime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd.sim.server import ApiError

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleError(ApiError):
    """An API error in Google's envelope: {"error": {"code", "message", "errors", "status"}}."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str = "parameter",
        detail_message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        detail = {"message": detail_message or message, "domain": domain, "reason": reason}
        if location:
            detail |= {"location": location, "locationType": location_type}
        error: dict[str, Any] = {"code": code, "message": message, "errors": [detail]}
        if code in _STATUS:
            error["status"] = _STATUS[code]
        super().__init__(code, {"error": error}, headers)


def invalid(message: str, location: str | None = None) -> GoogleError:
    return GoogleError(400, message, "invalid", location=location)


def not_found() -> GoogleError:
    return GoogleError(404, "Not Found", "notFound")


@cache
def event_field_names() -> frozenset[str]:
    """The property names of the Event schema in the discovery document the client uses."""
    doc = resources.files("googleapiclient") / "discovery_cache/documents/calendar.v3.json"
    return frozenset(json.loads(doc.read_text())["schemas"]["Event"]["properties"])


def rfc3339(micros: int) -> str:
    """Microseconds since the epoch as Google writes `created`/`updated`: UTC, milliseconds."""
    moment = datetime.fromtimestamp(micros / 1_000_000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_instant(value: str, zone: str | None, what: str) -> datetime:
    """An RFC 3339 date-time; one without an offset is read in `zone` (required then)."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid {what}.", what) from None
    if moment.tzinfo is None:
        if not zone:
            raise invalid(f"Missing time zone definition for {what}.", what)
        moment = moment.replace(tzinfo=zone_named(zone, what))
    return moment


def zone_named(name: str, what: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid time zone definition for {what}.", what) from None


def render_instant(moment: datetime, zone: str) -> str:
    """Google's rendering: the offset of `zone`, and `Z` for UTC."""
    text = moment.astimezone(ZoneInfo(zone)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def event_instant(when: dict[str, Any], cal_zone: str, what: str) -> datetime:
    """The instant of an EventDateTime; an all-day `date` starts at midnight in `cal_zone`."""
    if ("date" in when) == ("dateTime" in when):
        raise invalid(f"Invalid {what}.", what)
    if "dateTime" in when:
        return parse_instant(when["dateTime"], when.get("timeZone"), what)
    try:
        day = date.fromisoformat(when["date"])
    except (TypeError, ValueError):
        raise invalid(f"Invalid {what}.", what) from None
    return datetime.combine(day, dtime(), ZoneInfo(cal_zone))
