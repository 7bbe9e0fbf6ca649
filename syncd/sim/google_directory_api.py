"""The Admin SDK Directory API's two listings over the simulator's directory: users.list and
members.list, with their parameters, paging and resources as Google answers them.

users.list needs `customer` (`my_customer` or the customer's id) or `domain`; `query` takes
Google's user-search clauses, ANDed: `orgUnitPath='/Sales'` (that unit and every unit below
it), `isSuspended=`, `isArchived=`, `isAdmin=` (true/false), `email=` (exact) or `email:`
(prefix), `name:`/`givenName:`/`familyName:` (prefix). Suspended and archived users are listed,
with their flags; `showDeleted=true` lists the deleted ones instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from werkzeug.datastructures import MultiDict

from syncd.sim.google_directory import ROLES, Directory, DirectoryUser, Member
from syncd.sim.google_wire import GoogleError, invalid, rfc3339

MY_CUSTOMER = "my_customer"
NEVER = "1970-01-01T00:00:00.000Z"
_ENUMS = {
    "orderBy": ("email", "familyName", "givenName"),
    "sortOrder": ("ASCENDING", "DESCENDING"),
    "projection": ("basic", "custom", "full"),
    "viewType": ("admin_view", "domain_public"),
}
_CLAUSE = re.compile(r"\s*(\w+)\s*([=:])\s*('[^']*'|\"[^\"]*\"|\S+)")
UserTest = Callable[[DirectoryUser], bool]


def forbidden() -> GoogleError:
    return GoogleError(403, "Not Authorized to access this resource/api", "forbidden")


# -- users.list ----------------------------------------------------------------------------------
def users_page(directory: Directory, args: MultiDict[str, str]) -> dict[str, Any]:
    customer, domain = args.get("customer"), (args.get("domain") or "").lower()
    if not customer and not domain:
        raise GoogleError(400, "Bad Request", "badRequest")
    if customer and customer not in (MY_CUSTOMER, directory.customer_id):
        raise forbidden()
    if domain and domain not in directory.domains():
        raise forbidden()
    for name, allowed in _ENUMS.items():
        if args.get(name, allowed[0]) not in allowed:
            raise invalid(f"Invalid value for {name}: {args[name]}", name)
    size = _max_results(args, default=100, most=500)
    deleted = args.get("showDeleted", "false").lower() == "true"
    test = user_query(args.get("query", ""))
    users = [
        u
        for u in directory.users()
        if u.deleted == deleted and (not domain or u.domain == domain) and test(u)
    ]
    users.sort(key=_sort_key(args.get("orderBy", "email")))
    if args.get("sortOrder") == "DESCENDING":
        users.reverse()
    public = args.get("viewType") == "domain_public"
    key = _fingerprint("users", customer, domain, deleted, *(args.get(n) for n in _ENUMS))
    rows = [user_resource(u, directory.customer_id, public=public) for u in users]
    return _page("admin#directory#users", "users", rows, key, args.get("pageToken"), size)


def user_resource(user: DirectoryUser, customer_id: str, *, public: bool) -> dict[str, Any]:
    given, _, family = user.name.partition(" ")
    resource: dict[str, Any] = {
        "kind": "admin#directory#user",
        "id": user.id,
        "etag": _etag(user),
        "primaryEmail": user.email,
        "name": {"givenName": given, "familyName": family, "fullName": user.name},
        "emails": [{"address": user.email, "primary": True}],
    }
    if public:
        return resource
    resource |= {
        "isAdmin": user.admin,
        "isDelegatedAdmin": False,
        "lastLoginTime": NEVER,
        "creationTime": rfc3339(user.created),
        "agreedToTerms": True,
        "suspended": user.suspended,
        "archived": user.archived,
        "changePasswordAtNextLogin": False,
        "ipWhitelisted": False,
        "customerId": customer_id,
        "orgUnitPath": user.org_unit,
        "isMailboxSetup": True,
        "isEnrolledIn2Sv": False,
        "isEnforcedIn2Sv": False,
        "includeInGlobalAddressList": True,
    }
    if user.suspended:
        resource["suspensionReason"] = "ADMIN"
    return resource


def _sort_key(order_by: str) -> Callable[[DirectoryUser], tuple[str, str]]:
    def key(user: DirectoryUser) -> tuple[str, str]:
        given, _, family = user.name.lower().partition(" ")
        first = {"givenName": given, "familyName": family}.get(order_by, user.email)
        return first, user.email

    return key


def user_query(text: str) -> UserTest:
    """The conjunction of the query's clauses; 400 for what Google's search would refuse."""
    tests: list[UserTest] = []
    position = 0
    while text[position:].strip():
        match = _CLAUSE.match(text, position)
        if match is None:
            raise invalid("Invalid Input", "query")
        field, operator, value = match.groups()
        tests.append(_clause(field, operator, value.strip("'\"")))
        position = match.end()
    return lambda user: all(test(user) for test in tests)


def _clause(field: str, operator: str, value: str) -> UserTest:
    flags = {"isSuspended": "suspended", "isArchived": "archived", "isAdmin": "admin"}
    if field in flags and operator == "=" and value.lower() in ("true", "false"):
        flag = value.lower() == "true"
        return lambda user: getattr(user, flags[field]) is flag
    if field == "orgUnitPath" and value.startswith("/"):
        return lambda user: in_unit(user.org_unit, value)
    texts: dict[str, Callable[[DirectoryUser], str]] = {
        "email": lambda user: user.email,
        "name": lambda user: user.name,
        "givenName": lambda user: user.name.partition(" ")[0],
        "familyName": lambda user: user.name.partition(" ")[2],
    }
    if field in texts:
        of, wanted = texts[field], value.rstrip("*").lower()
        if operator == "=":
            return lambda user: of(user).lower() == wanted
        return lambda user: of(user).lower().startswith(wanted)
    raise invalid("Invalid Input", "query")


def in_unit(path: str, unit: str) -> bool:
    """Whether the organizational unit `path` is `unit` or below it (case-insensitive)."""
    path, unit = path.rstrip("/").lower(), unit.rstrip("/").lower()
    return path == unit or path.startswith(unit + "/")


# -- members.list --------------------------------------------------------------------------------
def members_page(directory: Directory, group_key: str, args: MultiDict[str, str]) -> dict[str, Any]:
    group = directory.find_group(group_key)
    if group is None:
        raise GoogleError(404, "Resource Not Found: groupKey", "notFound")
    size = _max_results(args, default=200, most=200)
    derived = args.get("includeDerivedMembership", "false").lower() == "true"
    roles = _roles(args.get("roles"))
    members = [m for m in directory.members(group, derived=derived) if m.role in roles]
    key = _fingerprint("members", group.id, derived, sorted(roles))
    rows = [member_resource(m) for m in members]
    return _page("admin#directory#members", "members", rows, key, args.get("pageToken"), size)


def member_resource(member: Member) -> dict[str, Any]:
    return {
        "kind": "admin#directory#member",
        "etag": _etag(member),
        "id": member.id,
        "email": member.email,
        "role": member.role,
        "type": member.type,
        "status": member.status,
    }


def _roles(value: str | None) -> set[str]:
    if value is None:
        return set(ROLES)
    roles = {role.strip().upper() for role in value.split(",")}
    if not roles <= set(ROLES):
        raise invalid(f"Invalid value for roles: {value}", "roles")
    return roles


# -- shared --------------------------------------------------------------------------------------
def _max_results(args: MultiDict[str, str], *, default: int, most: int) -> int:
    value = args.get("maxResults")
    if value is None:
        return default
    if not re.fullmatch(r"-?\d+", value) or not 1 <= int(value) <= most:
        raise invalid(
            f"Invalid value '{value}'. Values must be within the range: [1, {most}]", "maxResults"
        )
    return int(value)


def _page(
    kind: str,
    name: str,
    rows: Sequence[dict[str, Any]],
    key: str,
    page_token: str | None,
    size: int,
) -> dict[str, Any]:
    """One page of a listing; the page token is the offset, bound to the listing's filters."""
    offset = 0 if page_token is None else _offset(page_token, key)
    shown = list(rows[offset : offset + size])
    page: dict[str, Any] = {"kind": kind, "etag": _etag(shown)}
    if shown:
        page[name] = shown
    if offset + size < len(rows):
        page["nextPageToken"] = base64.urlsafe_b64encode(f"{key}:{offset + size}".encode()).decode()
    return page


def _offset(page_token: str, key: str) -> int:
    try:
        bound, _, offset = base64.urlsafe_b64decode(page_token.encode()).decode().partition(":")
    except (ValueError, UnicodeError):
        bound, offset = "", ""
    if bound != key or not offset.isdigit():
        raise invalid("Invalid Input: pageToken", "pageToken")
    return int(offset)


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _etag(content: object) -> str:
    text = json.dumps(content, default=repr, sort_keys=True)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:27] + '"'
