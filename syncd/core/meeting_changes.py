"""What to change so that a meeting made from one spec matches another (pure).

The planner decides with this whether a meeting needs an update and whether the update
reschedules a series; the Zoom adapter turns it into the PATCH body (`zoom_body.update_body`).
Only what changed is sent: every update counts against the host's daily allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.core.domain import MeetingSpec
from syncd.core.zoom_settings import update_settings

SCHEDULE_FIELDS = ("start_time", "duration", "timezone", "recurrence")
_UNSET = object()


@dataclass(frozen=True)
class MeetingUpdate:
    """The fields of `new` to send (a meeting's own names), the settings to send, and, to
    move the meeting, its new host. Given `since`, a series' schedule is sent from its next
    occurrence on (`zoom_schedule.from_next`)."""

    new: MeetingSpec
    fields: tuple[str, ...] = ()
    settings: tuple[tuple[str, Any], ...] = ()
    since: datetime | None = None
    schedule_for: str | None = None

    def names(self) -> list[str]:
        """What the update changes, as Zoom names it."""
        return [
            *(["schedule_for"] if self.schedule_for else []),
            *self.fields,
            *(["settings"] if self.settings else []),
        ]

    def __bool__(self) -> bool:
        return bool(self.names())

    @property
    def reschedules(self) -> bool:
        """Zoom schedules the series again from its rule (its occurrences' changes are lost)."""
        return bool(set(self.fields) & set(SCHEDULE_FIELDS))


def meeting_update(
    old: MeetingSpec | None,
    new: MeetingSpec,
    since: datetime | None = None,
    schedule_for: str | None = None,
) -> MeetingUpdate:
    """What a meeting made from `old` needs to match `new`: everything Zoom shows when `old`
    is unknown (a link recorded before syncd kept it); nothing when nothing changed."""
    after = _shown(new)
    if old is None:
        fields = list(after)
        settings = update_settings(dict(new.settings))
    else:
        before = _shown(old)
        fields = [name for name, value in after.items() if before.get(name) != value]
        if "type" in fields or (new.recurrence is not None and set(fields) & set(SCHEDULE_FIELDS)):
            # A new type, or a series' new schedule: the whole schedule, not just what differs.
            fields += [name for name in SCHEDULE_FIELDS if name in after and name not in fields]
        settings = update_settings(
            {k: v for k, v in new.settings if dict(old.settings).get(k, _UNSET) != v}
        )
    return MeetingUpdate(new, tuple(fields), tuple(settings.items()), since, schedule_for)


def _shown(spec: MeetingSpec) -> dict[str, Any]:
    """The spec's fields a meeting shows: its schedule only where the spec has one."""
    schedule = {
        "start_time": spec.start_time,
        "duration": spec.duration,
        "timezone": spec.timezone,
        "recurrence": dict(spec.recurrence) if spec.recurrence is not None else None,
    }
    return {"topic": spec.topic, "type": spec.type, "agenda": spec.agenda} | {
        name: value for name, value in schedule.items() if value is not None
    }
