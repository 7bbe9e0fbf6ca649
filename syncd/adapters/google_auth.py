"""Google credentials: the file syncd is given, and who it acts as for each calendar; and
what the Calendar and Directory clients share on the wire.

With domain-wide delegation a service account acts as any user of the Workspace: its JWT
assertion names the user in `sub`, and Google gives a token for that user, with that user's
quota. syncd keeps one token per identity, refreshed by google-auth before it expires and
fetched by one thread while the others that want it wait."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import google.oauth2.credentials
import google.oauth2.service_account
import httplib2
from google.auth.credentials import Credentials
from googleapiclient.errors import HttpError

from syncd.adapters.request_metrics import count_request

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
SERVICE_ACCOUNT = ""
"""The identity of the credentials themselves: the service account, or the authorized user."""


class CredentialsFileError(ValueError):
    """A credentials file that cannot be read or used; the message names the file."""


def load_credentials(path: Path, scopes: Sequence[str] = (CALENDAR_SCOPE,)) -> Credentials:
    """Service-account or authorized-user credentials, honouring the file's `token_uri`."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialsFileError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise CredentialsFileError(f"{path} is not JSON") from None
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            return google.oauth2.service_account.Credentials.from_service_account_info(
                info, scopes=list(scopes)
            )
        if kind == "authorized_user":
            return google.oauth2.credentials.Credentials(
                token=None,
                refresh_token=info["refresh_token"],
                client_id=info["client_id"],
                client_secret=info["client_secret"],
                token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
                scopes=list(scopes),
            )
    except (KeyError, ValueError) as exc:
        raise CredentialsFileError(f"{path}: missing or bad field {exc}") from None
    raise CredentialsFileError(f"{path}: type must be service_account or authorized_user")


def client_id(path: Path) -> str:
    """The OAuth client id in a credentials file: the id an administrator grants domain-wide
    delegation to. Empty if the file has none."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(info.get("client_id", "")) if isinstance(info, dict) else ""


def can_delegate(credentials: Credentials) -> bool:
    """Whether these credentials may act as the Workspace's users (a service account's)."""
    return isinstance(credentials, google.oauth2.service_account.Credentials)


def acting_as(credentials: Credentials, identity: str) -> Credentials:
    """The credentials acting as `identity` (an e-mail) by delegation, or as themselves."""
    if identity == SERVICE_ACCOUNT or not can_delegate(credentials):
        return credentials
    delegating: Credentials = credentials.with_subject(identity)  # type: ignore[attr-defined]
    return delegating


def is_user_calendar(calendar_id: str) -> bool:
    """A user's primary calendar, whose id is the user's e-mail; group, resource and
    imported calendars have ids of their own under calendar.google.com."""
    return "@" in calendar_id and not calendar_id.endswith(".calendar.google.com")


class OneRefresh:
    """One identity's credentials as every thread's connection uses them: while one thread
    fetches a token the others wait for it, instead of each fetching its own."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._lock = threading.Lock()

    def before_request(self, request: Any, method: str, url: str, headers: Any) -> None:
        with self._lock:
            self._credentials.before_request(request, method, url, headers)

    def refresh(self, request: Any) -> None:
        with self._lock:
            self._credentials.refresh(request)


class Identities:
    """Who syncd acts as for each calendar, and each identity's one token.

    `owner`: a user's calendar as its owner, anything else as `subject` (the service account
    itself when empty). Otherwise every calendar as `subject` (today's single identity)."""

    def __init__(self, credentials: Credentials, *, owner: bool = False, subject: str = "") -> None:
        self._credentials = credentials
        self._owner = owner and can_delegate(credentials)
        self._subject = subject if can_delegate(credentials) else SERVICE_ACCOUNT
        self._tokens: dict[str, OneRefresh] = {}
        self._lock = threading.Lock()

    def of(self, calendar_id: str) -> str:
        if self._owner and is_user_calendar(calendar_id):
            return calendar_id.lower()
        return self._subject

    def token(self, identity: str) -> OneRefresh:
        with self._lock:
            token = self._tokens.get(identity)
            if token is None:
                token = self._tokens[identity] = OneRefresh(acting_as(self._credentials, identity))
            return token


def error_reason(exc: HttpError) -> str:
    """The `reason` of Google's JSON error body ("userRateLimitExceeded", ...), or ""."""
    try:
        return str(json.loads(exc.content)["error"]["errors"][0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


class CountedHttp(httplib2.Http):
    """httplib2, each request counted in the metrics (the token refreshes go through it too)."""

    def request(self, *args: Any, **kwargs: Any) -> tuple[httplib2.Response, bytes]:
        try:
            response, content = super().request(*args, **kwargs)
        except Exception:
            count_request("google", None)
            raise
        count_request("google", response.status)
        return response, content
