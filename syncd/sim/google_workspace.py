"""A Google Workspace's rules around its APIs, as the simulator applies them: whom a service
account may act as (domain-wide delegation), which scopes a method needs, who sees which
calendar, and who may use the Directory API.

- Delegation: the token endpoint grants a `sub` only if every scope asked for was delegated to
  the service account's client id (401 `unauthorized_client`), and, once the directory has any
  user, only for an active user (400 `invalid_grant`); a directory without users accepts any
  `sub`, as the simulator always did.
- Scopes: a method needs one of the scopes its discovery document lists for it (403
  `insufficientPermissions`).
- Calendars: one owned by a user is seen only by its owner and those it was shared with; to
  anyone else it does not exist (404). `primary` is the caller's own. A calendar without an
  owner is everyone's, with the access role it was added with.
- Directory: only an active administrator (403 `forbidden`).
"""

from __future__ import annotations

import json
import threading
from functools import cache
from importlib import resources

from syncd.sim.google_directory import Directory
from syncd.sim.google_directory_api import forbidden
from syncd.sim.google_oauth import Grant, oauth_error
from syncd.sim.google_wire import GoogleError, not_found

AUTH = "https://www.googleapis.com/auth/"
CALENDAR_EVENTS = AUTH + "calendar.events"
DIRECTORY_USERS = AUTH + "admin.directory.user.readonly"
DIRECTORY_MEMBERS = AUTH + "admin.directory.group.member.readonly"
DEFAULT_DELEGATED_SCOPES = frozenset({CALENDAR_EVENTS, DIRECTORY_USERS, DIRECTORY_MEMBERS})
PRIMARY = "primary"
SHARE_ROLES = ("owner", "writer", "reader")
_DOCUMENTS = {"calendar": "calendar.v3.json", "directory": "admin.directory_v1.json"}


# -- delegation and scopes ----------------------------------------------------------------------
def delegated_identity(
    directory: Directory, delegated_scopes: set[str], subject: str, scopes: frozenset[str]
) -> str:
    """The identity a token for `sub` acts as, or the token endpoint's refusal."""
    identity = subject
    if directory.has_users():
        user = directory.user(subject)
        if user is None or not user.active:
            raise oauth_error(400, "invalid_grant", "Invalid email or User ID")
        identity = user.email
    if not scopes <= delegated_scopes:
        raise oauth_error(
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not "
            "authorized for any of the scopes requested.",
        )
    return identity


@cache
def method_scopes(method_id: str) -> frozenset[str]:
    """The scopes that authorize a method ("calendar.events.list", "directory.users.list")."""
    document = _DOCUMENTS[method_id.partition(".")[0]]
    path = resources.files("googleapiclient") / "discovery_cache/documents" / document
    resource: dict = json.loads(path.read_text())
    found = _find(resource, method_id)
    if found is None:
        raise KeyError(f"no method {method_id!r} in {document}")
    return frozenset(found.get("scopes", ()))


def _find(resource: dict, method_id: str) -> dict | None:
    for method in resource.get("methods", {}).values():
        if method.get("id") == method_id:
            return method
    for sub in resource.get("resources", {}).values():
        found = _find(sub, method_id)
        if found is not None:
            return found
    return None


def require_scope(grant: Grant, method_id: str) -> None:
    needed = method_scopes(method_id)
    if grant.scopes & needed:
        return
    raise GoogleError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        detail_message="Insufficient Permission",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
            f'error="insufficient_scope", scope="{" ".join(sorted(needed))}"'
        },
    )


def require_admin(directory: Directory, identity: str) -> None:
    user = directory.user(identity)
    if user is None or not user.admin or not user.active:
        raise forbidden()


# -- calendars ------------------------------------------------------------------------------------
class CalendarAccess:
    """Who owns which calendar and whom it is shared with (identities lower-case)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[str, str] = {}
        self._shares: dict[str, dict[str, str]] = {}

    def own(self, calendar_id: str, owner: str) -> None:
        with self._lock:
            self._owners[calendar_id] = owner.lower()

    def forget(self, calendar_id: str) -> None:
        with self._lock:
            self._owners.pop(calendar_id, None)
            self._shares.pop(calendar_id, None)

    def share(self, calendar_id: str, identity: str, role: str) -> None:
        if role not in SHARE_ROLES:
            raise ValueError(f"role must be one of {', '.join(SHARE_ROLES)}")
        with self._lock:
            if calendar_id not in self._owners:
                raise KeyError(f"calendar {calendar_id!r} has no owner: everyone sees it")
            self._shares.setdefault(calendar_id, {})[identity.lower()] = role

    def resolve(self, identity: str, calendar_id: str) -> tuple[str, str | None]:
        """The calendar `calendar_id` names for `identity`, and the identity's role on it
        (None: an unowned calendar, whose own access role applies); 404 if hidden."""
        identity = identity.lower()
        with self._lock:
            if calendar_id == PRIMARY and self._owners.get(identity) == identity:
                calendar_id = identity
            elif calendar_id.lower() in self._owners:  # e-mail ids are case-insensitive
                calendar_id = calendar_id.lower()
            owner = self._owners.get(calendar_id)
            if owner is None:
                return calendar_id, None
            role = "owner" if identity == owner else self._shares.get(calendar_id, {}).get(identity)
        if role is None:
            raise not_found()
        return calendar_id, role


def require_writer(role: str | None) -> None:
    if role == "reader":
        raise GoogleError(
            403, "You need to have writer access to this calendar.", "requiredAccessLevel"
        )
