"""What the steps of a plan raise, and how they name an event in log lines."""

from __future__ import annotations

from datetime import datetime

from syncd.domain import Event


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


class EventChanged(Exception):
    """Google refused a write because the event changed since it was read (412)."""

    def __init__(self, event: Event) -> None:
        super().__init__(f"event {event.id} changed while syncd wrote it")
        self.event = event


def where(event: Event) -> str:
    return f"{event.calendar_id}/{event.id}"
