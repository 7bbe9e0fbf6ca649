"""Calendars remember until when their journal is being recovered from Zoom: a pass that
found it empty (a first run, or a lost database) looks up forgotten meetings, and a later one
deletes duplicates that reached Zoom late.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        batch.add_column(sa.Column("recovering_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        batch.drop_column("recovering_until")
