"""A local Google Calendar API v3 and Admin SDK Directory API, in a simulated Workspace, that
the real googleapiclient and google-auth can talk to.

Build the real clients with `client_options={"api_endpoint": sim.api_endpoint}` (calendar v3)
or `sim.directory_endpoint` (admin directory_v1), and credentials whose token URI is
`sim.token_uri` (`authorized_user_info()`, `service_account_info()`, with `with_subject` for
domain-wide delegation). Routes (names count calls in the request log): "token", "events.*",
"directory.users.list", "directory.members.list". `put_event`, `edit_event`, ... act as a user
in Google's UI would, `add_user`, `add_group`, `share_calendar`, ... as an administrator, and
`expire_*` force the failures a long-running client must survive. Every token acts as an
identity (`identity_of`), with each API's quotas per identity and per project over a sliding
window; the Workspace's rules are in `google_workspace`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from syncd.sim.google_directory import Directory
from syncd.sim.google_directory_api import members_page, users_page
from syncd.sim.google_oauth import Grant, TokenIssuer
from syncd.sim.google_params import event_body, list_query, max_results_arg, send_updates
from syncd.sim.google_quota import Budgets, SlidingWindowQuota
from syncd.sim.google_store import CalendarStore
from syncd.sim.google_wire import GoogleError, invalid
from syncd.sim.google_workspace import (
    DEFAULT_DELEGATED_SCOPES,
    CalendarAccess,
    delegated_identity,
    require_admin,
    require_scope,
    require_writer,
)
from syncd.sim.server import RecordedRequest, SimServer

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
_DIRECTORY = "/admin/directory/v1"
_APIS = ("calendar", "directory")


class GoogleCalendarSim(SimServer):
    """Calendars and a Workspace directory in memory behind Google's wire protocol, OAuth
    token endpoint included."""

    def __init__(self, *, port: int = 0, latency: float = 0.0, token_lifetime: int = 3600) -> None:
        self._store = CalendarStore()
        self._oauth = TokenIssuer(token_lifetime)
        self._oauth.delegate = self._delegate
        self._directory = Directory()
        self._access = CalendarAccess()
        self._quotas = {api: SlidingWindowQuota() for api in _APIS}
        """Each API has its own quotas, as at Google."""
        self.token_grants: list[dict[str, Any]] = self._oauth.grants
        self.last_send_updates: dict[tuple[str, str], str | None] = {}
        self.delegated_scopes: set[str] = set(DEFAULT_DELEGATED_SCOPES)
        """Delegated to the service account's client id (Admin console > Security > API
        controls > Domain-wide delegation)."""
        self.requests_per_minute: float | None = None
        """Each identity's quota, enforced as `requests_per_minute * quota_window / 60` in
        every window; None: no limit. `project_requests_per_minute`: all together."""
        self.project_requests_per_minute: float | None = None
        self.quota_window = 60.0
        self.clock: Callable[[], float] = time.monotonic
        super().__init__(port=port, latency=latency)

    @property
    def api_endpoint(self) -> str:
        return f"{self.url}/calendar/v3/"

    @property
    def directory_endpoint(self) -> str:
        """The Admin SDK's root: its discovery document's paths begin `admin/directory/v1/`."""
        return f"{self.url}/"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def customer_id(self) -> str:
        return self._directory.customer_id

    @property
    def authorized_user(self) -> str:
        """The identity of the authorized user's tokens (default "authorized-user")."""
        return self._oauth.authorized_user

    @authorized_user.setter
    def authorized_user(self, identity: str) -> None:
        self._oauth.authorized_user = identity

    # -- the calendar user's side ---------------------------------------------------------------
    def add_calendar(
        self,
        calendar_id: str,
        time_zone: str = "UTC",
        summary: str | None = None,
        *,
        access_role: str = "owner",
        owner: str | None = None,
    ) -> None:
        """A calendar every token may use, as `access_role` (a `reader` may list but not
        write); with an `owner`, only that identity and those it is shared with may."""
        self._store.add_calendar(calendar_id, time_zone, summary, access_role)
        if owner is not None:
            self._access.own(calendar_id, owner)

    def remove_calendar(self, calendar_id: str) -> None:
        self._store.remove_calendar(calendar_id)
        self._access.forget(calendar_id)

    def share_calendar(self, calendar_id: str, identity: str, role: str = "reader") -> None:
        """Share an owned calendar with an identity as "owner", "writer" or "reader"."""
        self._access.share(calendar_id, identity, role)

    def put_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        return self._store.put(calendar_id, event)

    def edit_event(self, calendar_id: str, event_id: str, **fields: Any) -> dict[str, Any]:
        return self._store.edit(calendar_id, event_id, fields)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        self._store.delete(calendar_id, event_id)

    def move_event(self, source: str, event_id: str, destination: str) -> dict[str, Any]:
        """The user moves the event to another calendar, or gives it another owner."""
        return self._store.move(source, event_id, destination)

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

    # -- the administrator's side ---------------------------------------------------------------
    def add_user(
        self,
        email: str,
        *,
        name: str | None = None,
        org_unit: str = "/",
        suspended: bool = False,
        archived: bool = False,
        admin: bool = False,
        time_zone: str = "UTC",
        calendar: bool = True,
    ) -> None:
        """A Workspace user (e-mail stored lower-case); with `calendar`, the user's primary
        calendar too, whose id is the e-mail, owned by the user."""
        user = self._directory.add_user(
            email,
            name=name,
            org_unit=org_unit,
            suspended=suspended,
            archived=archived,
            admin=admin,
            time_zone=time_zone,
        )
        if calendar:
            self.add_calendar(user.email, time_zone, user.email, owner=user.email)

    def update_user(self, email: str, **changes: Any) -> None:
        """Change a user's `suspended`, `archived`, `org_unit`, `admin` or `name`."""
        self._directory.update_user(email, **changes)

    def delete_user(self, email: str) -> None:
        """Out of the directory and its groups (listed with showDeleted); the calendar stays,
        but no token is issued for the user any more."""
        self._directory.delete_user(email)

    def add_group(self, email: str, members: list[str]) -> None:
        """A group of users and groups (nested), by e-mail."""
        self._directory.add_group(email, members)

    def add_member(self, group: str, email: str, role: str = "MEMBER") -> None:
        self._directory.add_member(group, email, role)

    def remove_member(self, group: str, email: str) -> None:
        self._directory.remove_member(group, email)

    # -- observation ------------------------------------------------------------------------------
    def identity_of(self, request: RecordedRequest) -> str | None:
        """Whom the request's bearer token acted as; None without a token issued here."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        return self._oauth.identity(headers.get("authorization"))

    def quota_refusals(self) -> int:
        return sum(quota.refusals() for quota in self._quotas.values())

    def peak_in_window(self, identity: str | None = None, *, api: str = "calendar") -> int:
        """The most requests `identity` (None: the project) had admitted in one window of an
        API's quota ("calendar" or "directory")."""
        return self._quotas[api].peak(identity)

    def identity_peaks(self, api: str = "calendar") -> dict[str, int]:
        return self._quotas[api].peaks()

    # -- HTTP ---------------------------------------------------------------------------------
    def rules(self) -> Iterable[Rule]:
        events = "/calendar/v3/calendars/<calendarId>/events"
        members = f"{_DIRECTORY}/groups/<groupKey>"
        return [
            Rule("/token", methods=["POST"], endpoint="token"),
            Rule(events, methods=["GET"], endpoint="events.list"),
            Rule(events, methods=["POST"], endpoint="events.insert"),
            Rule(f"{events}/<eventId>", methods=["GET"], endpoint="events.get"),
            Rule(f"{events}/<eventId>", methods=["PATCH"], endpoint="events.patch"),
            Rule(f"{events}/<eventId>/instances", methods=["GET"], endpoint="events.instances"),
            Rule(f"{_DIRECTORY}/users", methods=["GET"], endpoint="directory.users.list"),
            Rule(f"{members}/members", methods=["GET"], endpoint="directory.members.list"),
        ]

    def error_body(self, status: int, message: str) -> Any:
        return GoogleError(status, message, _REASONS.get(status, "backendError")).body

    def on_token(self, request: Request) -> Response:
        return self.json_response(200, self._oauth.grant(request.form.to_dict(), self.token_uri))

    def _delegate(self, subject: str, scopes: frozenset[str]) -> str:
        return delegated_identity(self._directory, self.delegated_scopes, subject, scopes)

    def _authorize(self, request: Request, method_id: str) -> Grant:
        """The bearer token (401), its scopes (403), then the quotas (403, usageLimits)."""
        grant = self._oauth.check(request.headers.get("Authorization"))
        require_scope(grant, method_id)
        budgets = Budgets.per_minute(
            self.requests_per_minute, self.project_requests_per_minute, self.quota_window
        )
        self._quotas[method_id.partition(".")[0]].admit(grant.identity, self.clock(), budgets)
        return grant

    def _calendar(self, request: Request, method: str, calendar_id: str) -> tuple[str, str | None]:
        """The calendar the caller means, and its role there (None: an unowned calendar)."""
        grant = self._authorize(request, f"calendar.events.{method}")
        return self._access.resolve(grant.identity, calendar_id)

    def on_events_list(self, request: Request, calendarId: str) -> Response:
        calendar_id, role = self._calendar(request, "list", calendarId)
        page = self._store.list_page(calendar_id, list_query(request.args))
        if role is not None:
            page["accessRole"] = role
        return self.json_response(200, page)

    def on_events_get(self, request: Request, calendarId: str, eventId: str) -> Response:
        calendar_id, _ = self._calendar(request, "get", calendarId)
        return _event_response(self._store.get(calendar_id, eventId))

    def on_events_instances(self, request: Request, calendarId: str, eventId: str) -> Response:
        calendar_id, _ = self._calendar(request, "instances", calendarId)
        token = request.args.get("pageToken", "0")
        if not token.isdigit():
            raise invalid("Invalid page token value.", "pageToken")
        page = self._store.instances_page(
            calendar_id,
            eventId,
            show_deleted=request.args.get("showDeleted") == "true",
            max_results=max_results_arg(request.args.get("maxResults")),
            offset=int(token),
        )
        return self.json_response(200, page)

    def on_events_patch(self, request: Request, calendarId: str, eventId: str) -> Response:
        calendar_id, role = self._calendar(request, "patch", calendarId)
        require_writer(role)
        updates = send_updates(request.args)
        if_match = request.headers.get("If-Match")
        event = self._store.patch(calendar_id, eventId, event_body(request), if_match)
        self.last_send_updates[(calendar_id, eventId)] = updates
        return _event_response(event)

    def on_events_insert(self, request: Request, calendarId: str) -> Response:
        calendar_id, role = self._calendar(request, "insert", calendarId)
        require_writer(role)
        updates = send_updates(request.args)
        event = self._store.insert(calendar_id, event_body(request))
        self.last_send_updates[(calendar_id, event["id"])] = updates
        return _event_response(event)

    def on_directory_users_list(self, request: Request) -> Response:
        grant = self._authorize(request, "directory.users.list")
        require_admin(self._directory, grant.identity)
        return self.json_response(200, users_page(self._directory, request.args))

    def on_directory_members_list(self, request: Request, groupKey: str) -> Response:
        grant = self._authorize(request, "directory.members.list")
        require_admin(self._directory, grant.identity)
        return self.json_response(200, members_page(self._directory, groupKey, request.args))


def _event_response(event: dict[str, Any]) -> Response:
    return SimServer.json_response(200, event, {"ETag": event["etag"]})
