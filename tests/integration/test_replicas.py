"""Three syncd daemons on one PostgreSQL database: they share 50 calendars without a
duplicate, and when one is killed with SIGKILL while Zoom holds one of its creates, the others
take its calendars over and adopt the meeting that create made instead of making another."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy

from tests.conftest import child_log, when
from tests.integration.command import toml_for
from tests.integration.test_daemon import daemon_process, wait_for

CALENDARS = [f"room-{n:02}@example.com" for n in range(50)]
PER_CALENDAR = 10


def linked(engine) -> int:
    with engine.connect() as connection:
        query = "SELECT count(*) FROM links WHERE state = 'linked'"
        return int(connection.execute(sqlalchemy.text(query)).scalar_one())


def holder_of_the_hung_create(engine, since: datetime) -> int:
    """The pid of the replica whose create has been in flight since before `since`."""
    query = sqlalchemy.text(
        "SELECT c.lease_owner FROM links l JOIN calendars c ON c.id = l.calendar_id "
        "WHERE l.state = 'creating' AND l.create_sent_at < :since ORDER BY l.create_sent_at"
    )
    with engine.connect() as connection:
        owner = connection.execute(query, {"since": since}).scalars().first()
    assert owner is not None, "no create in flight"
    return int(owner.split(":")[1])


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_three_replicas_share_the_calendars_and_survive_a_kill_9(
    google_sim, zoom_sim, config, tmp_path, postgres_url
):
    for room in CALENDARS:
        google_sim.add_calendar(room, "Europe/Berlin")
        for i in range(PER_CALENDAR):
            google_sim.put_event(room, {"summary": f"{room} {i} #zoom", **when(days=1 + i)})
    path = tmp_path / "replica.toml"
    text = toml_for(config).replace(config.sync.database_url, postgres_url)
    text = text.replace('calendars = ["primary"]', f"calendars = {json.dumps(CALENDARS)}")
    sync = '[sync]\ninterval_seconds = 1\nworkers = 4\nlease_seconds = 5\nlog_format = "json"\n'
    text = text.replace("[zoom]\n", "[zoom]\ntimeout_seconds = 5\n")  # a create settles in 70 s
    path.write_text(text.replace("[sync]\n", sync))
    zoom_sim.latency = google_sim.latency = 0.005
    zoom_sim.limits.daily_limit = 1000  # one host makes all 500 meetings today
    zoom_sim.inject("meetings.create", hang=3.0)  # one create: Zoom makes it, slowly

    logs = [child_log(tmp_path / f"replica-{n}.log") for n in range(3)]
    replicas = [daemon_process(path, zoom_sim, log=log) for log in logs]
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        wait_for(lambda: zoom_sim.in_flight("meetings.create") > 0, seconds=60)
        time.sleep(1)  # the other creates of that moment are answered by now
        victim = holder_of_the_hung_create(engine, datetime.now(UTC) - timedelta(seconds=0.8))
        [killed] = [r for r in replicas if r.pid == victim]
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        wait_for(lambda: linked(engine) == len(CALENDARS) * PER_CALENDAR, seconds=240)
    finally:
        for r in replicas:
            if r.poll() is None:
                r.send_signal(signal.SIGTERM)
            r.communicate(timeout=60)
        for log in logs:
            log.close()
        engine.dispose()

    references = Counter(m["agenda"].split()[0] for m in zoom_sim.meetings())
    assert len(references) == len(CALENDARS) * PER_CALENDAR
    assert max(references.values()) == 1, [r for r, n in references.items() if n > 1]
    creates = {
        r.pid: sum(
            1
            for line in Path(log.name).read_text().splitlines()
            if line.startswith("{") and json.loads(line).get("action") == "created"
        )
        for r, log in zip(replicas, logs, strict=True)
    }
    print("creates per replica:", creates, "killed:", victim)
    assert all(count > 0 for pid, count in creates.items() if pid != victim)
