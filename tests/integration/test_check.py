"""`syncd check` as an administrator runs it: each side checked whatever the others say, every
problem with its fix, the failing sides named, exit 0 only when all works, nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from syncd.store.migrate import head_revision
from tests.conftest import CALENDAR
from tests.integration.command import toml_for

TEAM = "team@example.com"


def check(syncd, path: Path, **env: str):
    result = syncd("--config", str(path), "check", extra_env=env or None)
    assert "Traceback" not in result.stderr
    return result


def problems(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if ": PROBLEM: " in line]


def fixes(result) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("fix:")]


def nothing_written(google_sim, zoom_sim, config) -> None:
    for sim in (google_sim, zoom_sim):
        assert {r.method for r in sim.calls() if r.route != "token"} == {"GET"}
    assert not Path(config.sync.database_url.removeprefix("sqlite:///")).exists()


def test_all_good_is_exit_0_and_writes_nothing(syncd, config_file, config, google_sim, zoom_sim):
    result = check(syncd, config_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"database: will be created at {config.sync.database_url.removeprefix('sqlite:///')} "
        "by the first pass",
        f"google: credentials: authorized user from {config.google.credentials_file}",
        f"google: calendar {CALENDAR}: readable and writable (owner, time zone Europe/Berlin)",
        "zoom: app credentials accepted",
        "zoom: host me: owner@sim.example, active",
        f"zoom: calendar {CALENDAR}: meetings hosted by me",
        "ok",
    ]
    nothing_written(google_sim, zoom_sim, config)


def test_a_migrated_database_is_at_the_newest_revision(syncd, config_file):
    assert syncd("--config", str(config_file), "db", "upgrade").returncode == 0
    result = check(syncd, config_file)
    assert result.returncode == 0, result.stdout
    assert f"database: at revision {head_revision()}, the newest" in result.stdout


def revoked_google(config, tmp_path: Path, google_sim) -> Path:
    info = google_sim.authorized_user_info() | {"refresh_token": "revoked"}
    credentials = tmp_path / "revoked.json"
    credentials.write_text(json.dumps(info))
    path = tmp_path / "revoked.toml"
    path.write_text(toml_for(config).replace(config.google.credentials_file, str(credentials)))
    return path


def test_broken_google_credentials_name_google_and_the_fix(
    syncd, config, tmp_path, google_sim, zoom_sim
):
    result = check(syncd, revoked_google(config, tmp_path, google_sim))
    assert result.returncode == 2
    [problem] = problems(result)
    assert problem.startswith("google: PROBLEM: Google refused the credentials")
    assert fixes(result) == [
        "fix: the refresh token was revoked or has expired, or its OAuth client was deleted: "
        "make a new credentials file (README, step 3)"
    ]
    assert "zoom: app credentials accepted" in result.stdout  # Zoom is checked all the same
    assert result.stderr == "syncd: check failed (1 problem): google\n"


def test_broken_zoom_credentials_name_zoom_and_the_fix(syncd, config_file, zoom_sim):
    result = check(syncd, config_file, ZOOM_CLIENT_SECRET="wrong-secret-value")
    assert result.returncode == 2
    [problem] = problems(result)
    assert problem.startswith("zoom: PROBLEM: Zoom refused the app credentials")
    assert "App Credentials page" in fixes(result)[0]
    assert f"google: calendar {CALENDAR}: readable and writable" in result.stdout
    assert result.stderr == "syncd: check failed (1 problem): zoom\n"
    assert "wrong-secret-value" not in result.stdout + result.stderr


def test_both_sides_broken_are_both_named(syncd, config, tmp_path, google_sim):
    result = check(
        syncd, revoked_google(config, tmp_path, google_sim), ZOOM_CLIENT_SECRET="wrong-secret"
    )
    assert result.returncode == 2
    assert [p.split(":")[0] for p in problems(result)] == ["google", "zoom"]
    assert result.stderr == "syncd: check failed (2 problems): google, zoom\n"


def test_missing_zoom_secret_is_a_zoom_problem(syncd, config_file):
    result = check(syncd, config_file, ZOOM_CLIENT_SECRET="")
    assert result.returncode == 2
    [problem] = problems(result)
    assert "ZOOM_CLIENT_SECRET: not set" in problem
    assert "systemd credentials" in fixes(result)[0]


def test_a_read_only_calendar_is_a_problem(syncd, config, tmp_path, google_sim):
    google_sim.add_calendar(TEAM, "America/New_York", access_role="reader")
    path = tmp_path / "team.toml"
    path.write_text(toml_for(config).replace(f'["{CALENDAR}"]', f'["{CALENDAR}", "{TEAM}"]'))
    result = check(syncd, path)
    assert result.returncode == 2
    assert problems(result) == [
        f"google: PROBLEM: calendar {TEAM}: syncd may read its events but not change them "
        "(access reader)"
    ]
    assert '"Make changes to events"' in fixes(result)[0]


def test_an_unknown_calendar_is_a_problem(syncd, config, tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(toml_for(config).replace(f'["{CALENDAR}"]', '["primray"]'))
    result = check(syncd, path)
    assert result.returncode == 2
    assert problems(result) == ["google: PROBLEM: calendar primray: not found"]
    assert "[google] calendars" in fixes(result)[0]


def test_missing_zoom_scopes_are_named(syncd, config_file, zoom_sim):
    zoom_sim.scope = "meeting:read:meeting:admin user:read:user:admin"
    result = check(syncd, config_file)
    assert result.returncode == 2
    assert "zoom: PROBLEM: the app lacks the scopes meeting:write:meeting:admin" in result.stdout
    assert "Scopes page" in fixes(result)[0]


def test_an_unreachable_side_is_exit_1(syncd, config_file, google_sim):
    google_sim.inject("events.list", status=503, times=None)
    result = check(syncd, config_file)
    assert result.returncode == 1
    assert "google: UNREACHABLE: " in result.stdout
    assert result.stderr == "syncd: check failed (1 unreachable): google\n"


def test_check_names_who_would_host(syncd, config, tmp_path, zoom_sim, google_sim):
    zoom_sim.add_user("ada@example.com")
    zoom_sim.add_user("bob@example.com")
    zoom_sim.add_user("new@example.com", status="pending")
    google_sim.add_calendar(TEAM, "America/New_York")
    path = tmp_path / "hosts.toml"
    path.write_text(
        toml_for(config).replace(f'["{CALENDAR}"]', f'["{CALENDAR}", "{TEAM}"]')
        + 'host = "organizer"\nhost_fallback = "ada@example.com"\n'
        + f'hosts = {{ "{TEAM}" = "new@example.com", "cto@example.com" = "nobody@example.com" }}\n'
    )
    result = check(syncd, path)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert "zoom: host ada@example.com: ada@example.com, active" in lines
    assert (
        "zoom: host = organizer: these 3 active users host their own events' meetings: "
        "ada@example.com, bob@example.com, owner@sim.example; "
        "other organizers' meetings are hosted by ada@example.com"
    ) in lines
    assert (
        f"zoom: calendar {CALENDAR}: meetings hosted by their organizer if an active user, "
        "else ada@example.com"
    ) in lines
    assert f"zoom: calendar {TEAM}: meetings hosted by new@example.com ([zoom.hosts])" in lines
    assert (
        "zoom: events organized by cto@example.com: hosted by nobody@example.com ([zoom.hosts])"
    ) in lines
    assert problems(result) == [
        "zoom: PROBLEM: host new@example.com: new@example.com is pending in the Zoom account "
        "and cannot host",
        "zoom: PROBLEM: host nobody@example.com: not a user of the Zoom account",
    ]
    assert result.stderr == "syncd: check failed (2 problems): zoom\n"


@pytest.mark.parametrize("database", ["newer", "unknown dialect"])
def test_a_database_syncd_cannot_use_is_a_problem(syncd, config, tmp_path, database):
    if database == "newer":
        path = tmp_path / "config.toml"
        path.write_text(toml_for(config))
        assert syncd("--config", str(path), "db", "upgrade").returncode == 0
        db = config.sync.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(db) as connection:
            connection.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    else:
        path = tmp_path / "dialect.toml"
        path.write_text(toml_for(config).replace(config.sync.database_url, "nosuchdb://x/y"))
    result = check(syncd, path)
    assert result.returncode == 2
    [problem] = problems(result)
    assert problem.startswith("database: PROBLEM: ")
    assert result.stderr == "syncd: check failed (1 problem): database\n"


def test_before_the_first_start_a_database_to_come_is_no_problem(syncd, config, tmp_path):
    """README step 4 runs check before the unit ever started: no database, and not even its
    folder (the unit's StateDirectory= makes it) is what will be, not a problem."""
    path = tmp_path / "first-day.toml"
    path.write_text(toml_for(config).replace("syncd.db", "state/syncd.db"))
    result = check(syncd, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        f"database: will be created at {tmp_path / 'state' / 'syncd.db'} at the first start; "
        f"{tmp_path / 'state'} must then exist and be writable by syncd" in result.stdout
    )
    assert not (tmp_path / "state").exists()


def test_check_reads_the_secrets_where_the_unit_hands_them_to_the_daemon(
    syncd, config, zoom_sim, tmp_path
):
    """README step 4, literally: the secrets as files in one folder, the config naming
    $CREDENTIALS_DIRECTORY, no secret in the environment."""
    secrets = tmp_path / "credentials"
    secrets.mkdir()
    for name, value in [
        ("ZOOM_ACCOUNT_ID", zoom_sim.account_id),
        ("ZOOM_CLIENT_ID", zoom_sim.client_id),
        ("ZOOM_CLIENT_SECRET", zoom_sim.client_secret),
    ]:
        (secrets / name).write_text(value)
    Path(config.google.credentials_file).rename(secrets / "google.json")
    path = tmp_path / "unit.toml"
    path.write_text(
        toml_for(config).replace(
            config.google.credentials_file, "$CREDENTIALS_DIRECTORY/google.json"
        )
    )
    no_secrets = {"ZOOM_ACCOUNT_ID": "", "ZOOM_CLIENT_ID": "", "ZOOM_CLIENT_SECRET": ""}

    without = syncd("--config", str(path), "check", extra_env=no_secrets)
    result = syncd(
        "--config",
        str(path),
        "check",
        "--credentials-directory",
        str(secrets),
        extra_env=no_secrets,
    )

    assert without.returncode == 2
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"google: credentials: authorized user from {secrets / 'google.json'}" in result.stdout
