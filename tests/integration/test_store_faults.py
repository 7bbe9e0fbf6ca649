"""The store under stress: a database deleted while syncd runs, locked by another process,
full, or read-only. Each fails the pass with one clear error (StoreError: the daemon logs it
as one line, `syncd sync` prints it and exits 1), and once the cause is gone the next pass
leaves one meeting per tagged event.

The tests run as root on CI, where file permissions do not stop a write: "read-only" and "full"
are SQLite's own answers (`query_only`, `max_page_count`), set on syncd's connections.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import event

from syncd.core.description import find_block
from syncd.core.errors import StoreError
from tests.conftest import CALENDAR
from tests.integration.outcome import Outcome, outcome
from tests.integration.test_lifecycle import TEXT, assert_linked, put, synced, with_sync

TITLES = [f"Meeting {n} #zoom" for n in range(4)]


def database(config) -> Path:
    return Path(config.sync.database_url.removeprefix("sqlite:///"))


def database_files(config) -> list[Path]:
    path = database(config)
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def on_each_connection(app, pragma: str) -> Callable[[], None]:
    """Run `pragma` on every new connection of syncd's engine (those open are dropped);
    returns the undo."""

    def apply(connection, _record) -> None:
        connection.execute(pragma)

    event.listen(app.store.engine, "connect", apply)
    app.store.engine.dispose()

    def undo() -> None:
        event.remove(app.store.engine, "connect", apply)
        app.store.engine.dispose()

    return undo


def assert_one_meeting_each(google_sim, zoom_sim, app, event_ids, texts=None) -> None:
    """Each event shows its own meeting, and its user's text (`texts`, else TEXT) intact."""
    texts = texts or {}
    assert outcome(google_sim, zoom_sim, event_ids, texts=texts) == Outcome()
    meetings = [
        assert_linked(google_sim, zoom_sim, app, e, texts.get(e, TEXT))["id"] for e in event_ids
    ]
    assert len(set(meetings)) == len(event_ids) == len(zoom_sim.meetings())


def test_a_database_deleted_while_syncd_runs_fails_the_pass_until_restored(
    google_sim, zoom_sim, make_app, config, tmp_path
):
    first = put(google_sim, summary=TITLES[0])
    app = make_app()
    synced(app)
    backup = tmp_path / "backup"
    backup.mkdir()
    app.store.engine.dispose()  # a backup of a quiet database (no WAL left over)
    for path in database_files(config):
        shutil.copy(path, backup / path.name)
    for path in database_files(config):
        path.unlink()
    second = put(google_sim, summary=TITLES[1])
    zoom_sim.reset_log()

    with pytest.raises(StoreError, match="was deleted while syncd ran"):
        app.run_pass()
    assert zoom_sim.count("meetings.create") == 0  # nothing done that could not be journaled

    for path in backup.iterdir():  # the administrator restores the backup
        shutil.copy(path, database(config).parent / path.name)
    synced(app)
    assert_one_meeting_each(google_sim, zoom_sim, app, [first, second])


def test_a_database_deleted_for_good_is_begun_again_without_duplicates(
    google_sim, zoom_sim, make_app, config
):
    events = [put(google_sim, summary=title) for title in TITLES[:2]]
    app = make_app()
    synced(app)
    for path in database_files(config):
        path.unlink()
    with pytest.raises(StoreError):
        app.run_pass()
    app.close()

    restarted = make_app()  # systemd restarts syncd: a new, empty database
    synced(restarted)
    assert_one_meeting_each(google_sim, zoom_sim, restarted, events)


def test_a_database_locked_by_another_process_fails_the_pass_then_recovers(
    google_sim, zoom_sim, make_app, config
):
    events = [put(google_sim, summary=title) for title in TITLES[:2]]
    app = make_app(with_sync(config, database_busy_seconds=0.2))
    synced(app)
    events.append(put(google_sim, summary=TITLES[2]))
    holder = sqlite3.connect(database(config), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreError, match="database is locked"):
            app.run_pass()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    synced(app)
    assert_one_meeting_each(google_sim, zoom_sim, app, events)


@pytest.mark.parametrize(
    ("pragma", "message"),
    [
        ("PRAGMA query_only = ON", "readonly database"),
        ("PRAGMA max_page_count = 1", "database or disk is full"),  # its size now, at most
    ],
    ids=["read-only", "disk-full"],
)
def test_a_database_that_takes_no_writes_fails_the_pass_and_loses_nothing(
    google_sim, zoom_sim, make_app, pragma, message
):
    events = [put(google_sim, summary=TITLES[0])]
    app = make_app()
    synced(app)
    # Long agendas: their rows need new pages, which a full database cannot give.
    long_text = "x" * 1800
    events += [put(google_sim, summary=t, description=long_text) for t in TITLES[1:]]
    undo = on_each_connection(app, pragma)
    with pytest.raises(StoreError, match=message):
        app.run_pass()
    undo()
    synced(app)
    assert_one_meeting_each(google_sim, zoom_sim, app, events, dict.fromkeys(events[1:], long_text))
    for event_id in events:
        assert find_block(google_sim.event(CALENDAR, event_id)["description"]) is not None
