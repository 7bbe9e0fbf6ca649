"""The store, on SQLite and on PostgreSQL: migrations match the models, the journal's unique
key holds, every step is committed as it happens, and leases exclude each other."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

import syncd.engine.lease
import syncd.store.calendars
from syncd.core.domain import LinkState, Meeting
from syncd.engine.lease import CalendarBusy, CalendarLease
from syncd.store import Store
from syncd.store.migrate import current_revision, head_revision, upgrade
from syncd.store.models import Base, LinkRow


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url):
    store = Store.open(database_url)
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
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(LinkRow.__table__.insert().values(row))


def test_journal_steps_are_committed_as_they_happen(store, database_url):
    store.begin_create("cal", "ev", "syncd-ref:1", "me", datetime.now(UTC), None)
    again = Store.open(database_url)
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


def test_of_many_processes_racing_for_a_new_calendar_one_takes_the_lease(store, database_url):
    stores = [Store.open(database_url) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    now = datetime.now(UTC)

    def race(racer: Store) -> bool | Exception:
        barrier.wait()
        try:
            return racer.acquire_lease(
                "new-calendar", f"owner-{id(racer)}", now + timedelta(minutes=1), now
            )
        except Exception as exc:  # what the race must not produce
            return exc
        finally:
            racer.close()

    with ThreadPoolExecutor(len(stores)) as pool:
        results = list(pool.map(race, stores))
    assert sorted(results, key=str) == [False] * 7 + [True], results


def test_on_postgresql_leases_run_by_the_servers_clock_not_the_hosts(postgres_url, monkeypatch):
    """Replicas on several hosts: one whose clock runs five minutes fast must not take a
    lease another holds for one more minute."""
    holder, fast = Store.open(postgres_url), Store.open(postgres_url)
    upgrade(holder.engine)

    class FastClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(minutes=5)

    with CalendarLease(holder, "cal", "holder", 60):
        for module in (syncd.engine.lease, syncd.store.calendars):
            monkeypatch.setattr(module, "datetime", FastClock, raising=False)
        with pytest.raises(CalendarBusy), CalendarLease(fast, "cal", "fast-host:1:x:y", 60):
            pass
    holder.close()
    fast.close()


MIGRATE = """
import sys
from syncd.store import Store
from syncd.store.migrate import current_revision, upgrade
store = Store.open(sys.argv[1])
upgrade(store.engine)
print(current_revision(store.engine))
"""


def test_syncds_starting_at_once_migrate_once(database_url):
    """Daemons started together: one migrates, the others wait for it and then find nothing
    left to do (no "table already exists", no half-migrated schema)."""
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [process.communicate(timeout=120) for process in starting]
    assert [out.strip() for out, _ in results] == [head_revision()] * 4, results


def test_a_calendar_out_of_scope_keeps_its_links_and_comes_back(store):
    now = datetime(2026, 12, 5, 9, tzinfo=UTC)
    store.begin_create("ada@example.com", "ev", "syncd-ref:1", "me", now, None)
    store.start_pass("bob@example.com")
    store.record_scope({"bob@example.com"}, now)
    assert store.calendar("ada@example.com").out_of_scope_since == now
    assert store.calendar("bob@example.com").out_of_scope_since is None
    store.record_scope({"bob@example.com"}, now + timedelta(hours=1))  # since stays
    assert store.calendar("ada@example.com").out_of_scope_since == now
    assert set(store.links("ada@example.com", ["ev"])) == {"ev"}
    store.record_scope({"ada@example.com", "bob@example.com"}, now + timedelta(hours=2))
    assert store.calendar("ada@example.com").out_of_scope_since is None


def test_replicas_alive_are_counted_and_the_silent_forgotten(store):
    now = datetime(2026, 12, 5, 9, tzinfo=UTC)
    live = timedelta(minutes=10)
    assert store.register_replica("host:1:a", now, live) == 1
    assert store.register_replica("host:2:b", now + timedelta(minutes=1), live) == 2
    assert store.register_replica("host:1:a", now + timedelta(minutes=5), live) == 2
    assert store.register_replica("host:1:a", now + timedelta(minutes=12), live) == 1  # b silent
