"""`syncd check`: whether everything a pass needs works, side by side, writing nothing.

Each side (the database, Google, Zoom) is checked as far as it can be, whatever the others
say, so that one run names every problem. A problem carries the fix an administrator can
make; a side that could not be reached says so, and is worth checking again later."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import google.oauth2.service_account

from syncd.adapters.google_calendar import GoogleCalendar
from syncd.adapters.retry import RetryPolicy
from syncd.adapters.zoom import ZoomClient, ZoomCredentials
from syncd.app import google_client, google_credentials, open_store, zoom_client
from syncd.commands.check_directory import check_directory
from syncd.commands.findings import Finding
from syncd.config import Config, ConfigError
from syncd.core.errors import (
    CalendarGone,
    GoogleAuthError,
    GoogleError,
    GoogleUnavailable,
    StoreError,
    ZoomAuthError,
    ZoomError,
    ZoomNotFound,
    ZoomUnavailable,
)
from syncd.store import StoreMissing
from syncd.store.base import sqlite_file
from syncd.store.migrate import current_revision, head_revision, known_revision

ORGANIZER = "organizer"
LISTED = 20  # organizers named in full before "and N more"
ONCE = RetryPolicy(attempts=1)  # a check reports what it sees; the daemon is the one to retry

GOOGLE_CREDENTIALS_FIX = "point [google] credentials_file at the file README step 3 makes"
REFRESH_TOKEN_FIX = (
    "the refresh token was revoked or has expired, or its OAuth client was deleted: "
    "make a new credentials file (README, step 3)"
)
SERVICE_ACCOUNT_FIX = (
    "the key may be deleted or disabled; with [google] subject, the Workspace admin must grant "
    "the service account domain-wide delegation for "
    "https://www.googleapis.com/auth/calendar.events"
)
ZOOM_CREDENTIALS_FIX = (
    "copy the Account ID, Client ID and Client Secret from the app's App Credentials page "
    "in the Zoom App Marketplace, and activate the app"
)


def check_all(config: Config, zoom_credentials: Callable[[], ZoomCredentials]) -> list[Finding]:
    return [*check_database(config), *check_google(config), *check_zoom(config, zoom_credentials)]


# -- the database ----------------------------------------------------------------------------


def check_database(config: Config) -> Iterator[Finding]:
    url = config.sync.database_url
    try:
        store = open_store(config, create=False)
    except StoreMissing:
        yield _database_to_create(sqlite_file(url))
        return
    except StoreError as exc:
        yield Finding("database", str(exc), "check [sync] database_url")
        return
    except ConfigError as exc:  # a URL SQLAlchemy cannot use (unknown dialect, no driver)
        yield Finding("database", "; ".join(exc.problems), "check [sync] database_url")
        return
    try:
        revision, newest = current_revision(store.engine), head_revision()
    except StoreError as exc:
        yield Finding("database", str(exc), "check [sync] database_url and the file's permissions")
        return
    finally:
        store.close()
    if revision == newest:
        yield Finding("database", f"at revision {revision}, the newest")
    elif revision is None or known_revision(revision):
        yield Finding(
            "database",
            f"at revision {revision or 'none'}, older than {newest}: the daemon migrates it "
            "as it starts (or run `syncd db upgrade`)",
        )
    else:
        yield Finding(
            "database",
            f"at revision {revision}, which this syncd does not know (a newer syncd made it)",
            "run the syncd version that made it, or restore a backup made for this one",
        )


def _database_to_create(path: Path | None) -> Finding:
    """Before the first start there is no database yet, nor, under systemd, its folder (the
    unit's StateDirectory= makes it at the start): that is no problem, only what will be."""
    folder = path.parent if path else None
    if folder is not None and not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
        return Finding(
            "database",
            f"will be created at {path} at the first start; {folder} must then exist and be "
            "writable by syncd (the unit's StateDirectory= does this)",
        )
    return Finding("database", f"will be created at {path} by the first pass")


# -- Google ----------------------------------------------------------------------------------


def check_google(config: Config) -> Iterator[Finding]:
    path = config.google.credentials_path
    try:
        credentials = google_credentials(config)
    except ConfigError as exc:
        yield Finding("google", "; ".join(exc.problems), GOOGLE_CREDENTIALS_FIX)
        return
    service_account = isinstance(credentials, google.oauth2.service_account.Credentials)
    kind = "service account" if service_account else "authorized user"
    yield Finding("google", f"credentials: {kind} from {path}")
    findings, user = check_directory(config, ONCE)
    yield from findings
    client = google_client(config, retry=ONCE)
    for calendar_id in [*([user] if user else []), *config.google.calendars]:
        finding = _check_calendar(client, calendar_id, service_account)
        yield finding
        if finding.fix and "credentials" in finding.text:
            return  # every other calendar would say the same


def _check_calendar(client: GoogleCalendar, calendar_id: str, service_account: bool) -> Finding:
    try:
        access = client.probe(calendar_id)
    except GoogleAuthError as exc:
        fix = SERVICE_ACCOUNT_FIX if service_account else REFRESH_TOKEN_FIX
        return Finding("google", str(exc), fix)
    except CalendarGone:
        return Finding(
            "google",
            f"calendar {calendar_id}: not found",
            "check the id in [google] calendars, and that the calendar is shared with the "
            "account syncd signs in as",
        )
    except GoogleUnavailable as exc:
        return Finding("google", str(exc), unreachable=True)
    except GoogleError as exc:
        return Finding(
            "google",
            f"calendar {calendar_id}: {exc}",
            "enable the Google Calendar API for the credentials' project, and share the "
            "calendar with the account syncd signs in as",
        )
    if not access.writable:
        return Finding(
            "google",
            f"calendar {calendar_id}: syncd may read its events but not change them "
            f"(access {access.role or 'unknown'})",
            'share the calendar with the account syncd signs in as, with "Make changes to events"',
        )
    where = f"{access.role}, time zone {access.time_zone}"
    return Finding("google", f"calendar {calendar_id}: readable and writable ({where})")


# -- Zoom ------------------------------------------------------------------------------------


def check_zoom(config: Config, credentials: Callable[[], ZoomCredentials]) -> Iterator[Finding]:
    try:
        zoom = zoom_client(config, credentials(), retry=ONCE)
    except ConfigError as exc:
        yield Finding(
            "zoom",
            "; ".join(exc.problems),
            "give ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET as systemd credentials "
            "or in the environment (README, step 2)",
        )
        return
    try:
        yield from _check_zoom_app(config, zoom)
    finally:
        zoom.close()


def _check_zoom_app(config: Config, zoom: ZoomClient) -> Iterator[Finding]:
    try:
        missing = zoom.missing_scopes()
    except ZoomAuthError as exc:
        yield Finding("zoom", str(exc), ZOOM_CREDENTIALS_FIX)
        return
    except ZoomError as exc:
        yield Finding("zoom", str(exc), unreachable=isinstance(exc, ZoomUnavailable))
        return
    yield Finding("zoom", "app credentials accepted")
    if missing:
        yield Finding(
            "zoom",
            f"the app lacks the scopes {', '.join(missing)}",
            "add them on the app's Scopes page in the Zoom App Marketplace",
        )
    default = config.zoom.host_fallback if config.zoom.host == ORGANIZER else config.zoom.host
    named = {*config.zoom.hosts.values(), default}
    for user in sorted(named):
        yield _check_host(zoom, user)
    if config.zoom.host == ORGANIZER:
        yield _organizers(zoom, config.zoom.host_fallback)
    yield from _who_hosts(config)


def _check_host(zoom: ZoomClient, user: str) -> Finding:
    fix = f"add {user} to the Zoom account, or name another user in [zoom] host or [zoom.hosts]"
    try:
        found = zoom.user(user)
    except ZoomNotFound:
        return Finding("zoom", f"host {user}: not a user of the Zoom account", fix)
    except ZoomError as exc:
        unreachable = isinstance(exc, ZoomUnavailable)
        return Finding("zoom", f"host {user}: {exc}", None if unreachable else fix, unreachable)
    if found.status != "active":
        return Finding(
            "zoom",
            f"host {user}: {found.email} is {found.status} in the Zoom account and cannot host",
            f"activate {found.email} in Zoom's user management, or name another host",
        )
    return Finding("zoom", f"host {user}: {found.email}, active")


def _organizers(zoom: ZoomClient, fallback: str) -> Finding:
    try:
        users = sorted(zoom.active_user_emails())
    except ZoomError as exc:
        unreachable = isinstance(exc, ZoomUnavailable)
        fix = None if unreachable else "grant the app the scopes named above"
        return Finding("zoom", f"host = organizer: {exc}", fix, unreachable)
    shown = ", ".join(users[:LISTED])
    if len(users) > LISTED:
        shown += f" and {len(users) - LISTED} more"
    return Finding(
        "zoom",
        f"host = organizer: these {len(users)} active users host their own events' meetings: "
        f"{shown or 'none'}; other organizers' meetings are hosted by {fallback}",
    )


def _who_hosts(config: Config) -> Iterator[Finding]:
    """Who hosts each calendar's meetings, the way `meeting_spec.resolve_host` chooses."""
    hosts = {key.lower(): user for key, user in config.zoom.hosts.items()}
    default = config.zoom.host
    if default == ORGANIZER:
        default = f"their organizer if an active user, else {config.zoom.host_fallback}"
    if config.google.directory:
        yield Finding("zoom", f"the directory's users' calendars: meetings hosted by {default}")
    for calendar_id in config.google.calendars:
        who = f"{hosts[calendar_id]} ([zoom.hosts])" if calendar_id in hosts else default
        yield Finding("zoom", f"calendar {calendar_id}: meetings hosted by {who}")
    for organizer, user in sorted(hosts.items()):
        if organizer not in config.google.calendars:
            who = f"hosted by {user} ([zoom.hosts])"
            yield Finding("zoom", f"events organized by {organizer}: {who}")
