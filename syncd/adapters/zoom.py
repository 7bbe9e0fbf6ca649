"""Zoom's Meeting API through httpx, with Server-to-Server OAuth app credentials.

Wire formats and HTTP errors stop here: callers see `Meeting`s and the typed exceptions below.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from syncd.adapters.rate_limits import RateLimiter
from syncd.adapters.request_metrics import count_request
from syncd.adapters.retry import RetryPolicy, call_with_retries, parse_retry_after
from syncd.adapters.zoom_body import create_body, occurrence_body, update_body
from syncd.core.domain import REFERENCE_PREFIX, Meeting, MeetingSpec, OccurrenceChange
from syncd.core.errors import (
    HostUnknown,
    MeetingNotFound,
    ZoomAuthError,
    ZoomDailyLimit,
    ZoomError,
    ZoomNotFound,
    ZoomRejected,
    ZoomUnavailable,
)
from syncd.core.meeting_changes import MeetingUpdate

log = logging.getLogger(__name__)

TOKEN_MARGIN_SECONDS = 300
"""A token is replaced this long before Zoom says it expires."""
INVALID_TOKEN = 124
MEETING_NOT_FOUND = 3001
USER_NOT_FOUND = 1001
NO_SUCH_OCCURRENCE = 3000
"""The code of "Invalid occurrence_id" (also of other refusals about a meeting's state)."""
LIST_PAGE_SIZE = 300
NO_CANCEL_EMAILS = {"schedule_for_reminder": "false", "cancel_meeting_reminder": "false"}
"""Delete parameters: the host (and alternative hosts) and registrants get no e-mail."""
REQUIRED_SCOPES = (
    # (granular scope of apps made today, classic scope of older apps): either will do.
    ("meeting:write:meeting:admin", "meeting:write:admin"),
    ("meeting:update:meeting:admin", "meeting:write:admin"),
    ("meeting:delete:meeting:admin", "meeting:write:admin"),
    ("meeting:read:meeting:admin", "meeting:read:admin"),
    ("meeting:read:list_meetings:admin", "meeting:read:admin"),
)


@dataclass(frozen=True)
class ZoomCredentials:
    """A Server-to-Server OAuth app's credentials; the secret never shows in a repr or log."""

    account_id: str
    client_id: str
    client_secret: SecretStr


def next_utc_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _meeting(data: dict[str, Any]) -> Meeting:
    return Meeting(
        id=int(data["id"]),
        join_url=data.get("join_url", ""),
        password=data.get("password", ""),
        agenda=data.get("agenda", ""),
        start_time=data.get("start_time"),
        timezone=data.get("timezone"),
        topic=data.get("topic", ""),
        type=data.get("type"),
        duration=data.get("duration"),
        host_email=data.get("host_email"),
        settings=data.get("settings") or {},
    )


def _error_fields(response: httpx.Response) -> tuple[int | None, str]:
    try:
        data = response.json()
    except ValueError:
        return None, response.reason_phrase
    if not isinstance(data, dict):
        return None, response.reason_phrase
    code = data.get("code")
    message = data.get("message") or data.get("reason") or data.get("error") or ""
    return (code if isinstance(code, int) else None), str(message)


_NOT_FOUND: dict[int | None, type[ZoomNotFound]] = {
    MEETING_NOT_FOUND: MeetingNotFound,
    USER_NOT_FOUND: HostUnknown,
}

LIGHT, MEDIUM = "light", "medium"


def category(path: str) -> str:
    """Zoom's rate-limit category of a request: creating and listing meetings, and listing
    users, are Medium; reading, updating and deleting one are Light."""
    parts = path.strip("/").split("/")
    if parts == ["users"] or (parts[0] == "users" and parts[-1] == "meetings"):
        return MEDIUM
    return LIGHT


def _daily(response: httpx.Response) -> bool:
    """A 429 for the host's daily allowance of creates and updates, not the per-second one."""
    _, message = _error_fields(response)
    return "daily" in (response.headers.get("X-RateLimit-Type", "") + message).lower()


def _translate(response: httpx.Response, what: str, *, retry_safe: bool) -> ZoomError:
    status = response.status_code
    code, message = _error_fields(response)
    detail = f"Zoom: {what}: HTTP {status}" + (f" code {code}" if code else "") + f": {message}"
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if _daily(response):
            now = datetime.now(UTC)
            retry_at = (
                now + timedelta(seconds=retry_after) if retry_after else next_utc_midnight(now)
            )
            return ZoomDailyLimit(detail, retry_at)
        return ZoomUnavailable(detail, status=status, code=code, retry_after=retry_after)
    if status >= 500:
        return ZoomUnavailable(detail, status=status, code=code, retry_safe=retry_safe)
    if status == 401:
        return ZoomAuthError(detail, status=status, code=code)
    if status == 404:
        return _NOT_FOUND.get(code, ZoomNotFound)(detail, status=status, code=code)
    return ZoomRejected(detail, status=status, code=code)


def _count_response(response: httpx.Response) -> None:
    count_request("zoom", response.status_code)


@dataclass(frozen=True)
class ZoomUser:
    email: str
    status: str
    """active, inactive (deactivated) or pending (invited, not yet joined): only active hosts."""


class TokenSource:
    """The S2S access token: fetched once, reused until shortly before it expires.

    The lock makes the fetch single-flight: callers that need a token while one is being
    fetched wait for it instead of fetching their own.
    """

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        credentials: ZoomCredentials,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._credentials = credentials
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.scopes: frozenset[str] = frozenset()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` if it is still the current one (another caller may have replaced it)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> None:
        try:
            response = self._http.post(
                self._token_url,
                auth=(
                    self._credentials.client_id,
                    self._credentials.client_secret.get_secret_value(),
                ),
                data={
                    "grant_type": "account_credentials",
                    "account_id": self._credentials.account_id,
                },
            )
        except httpx.HTTPError as exc:
            count_request("zoom", None)
            raise ZoomUnavailable(f"Zoom: token: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            error = _translate(response, "token", retry_safe=True)
            if isinstance(error, ZoomUnavailable):
                raise error
            raise ZoomAuthError(f"Zoom refused the app credentials: {error}", status=error.status)
        data = response.json()
        self._token = data["access_token"]
        lifetime = float(data.get("expires_in", 3600))
        self._expires_at = self._clock() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)
        self.scopes = frozenset(str(data.get("scope", "")).split())
        log.debug("fetched a Zoom access token valid for %.0f s", lifetime)


class ZoomClient:
    def __init__(
        self,
        credentials: ZoomCredentials,
        *,
        api_base_url: str,
        token_url: str,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._limiter = limiter or RateLimiter({})
        self._http = httpx.Client(
            base_url=api_base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            headers={"Accept": "application/json"},
            event_hooks={"response": [_count_response]},
        )
        self.tokens = TokenSource(self._http, token_url, credentials)
        self._retry = retry or RetryPolicy()

    def close(self) -> None:
        self._http.close()

    def _request(
        self, method: str, path: str, what: str, *, idempotent: bool = True, **kwargs: Any
    ) -> httpx.Response:
        def attempt() -> httpx.Response:
            response = self._send(method, path, what, idempotent=idempotent, **kwargs)
            if response.is_success:
                return response
            raise _translate(response, what, retry_safe=idempotent)

        return call_with_retries(attempt, self._retry)

    def _send(
        self, method: str, path: str, what: str, *, idempotent: bool, **kwargs: Any
    ) -> httpx.Response:
        """One request; an expired token (401 code 124) is replaced and the request sent again."""
        for _ in range(2):
            token = self.tokens.token()
            self._limiter.wait(category(path))
            try:
                response = self._http.request(
                    method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
                )
            except httpx.HTTPError as exc:
                count_request("zoom", None)
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                raise ZoomUnavailable(
                    f"Zoom: {what}: {type(exc).__name__}", retry_safe=idempotent or never_sent
                ) from None
            if response.status_code == 429 and not _daily(response):
                pause = parse_retry_after(response.headers.get("Retry-After"))
                self._limiter.pause(pause if pause is not None else 1.0)
            if response.status_code != 401 or _error_fields(response)[0] != INVALID_TOKEN:
                return response
            self.tokens.invalidate(token)
        return response

    def sign_in(self) -> None:
        """A token, fetched unless one is held: ZoomAuthError if Zoom refuses the app."""
        self.tokens.token()

    def missing_scopes(self) -> list[str]:
        """Scopes syncd needs that the app's token does not grant (granular or classic)."""
        self.tokens.token()
        granted = self.tokens.scopes
        return [new for new, old in REQUIRED_SCOPES if new not in granted and old not in granted]

    def create_meeting(self, spec: MeetingSpec) -> Meeting:
        response = self._request(
            "POST",
            f"users/{quote(spec.host, safe='@')}/meetings",
            "create meeting",
            idempotent=False,
            json=create_body(spec),
        )
        return _meeting(response.json())

    def get_meeting(self, meeting_id: int) -> Meeting:
        response = self._request("GET", f"meetings/{meeting_id}", f"get meeting {meeting_id}")
        return _meeting(response.json())

    def update_meeting(self, meeting_id: int, update: MeetingUpdate) -> None:
        """Send what `update` changes."""
        self.patch_meeting(meeting_id, update_body(update))

    def patch_meeting(self, meeting_id: int, body: Mapping[str, Any]) -> None:
        """Apply a partial update as given; a PATCH sent twice leaves the same meeting, so it
        is retried like a read."""
        self._request(
            "PATCH", f"meetings/{meeting_id}", f"update meeting {meeting_id}", json=dict(body)
        )

    def delete_meeting(self, meeting_id: int) -> bool:
        """Delete without cancellation e-mails. False if Zoom no longer has the meeting: gone
        is what the caller wants, and a retried delete whose first answer was lost sees 404."""
        return self._delete(meeting_id, {}, f"delete meeting {meeting_id}")

    def update_occurrence(
        self, meeting_id: int, occurrence_id: str, change: OccurrenceChange
    ) -> bool:
        """Move one occurrence of a series (its start_time and duration); False if the
        series does not have it (any more)."""
        try:
            self._request(
                "PATCH",
                f"meetings/{meeting_id}",
                f"update occurrence {occurrence_id} of meeting {meeting_id}",
                params={"occurrence_id": occurrence_id},
                json=occurrence_body(change),
            )
        except ZoomNotFound:
            return False
        except ZoomRejected as exc:
            if exc.code == NO_SUCH_OCCURRENCE:
                return False
            raise
        return True

    def delete_occurrence(self, meeting_id: int, occurrence_id: str) -> bool:
        """Delete one occurrence of a series, without e-mails; False if it was not there
        (deleted before, or the series no longer has it)."""
        what = f"delete occurrence {occurrence_id} of meeting {meeting_id}"
        try:
            return self._delete(meeting_id, {"occurrence_id": occurrence_id}, what)
        except ZoomRejected as exc:
            if exc.code == NO_SUCH_OCCURRENCE:
                return False
            raise

    def _delete(self, meeting_id: int, params: Mapping[str, str], what: str) -> bool:
        try:
            self._request(
                "DELETE", f"meetings/{meeting_id}", what, params=NO_CANCEL_EMAILS | dict(params)
            )
        except ZoomNotFound:
            return False
        return True

    def active_user_emails(self) -> frozenset[str]:
        """The lower-cased e-mails of the account's active users: one listing answers every
        "can this organizer host?" question of a pass, instead of a lookup per event."""
        params = {"status": "active", "page_size": LIST_PAGE_SIZE}
        users = self._pages("users", "list users", "users", params)
        return frozenset(str(user["email"]).lower() for user in users)

    def user(self, user: str) -> ZoomUser:
        """A Zoom user ("me" or an e-mail) of the account; ZoomNotFound if there is none."""
        data = self._request("GET", f"users/{quote(user, safe='@')}", f"get user {user}").json()
        return ZoomUser(str(data.get("email", "")), str(data.get("status", "active")))

    def owner_email(self) -> str:
        """The lower-cased e-mail of "me", the user the app's meetings are made by."""
        return self.user("me").email.lower()

    def find_meeting(self, host: str, reference: str, besides: int | None = None) -> Meeting | None:
        """The host's meeting whose agenda carries `reference` (other than `besides`), if
        Zoom has one."""
        for item in self._list_meetings(host):
            if reference in (item.get("agenda") or "") and int(item["id"]) != besides:
                return self.get_meeting(int(item["id"]))
        return None

    def meeting_references(self, host: str) -> dict[str, list[int]]:
        """The host's meetings that syncd made, by the reference leading their agenda (more
        than one where a create of unknown outcome was repeated)."""
        found: dict[str, list[int]] = {}
        for item in self._list_meetings(host):
            first_line = (item.get("agenda") or "").split("\n", 1)[0]
            if first_line.startswith(REFERENCE_PREFIX):
                found.setdefault(first_line, []).append(int(item["id"]))
        return found

    def _list_meetings(self, host: str) -> Iterator[dict[str, Any]]:
        params = {"type": "scheduled", "page_size": LIST_PAGE_SIZE}
        path = f"users/{quote(host, safe='@')}/meetings"
        return self._pages(path, "list meetings", "meetings", params)

    def _pages(
        self, path: str, what: str, key: str, params: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """The `key` items of every page of a Zoom list, following next_page_token."""
        query = dict(params)
        while True:
            data = self._request("GET", path, what, params=query).json()
            yield from data.get(key, [])
            if not data.get("next_page_token"):
                return
            query["next_page_token"] = data["next_page_token"]
