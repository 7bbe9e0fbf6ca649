"""Links keep what their meeting was made from, when the mass-change guard held them, and
when the audit last saw their meeting; calendars keep which config planned them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    ("topic", sa.Text()),
    ("agenda", sa.Text()),
    ("meeting_type", sa.Integer()),
    ("start_time", sa.String(length=32)),
    ("duration", sa.Integer()),
    ("timezone", sa.String(length=64)),
    ("settings", sa.Text()),
    ("held_at", sa.DateTime(timezone=True)),
    ("checked_at", sa.DateTime(timezone=True)),
    ("replaced_meeting_id", sa.BigInteger()),
    ("replaced_host", sa.String(length=320)),
)


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        for name, column_type in COLUMNS:
            batch.add_column(sa.Column(name, column_type, nullable=True))
    with op.batch_alter_table("calendars") as batch:
        batch.add_column(sa.Column("settings_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        batch.drop_column("settings_fingerprint")
    with op.batch_alter_table("links") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
