"""The store: migrations match the models, and the journal's unique key holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from syncd.domain import LinkState, Meeting
from syncd.store import Store
from syncd.store.migrate import current_revision, head_revision, upgrade
from syncd.store.models import Base, LinkRow


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(store.engine)
    yield store
    store.close()


def test_migrations_build_exactly_the_models(store):
    upgrade(store.engine)  # a second run changes nothing
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_one_event_has_at_most_one_link(store):
    store.begin_create("cal", "ev", "syncd-ref:1", "me", datetime.now(UTC), None)
    now = datetime.now(UTC)
    row = dict(
        calendar_id="cal",
        event_id="ev",
        reference="syncd-ref:2",
        state="pending",
        passcode="",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    with pytest.raises(IntegrityError, match="UNIQUE"), store.engine.begin() as connection:
        connection.execute(LinkRow.__table__.insert().values(row))


def test_journal_steps_are_committed_as_they_happen(store, tmp_path):
    store.begin_create("cal", "ev", "syncd-ref:1", "me", datetime.now(UTC), None)
    again = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    assert again.links("cal", ["ev"])["ev"].state is LinkState.CREATING
    store.record_meeting(
        "cal",
        "ev",
        "syncd-ref:1",
        Meeting(id=2**33 + 5, join_url="https://j", password="p"),
        "me",
        None,
        datetime.now(UTC),
        None,
    )
    link = again.links("cal", ["ev"])["ev"]
    assert (link.state, link.meeting_id) == (LinkState.CREATED, 2**33 + 5)
    again.close()
