"""One calendar's journal as a pass writes it: fenced by the lease of one owner, timed by one
clock, so no caller passes either around (docs/design.md, "The lease")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from syncd.core.domain import Event, Link, Meeting, MeetingSpec
from syncd.core.ports import JournalPort


class PassBook(Protocol):
    """What the engine records about a calendar's pass, and the lease check it makes before
    every event."""

    def now(self) -> datetime: ...

    def check(self) -> None: ...

    def start_pass(self) -> None: ...

    def finish_pass(
        self,
        *,
        sync_token: str | None,
        time_zone: str | None,
        error: str | None,
        fingerprint: str | None,
    ) -> None: ...

    def forget_sync_token(self) -> None: ...

    def recovering(self, until: datetime | None) -> None: ...


class JournalWriter:
    def __init__(
        self,
        store: JournalPort,
        calendar_id: str,
        owner: str | None,
        clock: Callable[[], datetime],
        check_lease: Callable[[], None],
    ) -> None:
        self.store = store
        self.calendar_id = calendar_id
        self.owner = owner
        self._clock = clock
        self._check_lease = check_lease
        self._started: datetime | None = None

    def now(self) -> datetime:
        return self._clock()

    def check(self) -> None:
        """Raise LeaseLost unless the lease is surely still ours: called before every request
        that changes Zoom or Google."""
        self._check_lease()

    # -- the pass ----------------------------------------------------------------------------
    def start_pass(self) -> None:
        self._started = self.now()
        self.store.start_pass(self.calendar_id)

    def finish_pass(
        self,
        *,
        sync_token: str | None,
        time_zone: str | None,
        error: str | None,
        fingerprint: str | None,
    ) -> None:
        """A sync token given means the listing completed: every change made before the
        pass started has been read."""
        self.store.finish_pass(
            self.calendar_id,
            sync_token=sync_token,
            time_zone=time_zone,
            error=error,
            fingerprint=fingerprint,
            changes_read_at=self._started if sync_token is not None else None,
        )

    def forget_sync_token(self) -> None:
        self.store.forget_sync_token(self.calendar_id)

    def recovering(self, until: datetime | None) -> None:
        self.store.set_recovery(self.calendar_id, until)

    # -- one event's steps ------------------------------------------------------------------
    def link(self, event_id: str) -> Link | None:
        return self.store.links(self.calendar_id, [event_id]).get(event_id)

    def begin_create(
        self,
        event: Event,
        reference: str,
        host: str,
        replaces: int | None = None,
    ) -> None:
        self.store.begin_create(
            self.calendar_id,
            event.id,
            reference,
            host,
            self.now(),
            self.owner,
            replaces,
            summary=event.summary,
        )

    def replaced_dropped(self, event_id: str) -> None:
        self.store.record_replaced_dropped(self.calendar_id, event_id, self.owner)

    def meeting(
        self,
        event: Event,
        reference: str,
        meeting: Meeting,
        host: str,
        made_from: MeetingSpec | None,
        replaces: tuple[int, str] | None = None,
    ) -> None:
        self.store.record_meeting(
            self.calendar_id,
            event.id,
            reference,
            meeting,
            host,
            made_from,
            self.now(),
            self.owner,
            summary=event.summary,
            replaces=replaces,
        )

    def changing(self, event_id: str) -> None:
        self.store.record_changing(self.calendar_id, event_id, self.owner)

    def updated(self, event_id: str, spec: MeetingSpec) -> None:
        self.store.record_update(self.calendar_id, event_id, spec, self.owner)

    def linked(self, event_id: str) -> None:
        self.store.record_linked(self.calendar_id, event_id, self.owner)

    def checked(self, event_id: str) -> None:
        self.store.record_checked(self.calendar_id, event_id, self.now(), self.owner)

    def meeting_gone(self, event_id: str) -> None:
        self.store.record_meeting_gone(self.calendar_id, event_id, self.now(), self.owner)

    def kept(self, event_id: str) -> None:
        self.store.record_kept(self.calendar_id, event_id, self.owner)

    def departed(self, event_id: str) -> None:
        self.store.record_departed(self.calendar_id, event_id, self.now(), self.owner)

    def holds_meeting(self, meeting_id: int) -> bool:
        return self.store.holds_meeting(meeting_id)

    def take_over(self, event_id: str, meeting_id: int, reference: str) -> str | None:
        return self.store.take_over(self.calendar_id, event_id, meeting_id, reference, self.owner)

    def forget(self, event_id: str) -> None:
        self.store.forget(self.calendar_id, event_id, self.owner)

    def held(self, event_id: str, reason: str, retry_at: datetime) -> None:
        self.store.record_held(
            self.calendar_id, event_id, reason, now=self.now(), retry_at=retry_at, owner=self.owner
        )

    def failed(
        self,
        event_id: str,
        reference: str,
        error: str,
        retry_at: datetime,
        create_refused: bool,
        park: bool = False,
        summary: str | None = None,
        on_zoom: bool = False,
    ) -> bool:
        """Queue the event for a retry, or park it; True if parked."""
        return self.store.record_failure(
            self.calendar_id,
            event_id,
            reference,
            error=error,
            retry_at=retry_at,
            create_refused=create_refused,
            owner=self.owner,
            park_at=self.now() if park else None,
            summary=summary,
            now=self.now(),
            on_zoom=on_zoom,
        )


class PreviewBook:
    """A dry run's pass book: it records nothing and needs no lease."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def check(self) -> None:
        pass

    def start_pass(self) -> None:
        pass

    def finish_pass(
        self,
        *,
        sync_token: str | None,
        time_zone: str | None,
        error: str | None,
        fingerprint: str | None,
    ) -> None:
        pass

    def forget_sync_token(self) -> None:
        pass

    def recovering(self, until: datetime | None) -> None:
        pass
