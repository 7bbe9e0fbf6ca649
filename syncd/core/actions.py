"""What the planner decides and the executor carries out: small frozen objects, each carrying
everything its step needs, so the executor never asks the planner again.

A plan is a tuple of actions run in order; the first that fails ends the plan and queues the
event (see docs/design.md, "Actions").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from syncd.core.description import BlockInfo
from syncd.core.domain import Event, Link, MeetingSpec, OccurrenceChange
from syncd.core.meeting_changes import MeetingUpdate


@dataclass(frozen=True)
class Create:
    """No meeting exists for the event: journal the create, then send it."""

    spec: MeetingSpec
    reference: str


@dataclass(frozen=True)
class FindOrCreate:
    """An earlier create's outcome is unknown: look for its reference among the host's
    meetings; create only once that create can no longer reach Zoom."""

    spec: MeetingSpec
    reference: str
    host: str
    sent_at: datetime | None
    besides: int | None = None
    """A meeting that also carries the reference but is not the one sought: the one a
    re-host is replacing."""


@dataclass(frozen=True)
class Adopt:
    """The event names a meeting the store does not know (a lost database): reuse it if its
    agenda carries the event's reference, else create one."""

    meeting_id: int
    spec: MeetingSpec
    reference: str


@dataclass(frozen=True)
class Update:
    """PATCH only what changed (every update counts against the host's daily allowance).
    A meeting deleted in Zoom meanwhile is created again."""

    meeting_id: int
    changes: MeetingUpdate
    spec: MeetingSpec
    reference: str
    occurrences: tuple[tuple[str, OccurrenceChange], ...] = ()
    """A series' occurrences to delete or move after the PATCH (if any)."""


@dataclass(frozen=True)
class Reconcile:
    """What the meeting was made from is unknown (a link from before syncd kept it, or a
    meeting found again): read it from Zoom and PATCH only what differs from the event."""

    meeting_id: int
    spec: MeetingSpec
    reference: str


@dataclass(frozen=True)
class Rehost:
    """Another Zoom user should host: PATCH `schedule_for` where Zoom allows it, else a new
    meeting under the new host and the old one deleted."""

    meeting_id: int
    spec: MeetingSpec
    reference: str
    old_host: str
    changes: MeetingUpdate | None
    """The PATCH that moves the meeting (`schedule_for` and whatever else changed), or None
    when Zoom cannot move it there (to "me", whose e-mail syncd does not know). Where it
    cannot, a new meeting is made first and the old one deleted after (`DropReplaced`)."""
    occurrences: tuple[tuple[str, OccurrenceChange], ...] = ()
    """A series' occurrences to delete or move after a PATCH that moved it."""


@dataclass(frozen=True)
class Delete:
    """Delete the meeting in Zoom without e-mails; a meeting already gone counts as done.
    Counts towards the mass-change guard."""

    meeting_id: int
    why: str


@dataclass(frozen=True)
class DropReplaced:
    """Delete the meeting a re-host replaced, once the new one exists: not while it is still
    the event's meeting (the new one not yet made), unless the event wants none at all."""

    meeting_id: int
    even_if_current: bool = False


@dataclass(frozen=True)
class Resolve:
    """The event no longer wants a meeting, but an earlier create's outcome is unknown: find
    the meeting by its reference, then delete it (or keep it, for a cancelled event under
    `on_cancel = "keep"`)."""

    reference: str
    host: str
    sent_at: datetime | None
    delete: bool


@dataclass(frozen=True)
class WriteBack:
    """Put the meeting's block into the description (`block`, or the meeting an earlier
    action of the plan obtained when None) and its id into the extended properties."""

    block: BlockInfo | None = None


@dataclass(frozen=True)
class ShowSeriesBlock:
    """One instance of a series with a description of its own: put the series' block into
    it too (the journal keeps nothing for an instance)."""

    block: BlockInfo


@dataclass(frozen=True)
class RemoveBlock:
    """Take syncd's block and property out of the event, leaving the user's text as it was."""


@dataclass(frozen=True)
class Keep:
    """`on_cancel = "keep"`: leave the meeting in Zoom and stop following it."""


@dataclass(frozen=True)
class Depart:
    """The event is gone from this calendar, perhaps moved to another watched one: its
    meeting waits until every other watched calendar has been read since (the one it moved
    to then takes the link over), and is deleted only if none did."""


@dataclass(frozen=True)
class Forget:
    """Nothing is left to do or to retry for this event: drop its journal row."""


Action = (
    Create
    | FindOrCreate
    | Adopt
    | Reconcile
    | Update
    | Rehost
    | Delete
    | DropReplaced
    | Resolve
    | WriteBack
    | ShowSeriesBlock
    | RemoveBlock
    | Keep
    | Depart
    | Forget
)


@dataclass(frozen=True)
class Plan:
    """What should happen to one event, and why (the reason is for logs and dry runs)."""

    event: Event
    link: Link | None
    actions: tuple[Action, ...]
    reason: str
    notes: tuple[str, ...] = field(default=())
    """Things worth a log line when the plan runs (a fallback host, a meeting less exact
    than its event)."""

    @property
    def idle(self) -> bool:
        return not self.actions

    @property
    def guarded_deletes(self) -> bool:
        return any(
            isinstance(a, Delete) or (isinstance(a, Resolve) and a.delete) for a in self.actions
        )


def describe(action: Action) -> str:
    """A few words for logs and dry runs."""
    match action:
        case Create(spec=spec):
            return f"create a meeting (host {spec.host})"
        case FindOrCreate(host=host):
            return f"look up the meeting an interrupted create may have made (host {host})"
        case Adopt(meeting_id=meeting_id):
            return f"reuse meeting {meeting_id} that the event names"
        case Reconcile(meeting_id=meeting_id):
            return f"compare meeting {meeting_id} with the event, update what differs"
        case Update(meeting_id=meeting_id, changes=changes, occurrences=occurrences):
            what = sorted(changes.names())
            what += [f"{len(occurrences)} occurrences"] if occurrences else []
            return f"update meeting {meeting_id} ({', '.join(what)})"
        case Rehost(meeting_id=meeting_id, old_host=old, spec=spec):
            return f"move meeting {meeting_id} from host {old} to {spec.host}"
        case Delete(meeting_id=meeting_id, why=why):
            return f"delete meeting {meeting_id} ({why})"
        case DropReplaced(meeting_id=meeting_id):
            return f"delete meeting {meeting_id}, replaced by a new one"
        case Resolve(delete=delete):
            then = "delete" if delete else "keep"
            return f"find the meeting an interrupted create may have made, and {then} it"
        case WriteBack():
            return "write the meeting into the event"
        case ShowSeriesBlock(block=block):
            return f"write the series' meeting {block.meeting_id} into this instance"
        case RemoveBlock():
            return "remove the meeting block from the event"
        case Keep():
            return "keep the meeting (on_cancel = keep)"
        case Depart():
            return "wait for the other calendars, in case the event moved to one of them"
        case Forget():
            return "forget the event"
