"""The Workspace's directory behind the simulator: users and groups, as an administrator
keeps them in the Admin console.

E-mails are case-insensitive, as Google's are: they are stored lower-case. A deleted user stays
(flagged) for `showDeleted`, as Google keeps one for 20 days, but is out of every group and
can no longer be delegated to. Groups hold user and group e-mails (nested groups) with a role;
a member is resolved when listed, so a group may name a group made later.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field, replace

CUSTOMER_ID = "C0sim1234"
ROLES = ("OWNER", "MANAGER", "MEMBER")
_CHANGEABLE = frozenset({"suspended", "archived", "org_unit", "admin", "name"})


def stable_id(text: str) -> str:
    """A 21-digit id like Google's, the same for the same text."""
    digest = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return str(10**20 + digest % 10**20)


@dataclass(frozen=True)
class DirectoryUser:
    email: str
    id: str
    name: str
    org_unit: str = "/"
    suspended: bool = False
    archived: bool = False
    admin: bool = False
    time_zone: str = "UTC"
    deleted: bool = False
    created: int = 0
    """Microseconds since the epoch."""

    @property
    def domain(self) -> str:
        return self.email.partition("@")[2]

    @property
    def active(self) -> bool:
        """May sign in, or be acted as by delegation."""
        return not (self.deleted or self.suspended or self.archived)


@dataclass
class Group:
    email: str
    id: str
    members: dict[str, str] = field(default_factory=dict)
    """E-mail to role, in the order added."""


@dataclass(frozen=True)
class Member:
    """One row of members.list."""

    email: str
    id: str
    role: str
    type: str
    status: str


def _canonical(email: str) -> str:
    if "@" not in email:
        raise ValueError(f"not an e-mail: {email!r}")
    return email.strip().lower()


def _check_org_unit(path: object) -> None:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"an organizational unit is a path from the top, like '/Sales': {path!r}")


def _name_of(email: str) -> str:
    local = email.partition("@")[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


class Directory:
    """Users and groups in memory, guarded by one lock."""

    def __init__(self) -> None:
        self.customer_id = CUSTOMER_ID
        self._lock = threading.RLock()
        self._users: dict[str, DirectoryUser] = {}
        self._groups: dict[str, Group] = {}

    # -- users -------------------------------------------------------------------------------
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
    ) -> DirectoryUser:
        email = _canonical(email)
        _check_org_unit(org_unit)
        with self._lock:
            if email in self._users and not self._users[email].deleted:
                raise ValueError(f"user {email!r} exists already")
            if email in self._groups:
                raise ValueError(f"{email!r} is a group")
            user = DirectoryUser(
                email,
                stable_id(email),
                name or _name_of(email),
                org_unit,
                suspended,
                archived,
                admin,
                time_zone,
                created=time.time_ns() // 1000,
            )
            self._users[email] = user
            return user

    def update_user(self, email: str, **changes: object) -> DirectoryUser:
        unknown = set(changes) - _CHANGEABLE
        if unknown:
            raise TypeError(f"cannot change {', '.join(sorted(unknown))} of a user")
        if "org_unit" in changes:
            _check_org_unit(changes["org_unit"])
        with self._lock:
            user = self._existing(email)
            self._users[user.email] = replace(user, **changes)  # type: ignore[arg-type]
            return self._users[user.email]

    def delete_user(self, email: str) -> None:
        with self._lock:
            user = self._existing(email)
            self._users[user.email] = replace(user, deleted=True)
            for group in self._groups.values():
                group.members.pop(user.email, None)

    def user(self, email: str) -> DirectoryUser | None:
        """The user, deleted or not; None if never one."""
        with self._lock:
            return self._users.get(email.strip().lower())

    def users(self) -> list[DirectoryUser]:
        with self._lock:
            return list(self._users.values())

    def has_users(self) -> bool:
        with self._lock:
            return bool(self._users)

    def domains(self) -> set[str]:
        with self._lock:
            return {user.domain for user in self._users.values()}

    def _existing(self, email: str) -> DirectoryUser:
        user = self._users.get(email.strip().lower())
        if user is None or user.deleted:
            raise KeyError(f"no user {email!r}")
        return user

    # -- groups ------------------------------------------------------------------------------
    def add_group(self, email: str, members: list[str]) -> None:
        email = _canonical(email)
        with self._lock:
            if email in self._groups or email in self._users:
                raise ValueError(f"{email!r} exists already")
            self._groups[email] = Group(email, stable_id("group:" + email))
            for member in members:
                self.add_member(email, member)

    def add_member(self, group: str, email: str, role: str = "MEMBER") -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        with self._lock:
            self._group(group).members[_canonical(email)] = role

    def remove_member(self, group: str, email: str) -> None:
        with self._lock:
            members = self._group(group).members
            if members.pop(email.strip().lower(), None) is None:
                raise KeyError(f"{email!r} is not a member of {group!r}")

    def find_group(self, key: str) -> Group | None:
        """A group by e-mail or id."""
        with self._lock:
            found = self._groups.get(key.strip().lower())
            return found or next((g for g in self._groups.values() if g.id == key), None)

    def _group(self, email: str) -> Group:
        group = self._groups.get(email.strip().lower())
        if group is None:
            raise KeyError(f"no group {email!r}")
        return group

    def members(self, group: Group, *, derived: bool) -> list[Member]:
        """The group's members in the order added; `derived`: then those of nested groups,
        each e-mail once (as Google's includeDerivedMembership)."""
        with self._lock:
            listed: dict[str, Member] = {}
            pending, seen = [group], {group.email}
            while pending:
                current = pending.pop(0)
                for email, role in current.members.items():
                    if email not in listed and email != group.email:
                        listed[email] = self._member(email, role)
                    nested = self._groups.get(email)
                    if derived and nested is not None and email not in seen:
                        seen.add(email)
                        pending.append(nested)
            return list(listed.values())

    def _member(self, email: str, role: str) -> Member:
        group = self._groups.get(email)
        if group is not None:
            return Member(email, group.id, role, "GROUP", "ACTIVE")
        user = self._users.get(email)
        user_id = stable_id(email) if user is None else user.id
        status = "SUSPENDED" if user is not None and user.suspended else "ACTIVE"
        return Member(email, user_id, role, "USER", status)
