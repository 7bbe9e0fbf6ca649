"""What should happen to one event, given what the store knows (pure).

One decision table: the event's state (what it asks for) against the link's state (what the
journal says exists) gives the rule that builds the plan. See docs/design.md, "Decision table".
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from syncd.core.actions import (
    Action,
    Adopt,
    Create,
    Delete,
    Depart,
    DropReplaced,
    FindOrCreate,
    Forget,
    Keep,
    Plan,
    Reconcile,
    Rehost,
    RemoveBlock,
    Resolve,
    ShowSeriesBlock,
    Update,
    WriteBack,
)
from syncd.core.description import find_block, has_block
from syncd.core.domain import (
    MEETING_ID_PROPERTY,
    Event,
    Link,
    LinkState,
    MeetingSpec,
    MeetingType,
    OccurrenceChange,
    reference_for,
)
from syncd.core.meeting_changes import MeetingUpdate, meeting_update
from syncd.core.meeting_spec import Context, meeting_spec, resolve_host
from syncd.core.tagging import is_tagged
from syncd.core.timing import has_ended, meeting_time
from syncd.core.zoom_schedule import occurrence_changes

MOVE_WAIT_LIMIT = timedelta(hours=1)
"""How long a gone event's meeting waits for the other watched calendars to be read (one
failing for ever must not keep every cancelled event's meeting alive)."""


class EventState(enum.StrEnum):
    WANTED = "wanted"
    """Live, tagged, the organizer's copy, with a time syncd can give a meeting."""
    UNWANTED = "unwanted"
    """Live, but untagged, an invitation's copy, or all-day under `all_day = "skip"`."""
    GONE = "gone"
    """Cancelled or deleted."""
    OCCURRENCE = "occurrence"
    """One instance of a series: planned with the series' link, which speaks for it."""


class LinkKind(enum.StrEnum):
    NONE = "none"
    PENDING = "pending"
    CREATING = "creating"
    MEETING = "meeting"
    KEPT = "kept"


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
    """The organizer's copy shows a block of syncd's, a meeting's or a note's (an
    invitation's copy is not ours)."""
    return event.organizer_self and has_block(event.description)


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
    if link is not None and link.parked_at is not None:
        return _plan(event, link, f"parked until `syncd retry`: {link.last_error}")
    if link is not None and link.next_attempt_at is not None and link.next_attempt_at > ctx.now:
        # Its own note, written by syncd, comes back as a change: that is no reason to retry.
        return _plan(event, link, "queued for a retry")
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
    host = link.host or spec.host
    replaced = link.replaced_meeting_id
    action = FindOrCreate(spec, link.reference, host, link.create_sent_at, besides=replaced)
    reason = "an earlier create was cut short"
    drop: tuple[Action, ...] = (DropReplaced(replaced),) if replaced is not None else ()
    return _plan(event, link, reason, action, WriteBack(), *drop, note=spec.note)


def follow(event: Event, link: Link | None, ctx: Context) -> Plan:
    """The meeting exists: bring it in step with the event, and the event with it."""
    link = _require(link)
    meeting_id = _meeting_id(link)
    spec = _spec(event, ctx)
    if link.host is not None and not resolve_host(event, ctx).known:
        spec = replace(spec, host=link.host)  # who should host is unknown: leave it be
    if link.host is not None and spec.host.lower() != link.host.lower():
        changes = meeting_update(link.made_from, spec, ctx.now, schedule_for=spec.host)
        move = changes if spec.host != "me" else None
        occurrences = _occurrences_after(link.made_from, spec, changes, ctx.now)
        rehost = Rehost(meeting_id, spec, link.reference, link.host, move, occurrences)
        drop = DropReplaced(meeting_id)  # if Zoom would not move it and a new one was made
        return _plan(event, link, "host changed", rehost, WriteBack(), drop, note=spec.note)
    if link.made_from is None:
        reconcile = Reconcile(meeting_id, spec, link.reference)
        return _plan(event, link, "made from what is unknown", reconcile, WriteBack())
    changes = meeting_update(link.made_from, spec, ctx.now)
    occurrences = _occurrences_after(link.made_from, spec, changes, ctx.now)
    if changes or occurrences:
        update = Update(meeting_id, changes, spec, link.reference, occurrences)
        return _plan(event, link, "event changed", update, WriteBack())
    if not carries_link(event, link):
        return _plan(event, link, "event does not show its meeting", WriteBack(link.block))
    if (
        link.state is not LinkState.LINKED
        or link.held_at
        or link.next_attempt_at
        or link.departed_at
    ):
        # Shown, but journaled as something else: created, kept, held for deletion, gone
        # (now back), or queued for a retry that is no longer needed.
        return _plan(event, link, "event shows its meeting", WriteBack(link.block))
    return _plan(event, link, "up to date")


def _occurrences_after(
    old: MeetingSpec | None, new: MeetingSpec, update: MeetingUpdate, now: datetime
) -> tuple[tuple[str, OccurrenceChange], ...]:
    """The occurrence changes that follow `update` (which reschedules a series when it
    changes its schedule)."""
    return tuple(occurrence_changes(old, new, update.reschedules, now))


