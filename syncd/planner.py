"""What should happen to one event, given what the store knows (pure).

One decision table: the event's state (what it asks for) against the link's state (what the
journal says exists) gives the rule that builds the plan. See docs/design.md, "Decision table".
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncd.actions import (
    Action,
    Adopt,
    Create,
    Delete,
    FindOrCreate,
    Forget,
    Keep,
    Plan,
    Rehost,
    RemoveBlock,
    Resolve,
    Update,
    WriteBack,
)
from syncd.description import find_block, plain_text, remove_block
from syncd.domain import (
    MEETING_ID_PROPERTY,
    Event,
    Link,
    LinkState,
    MeetingSpec,
    reference_for,
)
from syncd.tagging import is_tagged, strip_tag
from syncd.timing import AllDayPolicy, has_ended, meeting_time
from syncd.zoom_body import update_body

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


class EventState(enum.StrEnum):
    WANTED = "wanted"
    """Live, tagged, the organizer's copy, with a time syncd can give a meeting."""
    UNWANTED = "unwanted"
    """Live, but untagged, an invitation's copy, or all-day under `all_day = "skip"`."""
    GONE = "gone"
    """Cancelled or deleted."""
    OCCURRENCE = "occurrence"
    """One occurrence of a series: the series' link speaks for it."""


class LinkKind(enum.StrEnum):
    NONE = "none"
    PENDING = "pending"
    CREATING = "creating"
    MEETING = "meeting"
    KEPT = "kept"


def settings_fingerprint(settings: Settings) -> str:
    """Changes when a config change could change what an existing event should get (the
    tag, the hosts, all-day handling, Zoom settings): then every event is planned again."""
    shaping = (
        settings.tag.lower(),
        settings.host,
        settings.host_fallback,
        sorted(settings.hosts.items()),
        str(settings.all_day),
        settings.zoom_settings,
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:32]


# -- what the event asks for -----------------------------------------------------------------
def topic_for(event: Event, tag: str) -> str:
    topic = strip_tag(event.summary, tag) or "Meeting"
    return topic[:TOPIC_LIMIT]


def agenda_for(event: Event, reference: str) -> str:
    """The reference first: Zoom lists meetings with their agenda cut short, and the lookup
    after a lost create response must still see it; then the description as plain text."""
    text = plain_text(remove_block(event.description))
    room = AGENDA_LIMIT - len(reference) - 1
    return f"{reference}\n{text[:room]}" if text else reference


def resolve_host(event: Event, ctx: Context) -> tuple[str, str | None]:
    """Who hosts the event's meeting, and a note when that is a fallback."""
    settings = ctx.settings
    organizer = (event.organizer_email or "").lower()
    for key in (organizer, event.calendar_id):
        if key and key in settings.hosts:
            return settings.hosts[key], None
    if settings.host != "organizer":
        return settings.host, None
    if organizer and (ctx.zoom_users is None or organizer in ctx.zoom_users):
        return organizer, None
    fallback = settings.host_fallback
    return fallback, f"organizer {organizer or '(none)'} is no Zoom user here; host {fallback}"


def meeting_spec(event: Event, ctx: Context) -> MeetingSpec | None:
    when = meeting_time(event, ctx.calendar_zone, ctx.settings.all_day)
    if when is None:
        return None
    host, host_note = resolve_host(event, ctx)
    notes = [n for n in (when.note, host_note) if n]
    return MeetingSpec(
        topic=topic_for(event, ctx.settings.tag),
        agenda=agenda_for(event, reference_for(event.calendar_id, event.id)),
        type=when.type,
        host=host,
        start_time=when.start_time,
        duration=when.duration,
        timezone=when.timezone,
        settings=ctx.settings.zoom_settings,
        note="; ".join(notes) or None,
    )


