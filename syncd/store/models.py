"""The database tables. Change them only together with a migration in migrations/ (alembic.ini)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CalendarRow(Base):
    __tablename__ = "calendars"

    id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    sync_token: Mapped[str | None] = mapped_column(Text)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    last_pass_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pass_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settings_fingerprint: Mapped[str | None] = mapped_column(String(64))
    """Of the config the sync token's events were last planned with."""
    recovering_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set by a pass that found the calendar's journal empty (a first run, or a lost
    database): until the first pass after it, meetings Zoom has for the calendar's events are
    looked up by reference, then duplicates that reached Zoom late are deleted."""
    out_of_scope_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Since when the calendar's user is outside the directory's scope (not read)."""
    changes_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Every change made before this instant has been read: the start of the last pass
    whose listing completed."""


class ReplicaRow(Base):
    """A syncd process that uses this database, and when it last said so: the replicas alive
    share Google's quotas."""

    __tablename__ = "replicas"

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkRow(Base):
    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("calendar_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    calendar_id: Mapped[str] = mapped_column(ForeignKey("calendars.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(1024))
    summary: Mapped[str | None] = mapped_column(Text)
    """The event's summary when syncd last acted on it, for `syncd status`."""
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    meeting_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    join_url: Mapped[str | None] = mapped_column(Text)
    passcode: Mapped[str] = mapped_column(String(16), default="")
    host: Mapped[str | None] = mapped_column(String(320))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    create_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the meeting was made from (all NULL until a create or update recorded it).
    topic: Mapped[str | None] = mapped_column(Text)
    agenda: Mapped[str | None] = mapped_column(Text)
    meeting_type: Mapped[int | None] = mapped_column(Integer)
    start_time: Mapped[str | None] = mapped_column(String(32))
    duration: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[str | None] = mapped_column(Text)
    """JSON object of the `[zoom.settings]` the meeting was made with."""
    schedule: Mapped[str | None] = mapped_column(Text)
    """JSON object: the event's zone, why the meeting has no fixed time, and a series'
    recurrence and changed occurrences."""
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When retries stopped (the reason is `last_error`); `syncd retry` clears it."""
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the event's trouble began: its first failure since it last had what it asked for."""
    waiting_on_zoom: Mapped[bool | None] = mapped_column(Boolean)
    """Its last failure was Zoom's as a whole (no answer, credentials refused): when Zoom
    answers again, it is tried at once instead of at its back-off's time."""
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the event was first seen gone from this calendar while its meeting was followed:
    the meeting waits until every other watched calendar has been read since, in case the
    event moved to one of them."""
    replaced_meeting_id: Mapped[int | None] = mapped_column(BigInteger)
    """A meeting a re-host replaced, deleted once the new one is written back."""
    replaced_host: Mapped[str | None] = mapped_column(String(320))
    """Its host, for when Zoom refuses the new meeting and the old one stays."""
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the audit last found the meeting in Zoom."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
