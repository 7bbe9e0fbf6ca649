"""Which of a Google Workspace's users syncd serves: the directory's users, the scope the
config draws, and the users inside it. Pure: the directory is read by the adapter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DirectoryUser:
    email: str
    suspended: bool = False
    archived: bool = False
    org_unit: str = "/"


@dataclass(frozen=True)
class DirectoryScope:
    """`[google.directory]`'s scope: a customer's users (or a domain's), narrowed to a group's
    members (nested groups' too) and to an organizational unit and the units below it."""

    customer: str = "my_customer"
    domain: str = ""
    group: str = ""
    org_unit: str = ""


@dataclass(frozen=True)
class Census:
    """The directory's users split by the scope, each list sorted, e-mails in lower case."""

    in_scope: tuple[str, ...]
    out_of_scope: tuple[str, ...]


def within(org_unit: str, top: str) -> bool:
    """Whether `org_unit` is `top` or below it (Google's paths compare case-insensitively)."""
    unit, top = org_unit.lower().rstrip("/"), top.lower().rstrip("/")
    return not top or unit == top or unit.startswith(top + "/")


def census(
    users: Iterable[DirectoryUser], scope: DirectoryScope, members: frozenset[str] | None
) -> Census:
    """Active users, in the group (when `members` is given) and in the org unit, are in."""
    inside: set[str] = set()
    outside: set[str] = set()
    for user in users:
        email = user.email.lower()
        active = not (user.suspended or user.archived)
        member = members is None or email in members
        (inside if active and member and within(user.org_unit, scope.org_unit) else outside).add(
            email
        )
    return Census(tuple(sorted(inside)), tuple(sorted(outside - inside)))
