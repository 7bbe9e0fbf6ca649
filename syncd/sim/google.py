"""A local Google Calendar API v3 that the real googleapiclient and google-auth can talk to.

Build the real client against it with
`build("calendar", "v3", credentials=..., static_discovery=True, cache_discovery=False,
client_options={"api_endpoint": sim.api_endpoint})` and credentials whose token URI is
`sim.token_uri` (see `authorized_user_info()` and `service_account_info()`).

Routes (names count calls in the request log): "token", "events.list", "events.get",
"events.patch", "events.insert". The plain methods (`put_event`, `edit_event`, `delete_event`,
...) act as a user in Google's UI would, and `expire_*` force the server-side failures a
long-running client must survive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from syncd.sim.google_listing import ListQuery
from syncd.sim.google_oauth import TokenIssuer
from syncd.sim.google_store import CalendarStore
from syncd.sim.google_wire import GoogleError, event_field_names, invalid, parse_instant
from syncd.sim.server import SimServer, TokenBucket

_REASONS = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "conflict",
    410: "deleted",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
}
_SEND_UPDATES = ("all", "externalOnly", "none")
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


class GoogleCalendarSim(SimServer):
    """Calendars in memory behind Google's wire protocol, OAuth token endpoint included."""

    def __init__(self, *, port: int = 0, latency: float = 0.0, token_lifetime: int = 3600) -> None:
        self._store = CalendarStore()
        self._oauth = TokenIssuer(token_lifetime)
        self.token_grants: list[dict[str, Any]] = self._oauth.grants
        self.last_send_updates: dict[tuple[str, str], str | None] = {}
        self.requests_per_minute: float | None = None
        """The per-user quota (Google's default: 600 a minute), as a second's worth at a
        time; None: no limit."""
        self._quota: TokenBucket | None = None
        super().__init__(port=port, latency=latency)

    @property
    def api_endpoint(self) -> str:
        return f"{self.url}/calendar/v3/"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    # -- the calendar user's side ---------------------------------------------------------------
    def add_calendar(
        self,
        calendar_id: str,
        time_zone: str = "UTC",
        summary: str | None = None,
        *,
        access_role: str = "owner",
    ) -> None:
        """A calendar shared with the simulated account; a `reader` may list but not write."""
        self._store.add_calendar(calendar_id, time_zone, summary, access_role)

    def remove_calendar(self, calendar_id: str) -> None:
        self._store.remove_calendar(calendar_id)

    def put_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        return self._store.put(calendar_id, event)

    def edit_event(self, calendar_id: str, event_id: str, **fields: Any) -> dict[str, Any]:
        return self._store.edit(calendar_id, event_id, fields)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        self._store.delete(calendar_id, event_id)

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        return self._store.get(calendar_id, event_id)

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        return self._store.all_events(calendar_id)

    def expire_sync_tokens(self) -> None:
        self._store.expire_sync_tokens()

    def expire_access_tokens(self) -> None:
        self._oauth.expire_all()

    def authorized_user_info(self) -> dict[str, str]:
        return self._oauth.authorized_user_info(self.token_uri)

    def service_account_info(self) -> dict[str, str]:
        return self._oauth.service_account_info(self.token_uri)

    # -- HTTP ---------------------------------------------------------------------------------
    def rules(self) -> Iterable[Rule]:
        events = "/calendar/v3/calendars/<calendarId>/events"
        return [
            Rule("/token", methods=["POST"], endpoint="token"),
            Rule(events, methods=["GET"], endpoint="events.list"),
            Rule(events, methods=["POST"], endpoint="events.insert"),
            Rule(f"{events}/<eventId>", methods=["GET"], endpoint="events.get"),
            Rule(f"{events}/<eventId>", methods=["PATCH"], endpoint="events.patch"),
            Rule(f"{events}/<eventId>/instances", methods=["GET"], endpoint="events.instances"),
        ]

    def error_body(self, status: int, message: str) -> Any:
        return GoogleError(status, message, _REASONS.get(status, "backendError")).body

    def on_token(self, request: Request) -> Response:
        return self.json_response(200, self._oauth.grant(request.form.to_dict(), self.token_uri))

    def _authorize(self, request: Request) -> None:
        """The bearer token, then the user's quota: 429 rateLimitExceeded (usageLimits)."""
        self._oauth.check(request.headers.get("Authorization"))
        per_minute = self.requests_per_minute
        if per_minute is None:
            return
        if self._quota is None or self._quota.rate != per_minute / 60:
            self._quota = TokenBucket(per_minute / 60)
        if self._quota.take() is not None:
            raise GoogleError(429, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits")

    def on_events_list(self, request: Request, calendarId: str) -> Response:
        self._authorize(request)
        page = self._store.list_page(calendarId, _list_query(request.args))
        return self.json_response(200, page)

    def on_events_get(self, request: Request, calendarId: str, eventId: str) -> Response:
        self._authorize(request)
        return _event_response(self._store.get(calendarId, eventId))

    def on_events_instances(self, request: Request, calendarId: str, eventId: str) -> Response:
        self._authorize(request)
        token = request.args.get("pageToken", "0")
        if not token.isdigit():
            raise invalid("Invalid page token value.", "pageToken")
        page = self._store.instances_page(
            calendarId,
            eventId,
            show_deleted=request.args.get("showDeleted") == "true",
            max_results=_max_results(request.args.get("maxResults")),
            offset=int(token),
        )
        return self.json_response(200, page)

    def on_events_patch(self, request: Request, calendarId: str, eventId: str) -> Response:
        self._authorize(request)
        send_updates = _send_updates(request.args)
        if_match = request.headers.get("If-Match")
        event = self._store.patch(calendarId, eventId, _event_body(request), if_match)
        self.last_send_updates[(calendarId, eventId)] = send_updates
        return _event_response(event)

    def on_events_insert(self, request: Request, calendarId: str) -> Response:
        self._authorize(request)
        send_updates = _send_updates(request.args)
        event = self._store.insert(calendarId, _event_body(request))
        self.last_send_updates[(calendarId, event["id"])] = send_updates
        return _event_response(event)


def _event_response(event: dict[str, Any]) -> Response:
    return SimServer.json_response(200, event, {"ETag": event["etag"]})


def _event_body(request: Request) -> dict[str, Any]:
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


def _send_updates(args: MultiDict[str, str]) -> str | None:
    value = args.get("sendUpdates")
    if value is not None and value not in _SEND_UPDATES:
        raise invalid(f"Invalid value for sendUpdates: {value!r}.", "sendUpdates")
    return value


def _list_query(args: MultiDict[str, str]) -> ListQuery:
    _check_list_restrictions(args)
    query = ListQuery(
        max_results=_max_results(args.get("maxResults")),
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


def _max_results(value: str | None) -> int:
    if value is None:
        return 250
    if not value.isdigit() or int(value) < 1:
        raise invalid(f"Invalid value for maxResults: {value!r}.", "maxResults")
    return min(int(value), MAX_RESULTS_CAP)


def _instant_arg(args: MultiDict[str, str], name: str) -> datetime | None:
    value = args.get(name)
    return None if value is None else parse_instant(value, None, name)
