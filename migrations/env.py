"""Alembic environment. `syncd` passes its own connection in `config.attributes`; the
`alembic` command, run from a checkout, connects to `sqlalchemy.url` of alembic.ini (or
`$SYNCD_DATABASE_URL`)."""

import os

from alembic import context
from sqlalchemy.engine import Connection

from syncd.store.base import make_engine
from syncd.store.models import Base


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = os.environ.get("SYNCD_DATABASE_URL") or context.config.get_main_option("sqlalchemy.url")
    with make_engine(str(url)).begin() as connection:
        run(connection)
