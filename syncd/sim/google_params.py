"""The Calendar API's request parameters and bodies, checked and parsed as Google does."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from syncd.sim.google_listing import ListQuery
from syncd.sim.google_wire import GoogleError, event_field_names, invalid, parse_instant

SEND_UPDATES = ("all", "externalOnly", "none")
# Parameters Google refuses next to a syncToken (events.list reference, `syncToken`).
_NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
MAX_RESULTS_CAP = 2500


def event_body(request: Request) -> dict[str, Any]:
    """The JSON body of a write; unknown top-level names are refused as Google does."""
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GoogleError(400, "Invalid JSON payload received.", "parseError")
    unknown = sorted(set(body) - event_field_names())
    if unknown:
        message = f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
        raise GoogleError(400, message, "invalid")
    return body


def send_updates(args: MultiDict[str, str]) -> str | None:
    value = args.get("sendUpdates")
    if value is not None and value not in SEND_UPDATES:
        raise invalid(f"Invalid value for sendUpdates: {value!r}.", "sendUpdates")
    return value


def list_query(args: MultiDict[str, str]) -> ListQuery:
    _check_list_restrictions(args)
    query = ListQuery(
        max_results=max_results_arg(args.get("maxResults")),
        page_token=args.get("pageToken"),
        sync_token=args.get("syncToken"),
        show_deleted=args.get("showDeleted", "false") == "true",
        time_min=_instant_arg(args, "timeMin"),
        time_max=_instant_arg(args, "timeMax"),
        updated_min=_instant_arg(args, "updatedMin"),
        q=args.get("q"),
        ical_uid=args.get("iCalUID"),
        private_props=tuple(args.getlist("privateExtendedProperty")),
        shared_props=tuple(args.getlist("sharedExtendedProperty")),
        order_by_updated=args.get("orderBy") == "updated",
        event_types=tuple(args.getlist("eventTypes")),
    )
    if query.time_min and query.time_max and query.time_min >= query.time_max:
        raise GoogleError(
            400,
            "The specified time range is empty.",
            "timeRangeEmpty",
            domain="calendar",
            location="timeMax",
        )
    return query


def _check_list_restrictions(args: MultiDict[str, str]) -> None:
    if args.get("singleEvents") == "true":
        raise invalid("singleEvents=true is not implemented by the simulator.", "singleEvents")
    if args.get("orderBy") not in (None, "updated"):
        raise invalid(
            "The requested ordering is not available for the particular query.", "orderBy"
        )
    restricted = any(name in args for name in _NOT_WITH_SYNC_TOKEN)
    if "syncToken" in args and (restricted or args.get("showDeleted") == "false"):
        raise GoogleError(
            400,
            "Sync token cannot be used with other request restrictions.",
            "syncTokenWithRequestRestrictions",
            domain="calendar",
            location="syncToken",
        )


def max_results_arg(value: str | None) -> int:
    if value is None:
        return 250
    if not value.isdigit() or int(value) < 1:
        raise invalid(f"Invalid value for maxResults: {value!r}.", "maxResults")
    return min(int(value), MAX_RESULTS_CAP)


def _instant_arg(args: MultiDict[str, str], name: str) -> datetime | None:
    value = args.get(name)
    return None if value is None else parse_instant(value, None, name)
