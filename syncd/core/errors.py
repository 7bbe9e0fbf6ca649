"""The failures the ports may raise, owned by the ports (`syncd.core.ports`).

The engine reacts to these and to nothing else; each adapter translates its wire errors into
them at its edge (`syncd.adapters.google_calendar`, `syncd.adapters.zoom`, `syncd.store`), and
the in-memory fakes of the tests raise the same ones.
"""

from __future__ import annotations

from datetime import datetime


# -- any service ---------------------------------------------------------------------------------
class TransientError(Exception):
    """A failure worth trying again, possibly after `retry_after` seconds."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, retry_safe: bool = True
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.retry_safe = retry_safe
        """False when the request may have taken effect and repeating it could do it twice."""


# -- the calendar (CalendarPort) -------------------------------------------------------------------
class GoogleError(Exception):
    """A Google Calendar request failed."""


class GoogleAuthError(GoogleError):
    """Google refused the credentials."""


class DelegationRefused(GoogleAuthError):
    """The Workspace has not granted the service account domain-wide delegation for a scope
    syncd needs, or the user it would act as does not exist."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}: {fix}")
        self.problem = problem
        self.fix = fix


class CalendarGone(GoogleError):
    """The calendar does not exist or is no longer shared with syncd."""


class EventGone(GoogleError):
    """The event does not exist."""


class SyncTokenExpired(GoogleError):
    """Google wants a full listing (410 fullSyncRequired / updatedMinTooLongAgo)."""


class MalformedEvent(GoogleError):
    """An event that does not have the shape Google documents: reported and skipped."""


class GoogleRefused(GoogleError):
    """Google refused the request itself (400, or 403 other than a rate limit): retrying
    will not help."""


class Conflict(GoogleError):
    """The event changed since it was read (412 on If-Match)."""


class GoogleUnavailable(GoogleError, TransientError):
    """5xx, 429, a rate-limit 403 or a network failure: worth trying again later."""


# -- the meetings (MeetingsPort) -------------------------------------------------------------------
class ZoomError(Exception):
    """A Zoom request failed. `code` is Zoom's own error code when it gave one."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ZoomAuthError(ZoomError):
    """Zoom refused the app credentials or the token."""


class ZoomNotFound(ZoomError):
    """The meeting (or user) does not exist."""


class ZoomRejected(ZoomError):
    """Zoom refused the request itself (validation, permissions): retrying will not help."""


class ZoomDailyLimit(ZoomError):
    """The host's daily create/update allowance is spent until `retry_at` (00:00 UTC)."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message, status=429)
        self.retry_at = retry_at


class ZoomUnavailable(ZoomError, TransientError):
    """429, 5xx or a network failure: worth trying again later."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
        retry_safe: bool = True,
    ) -> None:
        ZoomError.__init__(self, message, status=status, code=code)
        TransientError.__init__(self, message, retry_after, retry_safe=retry_safe)


class MeetingNotFound(ZoomNotFound):
    """The meeting does not exist (deleted in Zoom, say)."""


class HostUnknown(ZoomNotFound):
    """No Zoom user of the account has that e-mail: the host is unknown."""


# -- the store (StorePort) ------------------------------------------------------------------------
class StoreError(Exception):
    """The database cannot be opened or used."""


class LeaseLost(StoreError):
    """Another syncd holds the calendar now: this one must stop writing for it."""
