"""Links remember since when their event waits (its first failure since the last success),
so that a note is written only once the wait is long, and whether it waits for Zoom as a
whole, so that it is tried at once when Zoom answers again. A Google Workspace: calendars
remember since when they are out of the directory's scope, so that `syncd status` shows them
as such (nothing of theirs is deleted); the replicas that
share the database say when they were last alive, so that they share Google's quotas.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_on_zoom", sa.Boolean(), nullable=True))
    with op.batch_alter_table("calendars") as batch:
        batch.add_column(sa.Column("out_of_scope_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "replicas",
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_replicas")),
    )


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("waiting_on_zoom")
        batch.drop_column("waiting_since")
    op.drop_table("replicas")
    with op.batch_alter_table("calendars") as batch:
        batch.drop_column("out_of_scope_since")
