"""What the steps of a plan raise, and how they name an event in log lines."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.core.domain import Event


class StepFailed(Exception):
    """A step of a plan failed; the event is queued for a retry."""

    def __init__(
        self, cause: Exception, *, retry_at: datetime | None = None, create_refused: bool = False
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.retry_at = retry_at
        self.create_refused = create_refused
        """The failed step was a create that certainly made no meeting."""


class Recall(enum.Enum):
    """What looking in Zoom for a meeting the journal forgot came to."""

    FOUND = "found"
    """A meeting was journaled for the event: its link is new."""
    NOTHING = "nothing"
    """Zoom has none for the event."""
    UNKNOWN = "unknown"
    """Zoom could not be asked: the event waits, as if a create of unknown outcome was sent."""


@dataclass(frozen=True)
class Unmet:
    """An event with no meeting now, and the host a meeting of its would have: None when
    that is unknown (a cancelled event is listed bare, without its organizer)."""

    event_id: str
    host: str | None


class EventChanged(Exception):
    """Google refused a write because the event changed since it was read (412)."""

    def __init__(self, event: Event) -> None:
        super().__init__(f"event {event.id} changed while syncd wrote it")
        self.event = event


def where(event: Event) -> str:
    return f"{event.calendar_id}/{event.id}"


def about(
    calendar_id: str, event_id: str, action: str, meeting_id: int | None = None
) -> dict[str, Any]:
    """An action's log record fields (`extra=`), for the JSON log format: which calendar,
    event and meeting, and what was done (the text line says the same in words)."""
    return {
        "action": action,
        "calendar_id": calendar_id,
        "event_id": event_id,
        "meeting_id": meeting_id,
    }
