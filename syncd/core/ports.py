"""The narrow interfaces the engine and executor are written against.

The real adapters (`GoogleCalendar`, `ZoomClient`, `Store`) satisfy them, and so do the
in-memory fakes the fast tests use. Implementations raise the typed errors of
`syncd.adapters.google_calendar` and `syncd.adapters.zoom`, which are part of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Protocol

from syncd.core.directory import DirectoryScope, DirectoryUser
from syncd.core.domain import (
    CalendarState,
    ChangePage,
    Event,
    Link,
    Meeting,
    MeetingSpec,
    OccurrenceChange,
)
from syncd.core.meeting_changes import MeetingUpdate


class CalendarPort(Protocol):
    def changes(
        self, calendar_id: str, sync_token: str | None, time_min: datetime
    ) -> Iterator[ChangePage]: ...

    def get_event(self, calendar_id: str, event_id: str) -> Event: ...

    def instances(self, calendar_id: str, event_id: str) -> list[Event]: ...

    def patch_event(
        self, event: Event, *, description: str, private_properties: Mapping[str, str | None]
    ) -> Event: ...


class DirectoryPort(Protocol):
    """A Google Workspace's directory, read as its administrator."""

    def users(self, scope: DirectoryScope) -> list[DirectoryUser]: ...

    def group_members(self, group: str) -> frozenset[str]: ...

    def check_delegation(self, user: str) -> None:
        """DelegationRefused unless syncd may act as `user` on their calendar."""


class MeetingsPort(Protocol):
    def create_meeting(self, spec: MeetingSpec) -> Meeting: ...

    def get_meeting(self, meeting_id: int) -> Meeting: ...

    def update_meeting(self, meeting_id: int, update: MeetingUpdate) -> None: ...

    def delete_meeting(self, meeting_id: int) -> bool: ...

    def update_occurrence(
        self, meeting_id: int, occurrence_id: str, change: OccurrenceChange
    ) -> bool: ...

    def delete_occurrence(self, meeting_id: int, occurrence_id: str) -> bool: ...

    def find_meeting(
        self, host: str, reference: str, besides: int | None = None
    ) -> Meeting | None: ...

    def meeting_references(self, host: str) -> dict[str, list[int]]: ...

    def active_user_emails(self) -> frozenset[str]: ...

    def owner_email(self) -> str: ...

    def sign_in(self) -> None:
        """ZoomAuthError if Zoom refuses syncd's credentials (ZoomUnavailable: no answer)."""


class LeasePort(Protocol):
    def calendar(self, calendar_id: str) -> CalendarState: ...

    def database_now(self) -> datetime: ...

    def acquire_lease(
        self, calendar_id: str, owner: str, until: datetime, now: datetime
    ) -> bool: ...

    def lease_owner(self, calendar_id: str) -> str | None: ...

    def take_over_lease(
        self, calendar_id: str, dead_owner: str, owner: str, until: datetime
    ) -> bool: ...

    def renew_lease(self, calendar_id: str, owner: str, until: datetime) -> bool: ...

    def release_lease(self, calendar_id: str, owner: str) -> None: ...


class JournalPort(Protocol):
    """The store as the engine sees it: reads, pass bookkeeping, and the fenced journal."""

    def calendar(self, calendar_id: str) -> CalendarState: ...

    def links(self, calendar_id: str, event_ids: Iterable[str]) -> dict[str, Link]: ...

    def due_links(
        self, calendar_id: str, now: datetime, *, held_too: bool = False
    ) -> list[Link]: ...

    def live_links(self, calendar_id: str) -> list[Link]: ...

    def count_live(self, calendar_id: str) -> int: ...

    def count_held(self, calendar_id: str) -> int: ...

    def links_to_audit(self, calendar_id: str, seen_before: datetime, limit: int) -> list[Link]: ...

    def record_checked(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None: ...

    def record_meeting_gone(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None: ...

    def start_pass(self, calendar_id: str) -> None: ...

    def finish_pass(
        self,
        calendar_id: str,
        *,
        sync_token: str | None,
        time_zone: str | None,
        error: str | None,
        fingerprint: str | None = None,
        changes_read_at: datetime | None = None,
    ) -> None: ...

    def forget_sync_token(self, calendar_id: str) -> None: ...

    def set_recovery(self, calendar_id: str, until: datetime | None) -> None: ...

    def begin_create(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        host: str,
        now: datetime,
        owner: str | None,
        replaces: int | None = None,
        summary: str | None = None,
    ) -> None: ...

    def record_replaced_dropped(
        self, calendar_id: str, event_id: str, owner: str | None
    ) -> None: ...

    def record_meeting(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        meeting: Meeting,
        host: str,
        made_from: MeetingSpec | None,
        now: datetime,
        owner: str | None,
        summary: str | None = None,
        replaces: tuple[int, str] | None = None,
    ) -> None: ...

    def record_changing(self, calendar_id: str, event_id: str, owner: str | None) -> None: ...

    def record_update(
        self, calendar_id: str, event_id: str, spec: MeetingSpec, owner: str | None
    ) -> None: ...

    def record_linked(self, calendar_id: str, event_id: str, owner: str | None) -> None: ...

    def record_kept(self, calendar_id: str, event_id: str, owner: str | None) -> None: ...

    def record_departed(
        self, calendar_id: str, event_id: str, now: datetime, owner: str | None
    ) -> None: ...

    def take_over(
        self, calendar_id: str, event_id: str, meeting_id: int, reference: str, owner: str | None
    ) -> str | None: ...

    def holds_meeting(self, meeting_id: int) -> bool: ...

    def forget(self, calendar_id: str, event_id: str, owner: str | None) -> None: ...

    def record_held(
        self,
        calendar_id: str,
        event_id: str,
        reason: str,
        *,
        now: datetime,
        retry_at: datetime,
        owner: str | None,
    ) -> None: ...

    def record_failure(
        self,
        calendar_id: str,
        event_id: str,
        reference: str,
        *,
        error: str,
        retry_at: datetime,
        create_refused: bool,
        owner: str | None,
        park_at: datetime | None = None,
        summary: str | None = None,
        now: datetime | None = None,
        on_zoom: bool = False,
    ) -> bool: ...


class ScopeBook(Protocol):
    def record_scope(self, watched: set[str], now: datetime) -> None:
        """Calendars not in `watched` are out of scope from `now` on (unless already), those
        in it are not."""


class StorePort(JournalPort, LeasePort, Protocol):
    """Everything the engine needs of the store."""

    def check_file(self) -> None: ...

    def count_waiting_on_zoom(self) -> int: ...

    def zoom_answers_again(self, now: datetime) -> int: ...

    def calendars(self) -> list[CalendarState]: ...
