"""The `syncd` command as an administrator uses it: real process, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from syncd.store.migrate import head_revision
from tests.conftest import CALENDAR, when
from tests.integration.command import one_line_error, toml_for


def test_missing_config_is_one_line_and_exit_2(syncd, tmp_path):
    result = syncd("--config", str(tmp_path / "nope.toml"), "sync")
    assert result.returncode == 2
    assert one_line_error(result) == f"syncd: {tmp_path / 'nope.toml'}: no such file"


def test_bad_toml_is_one_line_and_exit_2(syncd, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[sync\ntag = 1")
    result = syncd("--config", str(path), "check")
    assert result.returncode == 2
    assert "not valid TOML" in one_line_error(result)


def test_each_config_problem_gets_a_line_naming_its_key(syncd, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[sync]\ninterval_seconds = "soon"\n[zoom]\nhots = "me"\n')
    result = syncd("--config", str(path), "sync")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"syncd: {path}: sync.interval_seconds:" in result.stderr
    assert f"syncd: {path}: zoom.hots: unknown option" in result.stderr


def test_missing_zoom_secret_is_exit_2(syncd, config_file):
    result = syncd("--config", str(config_file), "sync", extra_env={"ZOOM_CLIENT_SECRET": ""})
    assert result.returncode == 2
    assert "ZOOM_CLIENT_SECRET: not set" in one_line_error(result)


def test_config_path_comes_from_syncd_config(syncd, config_file, google_sim):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    result = syncd("sync", extra_env={"SYNCD_CONFIG": str(config_file)})
    assert result.returncode == 0, result.stderr
    assert "1 meetings created" in result.stdout


def test_sync_reports_and_exits_1_when_events_are_queued(syncd, config_file, google_sim, zoom_sim):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    zoom_sim.inject("meetings.create", status=500, times=None)
    result = syncd("--config", str(config_file), "sync")
    assert result.returncode == 1
    assert "1 queued for retry" in result.stdout
    assert "Traceback" not in result.stderr

    status = syncd("--config", str(config_file), "status", "--json")
    assert status.returncode == 0
    report = json.loads(status.stdout)
    assert report["queued"][0]["state"] == "creating"
    assert "500" in report["queued"][0]["reason"]


def test_dry_run_changes_nothing(syncd, config_file, google_sim, zoom_sim, config):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    result = syncd("--config", str(config_file), "sync", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would create" in result.stderr
    assert zoom_sim.count("meetings.create") == 0
    assert google_sim.count("events.patch") == 0
    assert not Path(config.sync.database_url.removeprefix("sqlite:///")).exists()


def test_status_shows_calendars_and_meetings(syncd, config_file, google_sim):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    assert syncd("--config", str(config_file), "sync").returncode == 0
    result = syncd("--config", str(config_file), "status")
    assert result.returncode == 0
    assert f"  {CALENDAR} (Europe/Berlin)" in result.stdout
    assert "    last pass 20" in result.stdout
    assert "Events: 1 linked" in result.stdout
    assert "Events with work left: 0" in result.stdout


def test_status_before_any_pass_says_what_to_do(syncd, config_file):
    result = syncd("--config", str(config_file), "status")
    assert result.returncode == 2
    assert "syncd db upgrade" in one_line_error(result)


def test_db_upgrade_migrates_a_new_database(syncd, config_file):
    upgraded = syncd("--config", str(config_file), "db", "upgrade")
    assert upgraded.returncode == 0
    assert f"revision {head_revision()}" in upgraded.stdout


def test_demo_runs_end_to_end(syncd):
    result = syncd("demo")
    assert result.returncode == 0, result.stderr
    first, _, after_edits = result.stdout.partition("The users edit")
    assert first.count("/j/") == 6
    assert "shown in America/New_York, 10 occurrences" in first  # the daily standup, exact
    assert "Second pass: 0 Zoom requests, 0 event writes" in first
    assert after_edits.count("/j/") == 5  # the untagged event lost its meeting
    assert "meetings.update 2, meetings.delete 1, meetings.create 0; 1 event write" in after_edits


def test_version_is_the_packages(syncd):
    from importlib.metadata import version

    result = syncd("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"syncd {version('syncd')}")


def test_the_workspace_demo_follows_its_directory(syncd):
    result = syncd("demo", "--workspace")
    assert result.returncode == 0, result.stderr
    first, _, second = result.stdout.partition("The admin suspends ada")
    assert "in scope: ada@example.com, bob@example.com, cy@example.com" in first
    assert "ada@example.com (read as ada@example.com)" in first
    assert "Cy's review #zoom: Zoom meeting hosted by zoom-desk@example.com" in first
    assert "in scope: bob@example.com, cy@example.com, fay@example.com" in second
    assert "Fay's review #zoom: Zoom meeting hosted by fay@example.com" in second
    assert "ada@example.com out of scope since" in second


def test_sync_with_refused_zoom_credentials_is_exit_2(syncd, config_file, google_sim):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    result = syncd(
        "--config", str(config_file), "sync", extra_env={"ZOOM_CLIENT_SECRET": "wrong-secret-value"}
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "syncd: Zoom refused the app credentials" in result.stderr
    assert "wrong-secret-value" not in result.stdout + result.stderr


def test_unusable_database_is_one_line_and_exit_1(syncd, config, tmp_path):
    # Exit 1, not 2: a database that cannot be opened now may work after a restart.
    path = tmp_path / "config.toml"
    path.write_text(
        toml_for(config).replace(
            config.sync.database_url, f"sqlite:///{tmp_path}/no/such/dir/syncd.db"
        )
    )
    result = syncd("--config", str(path), "sync")
    assert result.returncode == 1
    assert "unable to open database file" in one_line_error(result)


def test_sync_skips_a_calendar_another_syncd_holds_and_says_who(syncd, config_file, config):
    from datetime import UTC, datetime, timedelta

    from syncd.store import Store
    from syncd.store.migrate import upgrade

    store = Store.open(config.sync.database_url)
    upgrade(store.engine)
    now = datetime.now(UTC)
    store.acquire_lease(CALENDAR, "other-host:4242:x:y", now + timedelta(minutes=1), now)
    store.close()

    result = syncd("--config", str(config_file), "sync")
    assert result.returncode == 1
    assert "primary: skipped: calendar 'primary' is in work by other-host:4242:x:y" in result.stdout
    status = syncd("--config", str(config_file), "status")
    assert "in work by other-host:4242:x:y" in status.stdout


def test_on_a_terminal_sync_shows_progress_instead_of_a_line_per_action(
    config_file, google_sim, zoom_sim
):
    import pty

    for i in range(5):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i)})
    master, terminal = pty.openpty()
    env = os.environ | {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(config_file), "sync"],
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        env=env,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(master)
    print(stdout, shown.decode(errors="replace"), sep="\n")  # scanned for secrets

    assert process.returncode == 0
    assert b"events handled" in shown
    assert b"created Zoom meeting" not in shown
    assert "5 meetings created" in stdout


def test_a_parked_event_is_listed_and_retry_puts_it_back(syncd, config, tmp_path, google_sim):
    config_file = tmp_path / "parking.toml"
    hosts = f'[zoom.hosts]\n"{CALENDAR}" = "ghost@example.com"\n'  # no Zoom user of the account
    config_file.write_text(toml_for(config) + hosts)
    event_id = google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})["id"]
    assert syncd("--config", str(config_file), "sync").returncode == 1

    shown = syncd("--config", str(config_file), "status")
    assert "Parked events (no more retries until `syncd retry`): 1" in shown.stdout
    assert f"{CALENDAR}/{event_id} 'Standup #zoom': parked" in shown.stdout
    parked = json.loads(syncd("--config", str(config_file), "status", "--json").stdout)["parked"]
    assert [p["event_id"] for p in parked] == [event_id]

    retried = syncd("--config", str(config_file), "retry", f"{CALENDAR}/{event_id}")
    assert retried.returncode == 0, retried.stderr
    assert "1 parked event put back in the queue" in retried.stdout
    again = syncd("--config", str(config_file), "retry", f"{CALENDAR}/{event_id}")
    assert again.returncode == 1
    assert "is not parked" in again.stderr
    assert syncd("--config", str(config_file), "retry", "--all").returncode == 0


def test_retry_wants_one_event_or_all(syncd, config_file):
    for args in ((), ("--all", f"{CALENDAR}/x"), ("no-slash",)):
        result = syncd("--config", str(config_file), "retry", *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


def test_sync_on_a_locked_database_is_one_line_and_exit_1(syncd, config, tmp_path, google_sim):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    config_file = tmp_path / "locked.toml"
    config_file.write_text(
        toml_for(config).replace("[sync]\n", "[sync]\ndatabase_busy_seconds = 0.2\n")
    )
    assert syncd("--config", str(config_file), "sync").returncode == 0
    holder = sqlite3.connect(
        config.sync.database_url.removeprefix("sqlite:///"), isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = syncd("--config", str(config_file), "sync")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "database is locked" in one_line_error(result)


def test_a_pass_that_changes_nothing_logs_nothing_at_info(syncd, config_file, google_sim):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    assert syncd("--config", str(config_file), "sync").returncode == 0
    assert syncd("--config", str(config_file), "sync").returncode == 0  # the echo of its write
    quiet = syncd("--config", str(config_file), "sync")
    assert quiet.returncode == 0
    assert quiet.stderr == ""


def test_json_logs_give_one_object_per_line_with_each_actions_ids(
    syncd, config, tmp_path, google_sim, zoom_sim
):
    path = tmp_path / "json.toml"
    path.write_text(toml_for(config).replace("[sync]", '[sync]\nlog_format = "json"'))
    event_id = google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})["id"]
    result = syncd("--config", str(path), "sync")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    [meeting] = zoom_sim.meetings()
    actions = [(r["action"], r["calendar_id"], r["event_id"], r["meeting_id"]) for r in records]
    assert actions == [
        ("created", CALENDAR, event_id, meeting["id"]),
        ("linked", CALENDAR, event_id, meeting["id"]),
    ]
    assert all(r["level"] == "INFO" and r["logger"].startswith("syncd.") for r in records)
