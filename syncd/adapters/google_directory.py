"""A Google Workspace's directory (Admin SDK Directory API, googleapiclient's `admin`
`directory_v1`), read as an administrator through domain-wide delegation, read-only scopes.

Wire formats and HTTP errors stop here: callers see `DirectoryUser`s, e-mails and the typed
errors of `syncd.core.errors`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from syncd.adapters.google_auth import (
    CALENDAR_SCOPE,
    CountedHttp,
    OneRefresh,
    acting_as,
    error_reason,
)
from syncd.adapters.retry import RetryPolicy, call_with_retries, parse_retry_after
from syncd.core.directory import DirectoryScope, DirectoryUser
from syncd.core.errors import (
    DelegationRefused,
    GoogleAuthError,
    GoogleError,
    GoogleRefused,
    GoogleUnavailable,
)

USER_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
GROUP_SCOPE = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
USERS_PAGE = 500
MEMBERS_PAGE = 200
_GRANT_AT = "Admin console, Security, API controls, Domain-wide delegation"


def needed_scopes(group: str) -> list[str]:
    """Every scope syncd's service account needs delegated, for this directory scope."""
    return [CALENDAR_SCOPE, USER_SCOPE, *([GROUP_SCOPE] if group else [])]


def delegation_fix(client_id: str, scopes: list[str]) -> str:
    return f"grant it in the {_GRANT_AT}: client id {client_id}, scopes {','.join(scopes)}"


class GoogleDirectory:
    """The directory as `admin` sees it; one thread at a time (the pass's)."""

    def __init__(
        self,
        credentials: Credentials,
        admin: str,
        *,
        client_id: str,
        group: str = "",
        api_endpoint: str = "",
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._credentials = credentials
        self._admin = admin
        self._client_id = client_id
        self._scopes = needed_scopes(group)
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        admin_scopes = [scope for scope in self._scopes if scope != CALENDAR_SCOPE]
        as_admin = acting_as(_scoped(credentials, admin_scopes), admin)
        http = google_auth_httplib2.AuthorizedHttp(
            OneRefresh(as_admin), http=CountedHttp(timeout=timeout)
        )
        self._service = build(
            "admin",
            "directory_v1",
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": api_endpoint} if api_endpoint else None,
        )

    def users(self, scope: DirectoryScope) -> list[DirectoryUser]:
        where = {"domain": scope.domain} if scope.domain else {"customer": scope.customer}
        fields = "nextPageToken,users(primaryEmail,suspended,archived,orgUnitPath)"

        def page(token: str | None) -> Any:
            return self._service.users().list(
                **where, maxResults=USERS_PAGE, pageToken=token, fields=fields
            )

        return [
            DirectoryUser(
                email=str(user["primaryEmail"]).lower(),
                suspended=bool(user.get("suspended", False)),
                archived=bool(user.get("archived", False)),
                org_unit=str(user.get("orgUnitPath", "/")),
            )
            for user in self._pages(page, "users", "list the directory's users")
        ]

    def group_members(self, group: str) -> frozenset[str]:
        """The group's users, those of its nested groups included, e-mails in lower case."""

        def page(token: str | None) -> Any:
            return self._service.members().list(
                groupKey=group,
                includeDerivedMembership=True,
                maxResults=MEMBERS_PAGE,
                pageToken=token,
            )

        members = self._pages(page, "members", f"list the members of group {group!r}")
        return frozenset(
            str(m["email"]).lower() for m in members if m.get("type") == "USER" and "email" in m
        )

    def check_delegation(self, user: str) -> None:
        """Fetch a token acting as `user` for the calendar: DelegationRefused, naming the fix,
        unless the Workspace granted it."""
        as_user = acting_as(_scoped(self._credentials, [CALENDAR_SCOPE]), user)
        request = google_auth_httplib2.Request(CountedHttp(timeout=self._timeout))
        call_with_retries(lambda: self._refresh(as_user, request, user), self._retry)

    def _refresh(self, credentials: Credentials, request: Any, user: str) -> None:
        try:
            credentials.refresh(request)
        except google.auth.exceptions.RefreshError as exc:
            raise self._refused(exc, user, [CALENDAR_SCOPE]) from None
        except google.auth.exceptions.TransportError as exc:
            raise GoogleUnavailable(f"cannot reach Google's token endpoint: {exc}") from None

    def _pages(
        self, make_request: Callable[[str | None], Any], key: str, what: str
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:

            def attempt(token: str | None = token) -> Any:
                return self._execute(make_request(token), what)

            page = call_with_retries(attempt, self._retry)
            yield from page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return

    def _execute(self, request: Any, what: str) -> Any:
        try:
            return request.execute()
        except HttpError as exc:
            raise _translate(exc, f"{what} as {self._admin}") from None
        except google.auth.exceptions.RefreshError as exc:
            admin_scopes = [scope for scope in self._scopes if scope != CALENDAR_SCOPE]
            raise self._refused(exc, self._admin, admin_scopes) from None
        except google.auth.exceptions.TransportError as exc:
            raise GoogleUnavailable(
                f"{what}: cannot reach Google's token endpoint: {exc}"
            ) from None
        except (TimeoutError, OSError, httplib2.HttpLib2Error) as exc:
            raise GoogleUnavailable(f"{what}: {exc}") from None

    def _refused(
        self, exc: google.auth.exceptions.RefreshError, user: str, scopes: list[str]
    ) -> GoogleError:
        detail = exc.args[0] if exc.args else type(exc).__name__
        if getattr(exc, "retryable", False):
            return GoogleUnavailable(f"Google's token endpoint failed: {detail}")
        if "unauthorized_client" in str(detail):
            return DelegationRefused(
                f"domain-wide delegation is not granted for acting as {user} with "
                f"{' '.join(scopes)}",
                delegation_fix(self._client_id, self._scopes),
            )
        if "invalid_grant" in str(detail):
            return DelegationRefused(
                f"Google refuses to act as {user}: {detail}",
                "check that the user exists and is active in the Workspace",
            )
        return GoogleAuthError(f"Google refused the credentials acting as {user}: {detail}")


def _scoped(credentials: Credentials, scopes: list[str]) -> Credentials:
    scoped: Credentials = credentials.with_scopes(scopes)  # type: ignore[attr-defined]
    return scoped


def _translate(exc: HttpError, what: str) -> GoogleError:
    status, reason = exc.resp.status, error_reason(exc)
    detail = f"{what}: HTTP {status} {reason}".rstrip()
    if status >= 500 or status == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
        return GoogleUnavailable(detail, parse_retry_after(exc.resp.get("retry-after")))
    if status in (401, 403):
        return GoogleAuthError(f"{detail}: is the account a Workspace administrator?")
    return GoogleRefused(detail)
