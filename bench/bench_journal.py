"""Benchmark the journal's writes: the three steps every created meeting costs.

    .venv/bin/python bench/bench_journal.py [--events 1000] [--database-url URL]

For each of `--events` events, as a first pass makes its meeting: `begin_create` (committed
before the create is sent), `record_meeting` (the create's answer) and `record_linked` (the
event shows it); then `links` reads them back. Prints CPU and wall microseconds per step. The
default database is a SQLite file in a temporary directory (fsync on every commit, as in
production); give a PostgreSQL URL to measure that instead (its rows are left behind).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.core.domain import Meeting, MeetingSpec, MeetingType, reference_for
from syncd.store import Store
from syncd.store.migrate import upgrade

NOW = datetime(2030, 1, 1, tzinfo=UTC)
OWNER = "bench"


def spec(n: int) -> MeetingSpec:
    return MeetingSpec(
        topic=f"Meeting {n}",
        agenda=f"syncd-ref:{n}\nAgenda",
        type=MeetingType.SCHEDULED,
        host="me",
        start_time="2030-01-01T10:00:00Z",
        duration=30,
        timezone="Europe/Berlin",
    )


def timed(step: Callable[[int], object], events: int) -> tuple[float, float]:
    """CPU and wall microseconds per call of `step` over `events` calls."""
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(events):
        step(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return 1e6 * cpu / events, 1e6 * wall / events


def run(store: Store, events: int) -> None:
    calendar_id = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    assert store.acquire_lease(calendar_id, OWNER, NOW + timedelta(hours=1), store.database_now())
    ids = [f"ev{n}" for n in range(events)]
    references = [reference_for(calendar_id, event_id) for event_id in ids]

    def begin(n: int) -> None:
        store.begin_create(calendar_id, ids[n], references[n], "me", NOW, OWNER)

    def meeting(n: int) -> None:
        answer = Meeting(id=10**9 + n, join_url=f"https://zoom.example/j/{n}", password="x")
        store.record_meeting(calendar_id, ids[n], references[n], answer, "me", spec(n), NOW, OWNER)

    def linked(n: int) -> None:
        store.record_linked(calendar_id, ids[n], OWNER)

    def read(n: int) -> None:
        store.links(calendar_id, [ids[n]])

    print(f"{events} events, {store.engine.dialect.name}")
    total_cpu = 0.0
    for name, step in (
        ("begin_create", begin),
        ("record_meeting", meeting),
        ("record_linked", linked),
        ("links (one event)", read),
    ):
        cpu, wall = timed(step, events)
        total_cpu += cpu if name != "links (one event)" else 0.0
        print(f"  {name:18} {cpu:7.0f} us CPU {wall:8.0f} us wall")
    print(f"  three writes: {total_cpu:.0f} us CPU per created meeting")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        store = Store.open(url)
        try:
            upgrade(store.engine)
            run(store, args.events)
        finally:
            store.close()


if __name__ == "__main__":
    main()