def drop(event: Event, link: Link | None, ctx: Context) -> Plan:
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
    """Gone from this calendar: cancelled, or moved to another (a change of owner,
    `events.move`), where it keeps its meeting. The meeting is deleted once every other
    watched calendar has been read since the event was seen gone and none took it over."""
    link = _require(link)
    if ctx.settings.on_cancel == "keep":
        return _plan(event, link, "cancelled (on_cancel = keep)", Keep())
    gone_at = link.departed_at or ctx.now
    if gone_at < ctx.others_read_until or ctx.now - gone_at >= MOVE_WAIT_LIMIT:
        delete = Delete(_meeting_id(link), "event cancelled")
        return _plan(event, link, "cancelled", delete, Forget())
    waiting = "gone; waiting for the other calendars, in case it moved to one of them"
    return _plan(event, link, waiting, *(() if link.departed_at else (Depart(),)))


def show_series_block(event: Event, link: Link | None, ctx: Context) -> Plan:
    """An instance that Google keeps apart (moved, or with its own description) shows its
    series' meeting too; the series' plan has already moved or deleted its occurrence."""
    link = _require(link)
    block = link.block
    if event.cancelled or not event.organizer_self or block is None:
        return _plan(event, link, "one occurrence of a series")
    if find_block(event.description) == block:
        return _plan(event, link, "one occurrence of a series, shows its meeting")
    return _plan(event, link, "one occurrence of a series", ShowSeriesBlock(block))


def needs_instances(event: Event, ctx: Context) -> bool:
    """A series whose meeting has Zoom occurrences: its plan needs its instances, so that
    the occurrences follow the instances cancelled or moved."""
    if event_state(event, ctx) is not EventState.WANTED or not event.recurrence:
        return False
    when = meeting_time(event, ctx.calendar_zone, ctx.settings.all_day)
    return when is not None and when.type is MeetingType.RECURRING_FIXED_TIME


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
    (_E.UNWANTED, _L.PENDING): drop,
    (_E.UNWANTED, _L.CREATING): resolve_unwanted,
    (_E.UNWANTED, _L.MEETING): unlink,
    (_E.UNWANTED, _L.KEPT): unlink,
    (_E.GONE, _L.NONE): idle("cancelled, never had a meeting"),
    (_E.GONE, _L.PENDING): drop,
    (_E.GONE, _L.CREATING): resolve_gone,
    (_E.GONE, _L.MEETING): cancel,
    (_E.GONE, _L.KEPT): idle("cancelled, meeting kept"),
    **{(_E.OCCURRENCE, kind): idle("one occurrence of a series") for kind in LinkKind},
    (_E.OCCURRENCE, _L.MEETING): show_series_block,
    (_E.OCCURRENCE, _L.KEPT): show_series_block,
}


def plan(event: Event, link: Link | None, ctx: Context) -> Plan:
    """The plan for one event: the table's rule for (what it asks for, what exists); a
    re-host still replacing a meeting is finished first."""
    state = event_state(event, ctx)
    decision = TABLE[(state, link_kind(link))](event, link, ctx)
    if link is None or link.replaced_meeting_id is None or state is EventState.OCCURRENCE:
        return decision
    return _finishing_replacement(decision, state, link, link.replaced_meeting_id, ctx)


def _finishing_replacement(
    decision: Plan, state: EventState, link: Link, replaced: int, ctx: Context
) -> Plan:
    """A re-host made (or is making) a new meeting to replace `link.replaced_meeting_id`.

    Once the event shows the new one (linked), the old one goes before anything else, so a
    second re-host never finds a replacement unfinished. While the event still shows the old
    one, that stays its meeting: a wanted event first gets the new one written back; an
    event that wants none loses both, except that `on_cancel = "keep"` keeps the one its
    attendees know, the old one."""
    if link.state in (LinkState.LINKED, LinkState.KEPT):
        return replace(decision, actions=(DropReplaced(replaced), *decision.actions))
    if link.state is LinkState.CREATING:  # find_or_create / resolve know the replaced one
        if state is EventState.WANTED:
            return decision
        keep_old = state is EventState.GONE and ctx.settings.on_cancel == "keep"
        resolve = Resolve(link.reference, link.host or "me", link.create_sent_at, delete=True)
        old: tuple[Action, ...] = (
            () if keep_old else (DropReplaced(replaced, even_if_current=True),)
        )
        return replace(decision, actions=(*decision.actions[:-1], *old, resolve))
    if state is EventState.WANTED:
        finish = (WriteBack(link.block), DropReplaced(replaced))
        return replace(decision, actions=finish, reason="finishing a re-host")
    new = _meeting_id(link)
    if state is EventState.GONE and ctx.settings.on_cancel == "keep":
        actions: tuple[Action, ...] = (Delete(new, "made for a re-host, never shown"), Forget())
    else:
        both: Action = DropReplaced(replaced, even_if_current=True)
        actions = (*decision.actions[:-1], both, decision.actions[-1])  # before Forget
    return replace(decision, actions=actions)
