"""Run the Alembic migrations: `migrations/` of the checkout, shipped in the wheel as
`syncd/migrations/`."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from syncd.core.errors import StoreError


def script_location() -> str:
    """The migrations inside an installed wheel, else those of the checkout (an editable
    install, or tests run from the source tree)."""
    shipped = files("syncd").joinpath("migrations")
    if shipped.is_dir():
        return "syncd:migrations"
    return str(Path(__file__).resolve().parents[2] / "migrations")


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def known_revision(revision: str) -> bool:
    """Whether this syncd's migrations include `revision` (a newer syncd's are not)."""
    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"database: cannot open: {exc.args[0]}") from exc


MIGRATION_LOCK = 0x73796E6364  # "syncd": the PostgreSQL advisory lock migrations take


def _migrate_alone(connection: Connection) -> None:
    """Make the migration's transaction exclusive before it reads the schema's revision, so
    that of several syncd processes starting at once one migrates and the others wait, then
    find nothing left to do. The lock ends with the transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, taken up front


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; a no-op when it is there already. The whole
    migration is one transaction (SQLite's and PostgreSQL's DDL are transactional)."""
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            _migrate_alone(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"database: cannot migrate: {exc.args[0]}") from exc