def event_state(event: Event, ctx: Context) -> EventState:
    if event.recurring_event_id:
        return EventState.OCCURRENCE
    if event.cancelled:
        return EventState.GONE
    if not event.organizer_self or not is_tagged(event, ctx.settings.tag):
        return EventState.UNWANTED
    if meeting_time(event, ctx.calendar_zone, ctx.settings.all_day) is None:
        return EventState.UNWANTED
    return EventState.WANTED


def link_kind(link: Link | None) -> LinkKind:
    if link is None:
        return LinkKind.NONE
    if link.state is LinkState.CREATING:
        return LinkKind.CREATING
    if link.state is LinkState.KEPT:
        return LinkKind.KEPT
    if link.state.has_meeting and link.meeting_id is not None:
        return LinkKind.MEETING
    return LinkKind.PENDING


# -- helpers the rules share -----------------------------------------------------------------
def carries_link(event: Event, link: Link) -> bool:
    """Does the event already show this link's meeting, block and property both?"""
    return find_block(event.description) == link.block and event.private_properties.get(
        MEETING_ID_PROPERTY
    ) == str(link.meeting_id)


def shows_block(event: Event) -> bool:
    """The organizer's copy shows a block of syncd's (an invitation's copy is not ours)."""
    return event.organizer_self and find_block(event.description) is not None


def adoptable_meeting_id(event: Event) -> int | None:
    """The meeting id the event carries from an earlier link, if it carries a valid one."""
    value = event.private_properties.get(MEETING_ID_PROPERTY, "")
    return int(value) if value.isascii() and value.isdecimal() else None


def _plan(
    event: Event, link: Link | None, reason: str, *actions: Action, note: str | None = None
) -> Plan:
    return Plan(event, link, tuple(actions), reason, notes=(note,) if note else ())


def _require(link: Link | None) -> Link:
    if link is None:  # the table routes only existing links here
        raise ValueError("this rule needs a link")
    return link


def _meeting_id(link: Link) -> int:
    if link.meeting_id is None:  # the table routes only links with a meeting here
        raise ValueError("this rule needs a link with a meeting")
    return link.meeting_id


# -- the rules ---------------------------------------------------------------------------------
Rule = Callable[[Event, Link | None, Context], Plan]


def idle(reason: str) -> Rule:
    return lambda event, link, ctx: _plan(event, link, reason)


def create(event: Event, link: Link | None, ctx: Context) -> Plan:
    if has_ended(event, ctx.now):
        actions: tuple[Action, ...] = (Forget(),) if link is not None else ()
        return _plan(event, link, "event has ended", *actions)
    spec = _spec(event, ctx)
    reference = reference_for(event.calendar_id, event.id)
    meeting_id = adoptable_meeting_id(event)
    first: Action = (
        Adopt(meeting_id, spec, reference) if meeting_id is not None else Create(spec, reference)
    )
    return _plan(event, link, "tagged", first, WriteBack(), note=spec.note)


def find_or_create(event: Event, link: Link | None, ctx: Context) -> Plan:
    link = _require(link)
    spec = _spec(event, ctx)
    action = FindOrCreate(spec, link.reference, link.host or spec.host, link.create_sent_at)
    reason = "an earlier create was cut short"
    return _plan(event, link, reason, action, WriteBack(), note=spec.note)


def follow(event: Event, link: Link | None, ctx: Context) -> Plan:
    """The meeting exists: bring it in step with the event, and the event with it."""
    link = _require(link)
    meeting_id = _meeting_id(link)
    spec = _spec(event, ctx)
    if link.host is not None and spec.host.lower() != link.host.lower():
        move = (
            {"schedule_for": spec.host} | update_body(link.made_from, spec)
            if spec.host != "me"
            else None
        )
        change: Action = Rehost(meeting_id, spec, link.reference, link.host, move)
        return _plan(event, link, "host changed", change, WriteBack(), note=spec.note)
    changes = update_body(link.made_from, spec)
    if changes:
        update = Update(meeting_id, changes, spec, link.reference)
        return _plan(event, link, "event changed", update, WriteBack())
    if not carries_link(event, link):
        return _plan(event, link, "event does not show its meeting", WriteBack(link.block))
    if link.state is not LinkState.LINKED:  # shown, but not yet journaled as linked
        return _plan(event, link, "event shows its meeting", WriteBack(link.block))
    return _plan(event, link, "up to date")


