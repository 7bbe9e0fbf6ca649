"""The steps of a plan that write to the event: the block and the meeting id property."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from syncd.core.description import BlockInfo, find_block, insert_block, remove_block
from syncd.core.domain import MEETING_ID_PROPERTY, REPLACED_PROPERTY, Event
from syncd.core.errors import Conflict, GoogleError
from syncd.core.ports import CalendarPort
from syncd.engine.journal import JournalWriter
from syncd.engine.report import CalendarReport
from syncd.engine.steps import EventChanged, StepFailed, about, where

log = logging.getLogger(__name__)


class EventSteps:
    def __init__(
        self, google: CalendarPort, journal: JournalWriter, report: CalendarReport
    ) -> None:
        self._google = google
        self._journal = journal
        self._report = report

    def write_back(self, event: Event, info: BlockInfo | None, replaced: int | None) -> Event:
        """Show the meeting in the event; with the meeting it replaces, while a re-host has
        not yet deleted that one."""
        if info is None:  # the planner puts WriteBack only after a step that has a meeting
            raise StepFailed(ValueError(f"event {event.id}: no meeting to write back"))
        event = self.show(event, info, replaced)
        self._journal.linked(event.id)
        return event

    def show(self, event: Event, info: BlockInfo, replaced: int | None = None) -> Event:
        """The event with the meeting's block and id written in (if it lacked them)."""
        properties = {
            MEETING_ID_PROPERTY: str(info.meeting_id),
            REPLACED_PROPERTY: None if replaced is None else str(replaced),
        }
        if not _shows(event, info, properties):
            event = self._patch(event, insert_block(event.description, info), properties)
            self._report.count("events_written")
            log.info(
                "event %s %r: wrote meeting %s into the description",
                where(event),
                event.summary,
                info.meeting_id,
                extra=about(event.calendar_id, event.id, "linked", info.meeting_id),
            )
        return event

    def show_note(self, event: Event, text: str) -> Event:
        """Put a note in the block's place (the event has no meeting); no meeting id."""
        event = self._patch(event, insert_block(event.description, text), {})
        self._report.count("events_written")
        log.info(
            "event %s %r: wrote a note into the description: %s",
            where(event),
            event.summary,
            text,
            extra=about(event.calendar_id, event.id, "noted"),
        )
        return event

    def remove_block(self, event: Event) -> Event:
        gone = {MEETING_ID_PROPERTY: None, REPLACED_PROPERTY: None}
        event = self._patch(event, remove_block(event.description), gone)
        self._report.count("blocks_removed")
        log.info(
            "event %s %r: removed the meeting block",
            where(event),
            event.summary,
            extra=about(event.calendar_id, event.id, "block_removed"),
        )
        return event

    def _patch(self, event: Event, description: str, properties: Mapping[str, str | None]) -> Event:
        self._journal.check()
        try:
            return self._google.patch_event(
                event, description=description, private_properties=properties
            )
        except Conflict:
            raise EventChanged(self._reread(event)) from None
        except GoogleError as exc:
            raise StepFailed(exc) from exc

    def _reread(self, event: Event) -> Event:
        try:
            return self._google.get_event(event.calendar_id, event.id)
        except GoogleError as exc:
            raise StepFailed(exc) from exc


def _shows(event: Event, info: BlockInfo, properties: Mapping[str, str | None]) -> bool:
    return find_block(event.description) == info and all(
        event.private_properties.get(key) == value for key, value in properties.items()
    )
