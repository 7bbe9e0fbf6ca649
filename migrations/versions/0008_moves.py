"""An event that leaves a calendar may have moved to another watched one (a change of owner,
`events.move`): links remember since when their event is gone from its calendar, and its
meeting is deleted only once every other watched calendar has been read since; calendars
remember up to when their changes were read (the start of their last complete listing). The
other calendar's pass finds the link by its meeting: indexed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_links_meeting_id"), ["meeting_id"])
    with op.batch_alter_table("calendars") as batch:
        batch.add_column(sa.Column("changes_read_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        batch.drop_column("changes_read_at")
    with op.batch_alter_table("links") as batch:
        batch.drop_index(op.f("ix_links_meeting_id"))
        batch.drop_column("departed_at")
