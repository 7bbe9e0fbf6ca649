"""What a pass did, for the CLI's summary, the daemon's status line and the exit code."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

Counter = Literal[
    "events_seen",
    "meetings_created",
    "meetings_adopted",
    "meetings_updated",
    "meetings_deleted",
    "events_written",
    "blocks_removed",
    "deletions_held",
    "parked",
]


@dataclass
class CalendarReport:
    calendar_id: str
    full_sync: bool = False
    events_seen: int = 0
    meetings_created: int = 0
    meetings_adopted: int = 0
    meetings_updated: int = 0
    meetings_deleted: int = 0
    events_written: int = 0
    blocks_removed: int = 0
    deletions_held: int = 0
    parked: int = 0
    """Events parked this pass (no more retries until `syncd retry`)."""
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None
    """The pass finished but needs the operator (the mass-change guard held deletions)."""
    credentials_refused: bool = False
    busy: bool = False
    """Another syncd held the calendar's lease, so this one left it alone."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, counter: Counter, n: int = 1) -> int:
        """Add to a counter (the calendar's events may be handled by several threads); its
        new value."""
        with self._lock:
            value = getattr(self, counter) + n
            setattr(self, counter, value)
            return value


@dataclass
class PassReport:
    calendars: list[CalendarReport] = field(default_factory=list)
    credentials_error: str | None = None
    """Google or Zoom refused syncd's credentials: nothing will work until they are fixed."""

    @property
    def ok(self) -> bool:
        return all(c.error is None and c.warning is None and not c.failures for c in self.calendars)
