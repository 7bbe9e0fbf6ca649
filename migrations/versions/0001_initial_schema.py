"""Initial schema: calendars (sync state, leases) and links (the event-to-meeting journal).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", sa.String(length=1024), nullable=False),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("last_pass_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pass_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
    )
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("calendar_id", sa.String(length=1024), nullable=False),
        sa.Column("event_id", sa.String(length=1024), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=True),
        sa.Column("join_url", sa.Text(), nullable=True),
        sa.Column("passcode", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=320), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("create_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["calendars.id"], name=op.f("fk_links_calendar_id_calendars")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint("calendar_id", "event_id", name=op.f("uq_links_calendar_id_event_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_links_reference")),
    )
    op.create_index(op.f("ix_links_calendar_id"), "links", ["calendar_id"], unique=False)
    op.create_index(op.f("ix_links_next_attempt_at"), "links", ["next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_links_next_attempt_at"), table_name="links")
    op.drop_index(op.f("ix_links_calendar_id"), table_name="links")
    op.drop_table("links")
    op.drop_table("calendars")
