"""`syncd check` for a Google Workspace (`[google.directory]`): the directory answers its
admin, who is in scope, and domain-wide delegation is granted for every scope syncd needs."""

from __future__ import annotations

from syncd.adapters.retry import RetryPolicy
from syncd.app import discovery
from syncd.commands.findings import Finding
from syncd.config import Config
from syncd.core.directory import census
from syncd.core.errors import DelegationRefused, GoogleAuthError, GoogleError, GoogleUnavailable

SIDE = "google"


def check_directory(config: Config, retry: RetryPolicy) -> tuple[list[Finding], str | None]:
    """The findings, and an in-scope user whose calendar is worth probing (None: no user, or
    the directory cannot be read)."""
    found = discovery(config, retry=retry)
    if found is None or config.google.directory is None:
        return [], None
    admin = config.google.directory.admin
    scope, directory = found.scope, found.directory
    try:
        members = directory.group_members(scope.group) if scope.group else None
        users = census(directory.users(scope), scope, members)
    except GoogleError as exc:
        return [_unreadable(exc, admin, scope.group)], None
    findings = [
        Finding(
            SIDE,
            f"directory as {admin}: {len(users.in_scope)} users in scope, "
            f"{len(users.out_of_scope)} out of scope (suspended, archived, or outside the "
            "group or organizational unit)",
        )
    ]
    if not users.in_scope:
        fix = "check customer, domain, group and org_unit in [google.directory]"
        return [*findings, Finding(SIDE, "directory: no user is in scope", fix)], None
    user = users.in_scope[0]
    try:
        directory.check_delegation(user)
    except GoogleError as exc:
        return [*findings, _unreadable(exc, admin, scope.group)], None
    findings.append(Finding(SIDE, f"domain-wide delegation: granted (a token acting as {user})"))
    return findings, user


def _unreadable(exc: GoogleError, admin: str, group: str) -> Finding:
    if isinstance(exc, DelegationRefused):
        return Finding(SIDE, exc.problem, exc.fix)
    if isinstance(exc, GoogleUnavailable):
        return Finding(SIDE, f"directory: {exc}", unreachable=True)
    if isinstance(exc, GoogleAuthError):
        rights = "users and groups" if group else "users"
        return Finding(
            SIDE,
            f"directory: {exc}",
            f"give {admin} an admin role that may read the directory's {rights} (Admin "
            "console, Account, Admin roles), or name such an administrator in "
            "[google.directory] admin",
        )
    return Finding(
        SIDE, f"directory: {exc}", "check customer, domain and group in [google.directory]"
    )
