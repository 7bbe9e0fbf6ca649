"""What meeting an event asks for, in Zoom's terms (pure): topic, agenda, time, host and
settings, from the event and the parts of the config that shape meetings."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from syncd.core.description import plain_text, remove_block
from syncd.core.domain import Event, MeetingSpec, reference_for
from syncd.core.tagging import strip_tag
from syncd.core.timing import AllDayPolicy, meeting_time

PLANNING_VERSION = 2
"""Raised when syncd plans existing events differently (2: exact recurring meetings): the next
pass then plans every event again, as after a change of the config."""
ALWAYS = datetime.max.replace(tzinfo=UTC)
TOPIC_LIMIT = 200
AGENDA_LIMIT = 2000


@dataclass(frozen=True)
class Settings:
    """The parts of the configuration that decide what an event should get."""

    tag: str = "#zoom"
    host: str = "me"
    """"me", "organizer" or a Zoom user's e-mail."""
    host_fallback: str = "me"
    """Who hosts when `host = "organizer"` and the organizer is no Zoom user of the account."""
    hosts: Mapping[str, str] = field(default_factory=dict)
    """A calendar id or organizer e-mail (lower case) to the Zoom user who hosts, ahead of
    `host`."""
    all_day: AllDayPolicy = AllDayPolicy.NO_FIXED_TIME
    on_cancel: str = "delete"
    zoom_settings: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Context:
    """What planning an event needs besides the event and its link."""

    settings: Settings
    calendar_zone: str | None
    now: datetime
    zoom_users: frozenset[str] | None = None
    """The account's active users' e-mails, lower case (needed for `host = "organizer"`)."""
    others_read_until: datetime = ALWAYS
    """Every other watched calendar's changes have been read up to this instant: an event
    gone from this calendar before then that none of them took over did not move to one
    (with no other calendar, any event gone is gone)."""


def settings_fingerprint(settings: Settings, users_known: bool = True) -> str:
    """Changes when what an existing event should get may have changed: the config (the
    tag, the hosts, all-day handling, Zoom settings) or, with `host = "organizer"`, whether
    the Zoom account's users could be listed (meetings made "for now" under the fallback
    move to their organizers once they can). Then every event is planned again."""
    shaping = (
        PLANNING_VERSION,
        settings.tag.lower(),
        settings.host,
        settings.host_fallback,
        sorted(settings.hosts.items()),
        str(settings.all_day),
        settings.zoom_settings,
        users_known or settings.host != "organizer",
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:32]


def topic_for(event: Event, tag: str) -> str:
    topic = strip_tag(event.summary, tag) or "Meeting"
    return topic[:TOPIC_LIMIT]


def agenda_for(event: Event, reference: str) -> str:
    """The reference first: Zoom lists meetings with their agenda cut short, and the lookup
    after a lost create response must still see it; then the description as plain text."""
    text = plain_text(remove_block(event.description))
    room = AGENDA_LIMIT - len(reference) - 1
    return f"{reference}\n{text[:room]}" if text else reference


@dataclass(frozen=True)
class HostChoice:
    host: str
    note: str | None = None
    """Why a fallback hosts, for the log."""
    known: bool = True
    """False when the organizer's Zoom account could not be looked up: an existing meeting
    then keeps its host."""


def resolve_host(event: Event, ctx: Context) -> HostChoice:
    """Who hosts the event's meeting: `[zoom.hosts]` for its organizer, then for its
    calendar, then `host` (with "organizer": the organizer if a user of the account)."""
    settings = ctx.settings
    organizer = (event.organizer_email or "").lower()
    for key in (organizer, event.calendar_id):
        if key and key in settings.hosts:
            return HostChoice(settings.hosts[key])
    if settings.host != "organizer":
        return HostChoice(settings.host)
    fallback = settings.host_fallback
    if ctx.zoom_users is None:
        note = f"the Zoom account's users could not be listed; host {fallback} for now"
        return HostChoice(fallback, note, known=False)
    if organizer in ctx.zoom_users:
        return HostChoice(organizer)
    note = f"organizer {organizer or '(none)'} is no Zoom user here; host {fallback}"
    return HostChoice(fallback, note)


def possible_hosts(ctx: Context) -> frozenset[str] | None:
    """Every host a meeting made under this config may have; None while, with
    `host = "organizer"`, the account's users cannot be listed."""
    settings = ctx.settings
    named = {settings.host_fallback, *settings.hosts.values()}
    if settings.host != "organizer":
        return frozenset({settings.host, *named})
    if ctx.zoom_users is None:
        return None
    return frozenset(named | ctx.zoom_users)


def hosts_to_search(event: Event, ctx: Context) -> frozenset[str]:
    """The hosts under which a meeting made for the event may be: every host the config may
    use; while the account's users cannot be listed, those it names and the event's
    organizer (with `host = "organizer"`, its host once they can be)."""
    hosts = possible_hosts(ctx)
    if hosts is not None:
        return hosts
    settings = ctx.settings
    organizer = (event.organizer_email or "").lower()
    named = {settings.host_fallback, *settings.hosts.values()}
    if organizer:
        named.add(organizer)
    return frozenset(named)


def meeting_spec(event: Event, ctx: Context) -> MeetingSpec | None:
    when = meeting_time(event, ctx.calendar_zone, ctx.settings.all_day)
    if when is None:
        return None
    host = resolve_host(event, ctx)
    no_fixed_time = (
        f"meeting has no fixed time: {when.no_fixed_time}" if when.no_fixed_time else None
    )
    notes = [n for n in (no_fixed_time, when.note, host.note) if n]
    return MeetingSpec(
        topic=topic_for(event, ctx.settings.tag),
        agenda=agenda_for(event, reference_for(event.calendar_id, event.id)),
        type=when.type,
        host=host.host,
        start_time=when.start_time,
        duration=when.duration,
        timezone=when.timezone,
        settings=ctx.settings.zoom_settings,
        recurrence=when.recurrence,
        occurrences=when.occurrences,
        zone=when.zone,
        no_fixed_time=when.no_fixed_time,
        note="; ".join(notes) or None,
    )
