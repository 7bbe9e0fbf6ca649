"""A local simulator of Zoom's Server-to-Server OAuth token endpoint and Meeting API.

Routes (names as the request log records them): "token" POST /oauth/token; "users.list" GET
/v2/users; "users.get" GET /v2/users/<user_id>; "meetings.create" POST and "meetings.list" GET
/v2/users/<user_id>/meetings; "meetings.get" GET, "meetings.update" PATCH and "meetings.delete"
DELETE /v2/meetings/<id>.

It answers with Zoom's own error bodies and limits: 401 code 124 for a missing, unknown or
expired token; the per-host daily create/update limit and, if configured, a per-second limit
per rate-limit category (`CATEGORIES`), one rate for all or one each (`zoom_limits.BUSINESS`;
429 with X-RateLimit-* and a date-time Retry-After). A start_time without `Z` and without
`timezone` is read in the host's own zone, as Zoom does. `now` is the simulator's clock (token
expiry, daily limits, "upcoming"); tests may replace it.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from syncd.sim.issued import issued
from syncd.sim.server import ApiError, SimServer
from syncd.sim.zoom_limits import LIGHT, MEDIUM, PerSecond, RateLimits
from syncd.sim.zoom_meeting import (
    DEFAULT_SETTINGS,
    INSTANT,
    LIST_TYPES,
    apply_changes,
    ended,
    find_occurrence,
    list_item,
    move_occurrence,
    new_password,
    new_uuid,
    set_password,
    utc_text,
    validation_failed,
)
from syncd.sim.zoom_recurrence import as_int

GRANULAR_SCOPES = " ".join(
    (
        "meeting:write:meeting:admin",
        "meeting:update:meeting:admin",
        "meeting:delete:meeting:admin",
        "meeting:read:meeting:admin",
        "meeting:read:list_meetings:admin",
        "user:read:user:admin",
        "user:read:list_users:admin",
    )
)
OWNER_EMAIL = "owner@sim.example"
CATEGORIES = {
    "users.list": MEDIUM,
    "users.get": LIGHT,
    "meetings.create": MEDIUM,
    "meetings.list": MEDIUM,
    "meetings.get": LIGHT,
    "meetings.update": LIGHT,
    "meetings.delete": LIGHT,
}
"""Zoom's rate-limit category of each route (the token endpoint has none)."""
PAGE_SIZE, MAX_PAGE_SIZE = 30, 300
USER_STATUSES = ("active", "inactive", "pending")
USER_LIST_FIELDS = (  # the fields of an item of "List users" that the simulator's users have
    "id",
    "email",
    "first_name",
    "last_name",
    "display_name",
    "type",
    "pmi",
    "timezone",
    "status",
    "verified",
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _zoom_error(status: int, code: int, message: str) -> ApiError:
    return ApiError(status, {"code": code, "message": message})


def _oauth_error(error: str, reason: str) -> ApiError:
    return ApiError(400, {"reason": reason, "error": error})


class ZoomSim(SimServer):
    """Zoom as syncd sees it: one account, its users, their meetings."""

    def __init__(
        self,
        *,
        port: int = 0,
        latency: float = 0.0,
        account_id: str = "sim-account",
        client_id: str = "sim-client-id",
        client_secret: str = "sim-client-secret",
        token_lifetime: int = 3600,
        scope: str = GRANULAR_SCOPES,
        daily_create_limit: int = 100,
        requests_per_second: PerSecond = None,
        host_time_zone: str = "America/Los_Angeles",
    ) -> None:
        super().__init__(port=port, latency=latency)
        self.account_id, self.client_id = account_id, client_id
        self.client_secret = issued(client_secret)
        self.token_lifetime, self.scope = token_lifetime, scope
        self.limits = RateLimits(daily_create_limit, requests_per_second)
        self.now: Callable[[], datetime] = _utc_now
        self.tokens_issued = 0
        self._tokens: dict[str, datetime] = {}  # access token -> expiry
        self._users: dict[str, dict[str, Any]] = {}
        self._meetings: dict[int, dict[str, Any]] = {}
        self._owner_id = self.add_user(OWNER_EMAIL, host_time_zone)["id"]

    def rules(self) -> Iterable[Rule]:
        return [
            Rule("/oauth/token", endpoint="token", methods=["POST"]),
            Rule("/v2/users", endpoint="users.list", methods=["GET"]),
            Rule("/v2/users/<user_id>", endpoint="users.get", methods=["GET"]),
            Rule("/v2/users/<user_id>/meetings", endpoint="meetings.create", methods=["POST"]),
            Rule("/v2/users/<user_id>/meetings", endpoint="meetings.list", methods=["GET"]),
            Rule("/v2/meetings/<int:meeting_id>", endpoint="meetings.get", methods=["GET"]),
            Rule("/v2/meetings/<int:meeting_id>", endpoint="meetings.update", methods=["PATCH"]),
            Rule("/v2/meetings/<int:meeting_id>", endpoint="meetings.delete", methods=["DELETE"]),
        ]

    def error_body(self, status: int, message: str) -> Any:
        return {"code": status, "message": message}

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    # -- test controls -----------------------------------------------------------------------
    def add_user(
        self, email: str, time_zone: str = "America/Los_Angeles", *, status: str = "active"
    ) -> dict[str, Any]:
        """Add a user to the account (a possible host); returns it as "Get a user" shows it.

        `status` is one of USER_STATUSES: deactivated and pending users are in the account but
        are left out of "List users" unless asked for.
        """
        user = {
            "id": secrets.token_urlsafe(16)[:22],
            "email": email,
            "first_name": email.split("@")[0],
            "last_name": "",
            "display_name": email.split("@")[0],
            "type": 2,
            "role_name": "Owner" if not self._users else "Member",
            "pmi": 1_000_000_000 + secrets.randbelow(8_999_999_999),
            "timezone": time_zone,
            "account_id": self.account_id,
            "status": status,
            "language": "en-US",
            "verified": 1,
        }
        with self._lock:
            self._users[str(user["id"])] = user
        return dict(user)

    def meeting(self, meeting_id: int) -> dict[str, Any]:
        """The stored meeting, every occurrence included (KeyError if unknown or deleted)."""
        with self._lock:
            return copy.deepcopy(self._meetings[meeting_id])

    def meetings(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._meetings.values()))

    def delete_out_of_band(self, meeting_id: int) -> None:
        """Delete a meeting as a user would in Zoom's web portal (no API call is logged)."""
        with self._lock:
            del self._meetings[meeting_id]

    def start_meeting(self, meeting_id: int) -> None:
        """The host starts the meeting: it can no longer be updated (400, code 3000)."""
        with self._lock:
            self._meetings[meeting_id]["status"] = "started"

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (401, code 124)."""
        with self._lock:
            expired = datetime.min.replace(tzinfo=UTC)
            self._tokens = dict.fromkeys(self._tokens, expired)

    # -- OAuth ---------------------------------------------------------------------------------
    def on_token(self, request: Request) -> Response:
        """Zoom reads grant_type and account_id from the query string or the form body."""
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.client_id, self.client_secret):
            raise _oauth_error("invalid_client", "Invalid client_id or client_secret")
        if request.values.get("grant_type") != "account_credentials":
            raise _oauth_error("unsupported_grant_type", "unsupported grant type")
        if request.values.get("account_id") != self.account_id:
            raise _oauth_error("invalid_request", "Invalid account_id")
        token = issued(secrets.token_urlsafe(32))
        with self._lock:
            self._tokens[token] = self.now() + timedelta(seconds=self.token_lifetime)
            self.tokens_issued += 1
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
            "scope": self.scope,
            "api_url": "https://api.zoom.us",
        }
        return self.json_response(200, body)

    def _authorize(self, request: Request, route: str) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        expiry = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if expiry is None:
            raise _zoom_error(401, 124, "Invalid access token.")
        if expiry <= self.now():
            raise _zoom_error(401, 124, "Access token is expired.")
        self.limits.take(CATEGORIES[route], self.now())

    # -- users ---------------------------------------------------------------------------------
    def _find_user(self, ref: str) -> dict[str, Any] | None:
        if ref == "me":
            return self._users[self._owner_id]
        by_email = (u for u in self._users.values() if u["email"].lower() == ref.lower())
        return self._users.get(ref) or next(by_email, None)

    def _user(self, ref: str) -> dict[str, Any]:
        user = self._find_user(ref)
        if user is None:
            raise _zoom_error(404, 1001, f"User does not exist: {ref}.")
        return user

    def _host(
        self, body: dict[str, Any], host: dict[str, Any], meeting_type: object
    ) -> dict[str, Any]:
        """The meeting's host: `host`, or the user named by `schedule_for`."""
        if "schedule_for" not in body:
            return host
        if as_int(meeting_type) == INSTANT:
            raise _zoom_error(
                400,
                3000,
                "Instant meetings do not support the schedule_for parameter; "
                "you cannot schedule an instant meeting for another user.",
            )
        other = self._find_user(str(body["schedule_for"]))
        if other is None:
            raise _zoom_error(
                400,
                300,
                "The value that you entered for the schedule_for field is invalid. "
                "Enter a valid value and try again.",
            )
        return other

    def on_users_list(self, request: Request) -> Response:
        """The account's users with one status (active unless asked), in the order added."""
        with self._lock:
            self._authorize(request, "users.list")
            status = request.args.get("status", "active")
            if status not in USER_STATUSES:
                raise validation_failed(["status"])
            found = [_list_user(u) for u in self._users.values() if u["status"] == status]
        size, start = _page_size(request), _page_start(request)
        body = {
            "page_count": math.ceil(len(found) / size),
            "page_number": start // size + 1,
            "page_size": size,
            "total_records": len(found),
            "next_page_token": _next_page_token(start, size, len(found)),
            "users": found[start : start + size],
        }
        return self.json_response(200, body)

    def on_users_get(self, request: Request, user_id: str) -> Response:
        with self._lock:
            self._authorize(request, "users.get")
            return self.json_response(200, self._user(user_id))

    # -- meetings ------------------------------------------------------------------------------
    def on_meetings_create(self, request: Request, user_id: str) -> Response:
        with self._lock:
            self._authorize(request, "meetings.create")
            body = _json_object(request)
            host = self._host(body, self._user(user_id), body.get("type"))
            self.limits.check_daily(host["id"], CATEGORIES["meetings.create"], self.now())
            meeting = apply_changes(
                self._new_meeting(host),
                body,
                zone_name=host["timezone"],
                now=self.now(),
                creating=True,
            )
            self._store(meeting, host)
            return self.json_response(201, meeting)

    def on_meetings_list(self, request: Request, user_id: str) -> Response:
        with self._lock:
            self._authorize(request, "meetings.list")
            user, now = self._user(user_id), self.now()
            wanted = LIST_TYPES.get(request.args.get("type", "scheduled"))
            if wanted is None:
                raise validation_failed(["type"])
            found = [
                list_item(meeting)
                for meeting in self._meetings.values()
                if meeting["host_id"] == user["id"] and wanted(meeting, now)
            ]
        size, start = _page_size(request), _page_start(request)
        body = {
            "page_size": size,
            "total_records": len(found),
            "next_page_token": _next_page_token(start, size, len(found)),
            "meetings": found[start : start + size],
        }
        return self.json_response(200, body)

    def on_meetings_get(self, request: Request, meeting_id: int) -> Response:
        with self._lock:
            self._authorize(request, "meetings.get")
            meeting = copy.deepcopy(self._existing(meeting_id))
        occurrence_id = request.args.get("occurrence_id")
        if occurrence_id is not None:
            occurrence = find_occurrence(meeting, occurrence_id)
            meeting.update(start_time=occurrence["start_time"], duration=occurrence["duration"])
        if "occurrences" in meeting and request.args.get("show_previous_occurrences") != "true":
            meeting["occurrences"] = [o for o in meeting["occurrences"] if not ended(o, self.now())]
        return self.json_response(200, meeting)

    def on_meetings_update(self, request: Request, meeting_id: int) -> Response:
        with self._lock:
            self._authorize(request, "meetings.update")
            current = self._existing(meeting_id)
            if current["status"] == "started":
                raise _zoom_error(
                    400,
                    3000,
                    "You cannot update or delete meetings that have started using this method.",
                )
            body = _json_object(request)
            host = self._host(
                body, self._users[current["host_id"]], body.get("type", current["type"])
            )
            self.limits.check_daily(host["id"], CATEGORIES["meetings.update"], self.now())
            occurrence_id = request.args.get("occurrence_id")
            if occurrence_id is None:
                updated = apply_changes(
                    current, body, zone_name=current["timezone"], now=self.now(), creating=False
                )
            else:
                updated = move_occurrence(current, occurrence_id, body)
            self._store(updated, host)
        return self.json_response(204, None)

    def on_meetings_delete(self, request: Request, meeting_id: int) -> Response:
        """Delete a meeting, or one occurrence of a series; reminder flags are accepted."""
        with self._lock:
            self._authorize(request, "meetings.delete")
            meeting = self._existing(meeting_id)
            if meeting["status"] == "started":
                raise _zoom_error(
                    400, 3002, "Sorry, you cannot delete this meeting since it is in progress."
                )
            occurrence_id = request.args.get("occurrence_id")
            if occurrence_id is None:
                del self._meetings[meeting_id]
            else:
                find_occurrence(meeting, occurrence_id)["status"] = "deleted"
        return self.json_response(204, None)

    def _existing(self, meeting_id: int) -> dict[str, Any]:
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            raise _zoom_error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return meeting

    def _new_meeting(self, host: dict[str, Any]) -> dict[str, Any]:
        meeting_id = self._new_id()
        meeting = {
            "uuid": new_uuid(),
            "id": meeting_id,
            "topic": "Zoom meeting",
            "type": 2,
            "status": "waiting",
            "agenda": "",
            "created_at": utc_text(self.now()),
            "start_url": f"{self.url}/s/{meeting_id}?zak={secrets.token_urlsafe(32)}",
            "settings": copy.deepcopy(DEFAULT_SETTINGS),
            "pre_schedule": False,
        }
        set_password(meeting, new_password())
        return meeting

    def _new_id(self) -> int:
        """Ten or eleven digits, above 2**32, like Zoom's meeting ids."""
        while True:
            meeting_id = 2**32 + 1 + secrets.randbelow(99_999_999_999 - 2**32)
            if meeting_id not in self._meetings:
                return meeting_id

    def _store(self, meeting: dict[str, Any], host: dict[str, Any]) -> None:
        meeting.update(host_id=host["id"], host_email=host["email"])
        meeting["join_url"] = f"{self.url}/j/{meeting['id']}?pwd={meeting['encrypted_password']}"
        self._meetings[meeting["id"]] = meeting
        self.limits.count_write(host["id"], self.now())


def _list_user(user: dict[str, Any]) -> dict[str, Any]:
    """A user as "List users" shows it: Zoom does not return the id of a pending user."""
    item = {field: user[field] for field in USER_LIST_FIELDS}
    if user["status"] == "pending":
        del item["id"]
    return item


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _zoom_error(400, 300, "Request Body should be a valid JSON object.")
    return body


def _page_size(request: Request) -> int:
    size = request.args.get("page_size", str(PAGE_SIZE))
    if not size.isdigit() or int(size) < 1:
        raise validation_failed(["page_size"])
    return min(int(size), MAX_PAGE_SIZE)


def _page_token(start: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{start}".encode()).decode()


def _next_page_token(start: int, size: int, total: int) -> str:
    """The token of the page after [start, start + size), or "" on the last page."""
    return _page_token(start + size) if start + size < total else ""


def _page_start(request: Request) -> int:
    token = request.args.get("next_page_token", "")
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token).decode().removeprefix("offset:"))
    except ValueError:
        raise validation_failed(["next_page_token"]) from None