def settle(event: Event, link: Link | None, ctx: Context) -> Plan:
    """No meeting: nothing left to retry, and no block of a meeting that is gone."""
    remove = (RemoveBlock(),) if shows_block(event) and not event.cancelled else ()
    return _plan(event, link, "no meeting, nothing left to retry", *remove, Forget())


def unlink(event: Event, link: Link | None, ctx: Context) -> Plan:
    """No longer tagged: the block goes first (the user sees the change at once), then the
    meeting, then the journal row."""
    link = _require(link)
    remove = (RemoveBlock(),) if shows_block(event) else ()
    delete = Delete(_meeting_id(link), "no longer asks for a meeting")
    return _plan(event, link, "untagged", *remove, delete, Forget())


def remove_stray_block(event: Event, link: Link | None, ctx: Context) -> Plan:
    if shows_block(event):
        return _plan(event, link, "untagged, shows an unknown meeting's block", RemoveBlock())
    return _plan(event, link, "does not ask for a meeting")


def resolve_unwanted(event: Event, link: Link | None, ctx: Context) -> Plan:
    link = _require(link)
    remove = (RemoveBlock(),) if shows_block(event) else ()
    resolve = Resolve(link.reference, link.host or "me", link.create_sent_at, delete=True)
    return _plan(event, link, "untagged while a create was cut short", *remove, resolve)


def resolve_gone(event: Event, link: Link | None, ctx: Context) -> Plan:
    link = _require(link)
    delete = ctx.settings.on_cancel == "delete"
    resolve = Resolve(link.reference, link.host or "me", link.create_sent_at, delete=delete)
    return _plan(event, link, "cancelled while a create was cut short", resolve)


def cancel(event: Event, link: Link | None, ctx: Context) -> Plan:
    link = _require(link)
    if ctx.settings.on_cancel == "keep":
        return _plan(event, link, "cancelled (on_cancel = keep)", Keep())
    delete = Delete(_meeting_id(link), "event cancelled")
    return _plan(event, link, "cancelled", delete, Forget())


def _spec(event: Event, ctx: Context) -> MeetingSpec:
    spec = meeting_spec(event, ctx)
    if spec is None:  # event_state made sure the event has a meeting time
        raise ValueError(f"event {event.id} has no meeting time")
    return spec


_E, _L = EventState, LinkKind

TABLE: dict[tuple[EventState, LinkKind], Rule] = {
    (_E.WANTED, _L.NONE): create,
    (_E.WANTED, _L.PENDING): create,
    (_E.WANTED, _L.CREATING): find_or_create,
    (_E.WANTED, _L.MEETING): follow,
    (_E.WANTED, _L.KEPT): follow,
    (_E.UNWANTED, _L.NONE): remove_stray_block,
    (_E.UNWANTED, _L.PENDING): settle,
    (_E.UNWANTED, _L.CREATING): resolve_unwanted,
    (_E.UNWANTED, _L.MEETING): unlink,
    (_E.UNWANTED, _L.KEPT): unlink,
    (_E.GONE, _L.NONE): idle("cancelled, never had a meeting"),
    (_E.GONE, _L.PENDING): settle,
    (_E.GONE, _L.CREATING): resolve_gone,
    (_E.GONE, _L.MEETING): cancel,
    (_E.GONE, _L.KEPT): idle("cancelled, meeting kept"),
    **{(_E.OCCURRENCE, kind): idle("one occurrence of a series") for kind in LinkKind},
}


def plan(event: Event, link: Link | None, ctx: Context) -> Plan:
    """The plan for one event: the table's rule for (what it asks for, what exists)."""
    return TABLE[(event_state(event, ctx), link_kind(link))](event, link, ctx)
