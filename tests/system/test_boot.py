"""The checkout's unit, unchanged, under a real systemd (PID 1 of a systemd-nspawn container),
syncd installed as README's "Installing for real" says, the simulators on the container's
loopback: what the unit and README promise an administrator, checked one after the other on
one boot."""

from __future__ import annotations

import re
import time

import pytest

from syncd.config import Config
from syncd.core.description import find_block
from syncd.sim.google import GoogleCalendarSim
from syncd.sim.zoom import ZoomSim
from tests.conftest import CALENDAR, when
from tests.system.container import Container, wait_for
from tests.system.installation import (
    SERVICE,
    UNIT,
    configure,
    install_unit,
    last_pass,
    write_config,
)

DYNAMIC_UIDS = range(61184, 65519 + 1)
"""Where systemd allocates DynamicUser= users."""
SETTINGS = dict(
    line.split("=", 1) for line in UNIT.read_text().splitlines() if re.match(r"^\w+=", line)
)


def seconds(timespan: str) -> int:
    """A unit's "10s" or "2min" in seconds."""
    found = re.fullmatch(r"(\d+)(s|min)", timespan)
    assert found, f"a time span this test does not read: {timespan}"
    return int(found.group(1)) * (60 if found.group(2) == "min" else 1)


RESTART_SECONDS = seconds(SETTINGS["RestartSec"])
WATCHDOG_SECONDS = seconds(SETTINGS["WatchdogSec"])
DENIALS = re.compile(
    r"Operation not permitted|Permission denied|Read-only file system|PermissionError"
    r"|Address family not supported|\bEPERM\b|\bEACCES\b|audit: type=|SECCOMP",
    re.IGNORECASE,
)
"""How a refusal by the sandbox shows in a log line: the errnos of seccomp (the unit's
SystemCallErrorNumber=EPERM), of the file system's protections and of
RestrictAddressFamilies=, and the kernel's audit lines."""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_unit_keeps_its_promises_under_a_real_systemd(
    container: Container,
    config: Config,
    google_sim: GoogleCalendarSim,
    zoom_sim: ZoomSim,
):
    configure(container, config, zoom_sim)
    install_unit(container)

    main_pid = start_and_check_it_is_active_only_after_ready(container)
    check_the_status_line_shows_the_last_pass(container)
    check_a_tagged_event_is_linked_by_the_dynamic_user(container, google_sim, zoom_sim, main_pid)
    check_reload_keeps_the_process(container, main_pid)
    check_the_watchdog_is_fed(container, main_pid)
    check_stop_is_clean(container)
    check_a_broken_config_stops_without_restarts(container)
    check_no_sandbox_denial_in_the_journal(container)


def start_and_check_it_is_active_only_after_ready(container: Container) -> int:
    """Type=notify: the unit is "activating" from the exec until syncd's READY=1 (after the
    database's migration), "active" from then: systemd's own debug lines say which came
    first, and the timestamps that time passed between the two."""
    container.systemctl("log-level", "debug")
    started = container.systemctl("start", SERVICE, check=False)
    container.systemctl("log-level", "info")
    journal = container.journal(SERVICE)
    assert started.returncode == 0, started.stderr + journal
    shown = container.show(
        SERVICE,
        "Type",
        "ActiveState",
        "MainPID",
        "ExecMainStartTimestampMonotonic",
        "ActiveEnterTimestampMonotonic",
    )
    main_pid = int(shown["MainPID"])
    assert (shown["Type"], shown["ActiveState"]) == ("notify", "active"), shown
    steps = [
        f"{SERVICE}: Changed dead -> start",
        f"{SERVICE}: Got notification message from PID {main_pid} (READY=1",
        f"{SERVICE}: Changed start -> running",
    ]
    assert lines_in_order(journal, steps), journal
    exec_to_active = int(shown["ActiveEnterTimestampMonotonic"]) - int(
        shown["ExecMainStartTimestampMonotonic"]
    )
    assert exec_to_active > 100_000, shown  # µs: Python's start and the migration, at least
    return main_pid


def lines_in_order(journal: str, steps: list[str]) -> bool:
    """Each step is found on a line of the journal after the line of the one before."""
    lines = iter(journal.splitlines())
    return all(any(step in line for line in lines) for step in steps)


def check_the_status_line_shows_the_last_pass(container: Container) -> None:
    status = wait_for(
        "StatusText= shows a pass",
        lambda: last_pass(container.show(SERVICE, "StatusText")["StatusText"]),
        seconds=30,
    )
    assert re.fullmatch(
        r"last pass \d\d:\d\d:\d\d UTC: \d+ created, \d+ updated, \d+ deleted; "
        r"0 events queued for retry, 0 parked, 0 calendars failed",
        status,
    ), status + "\n" + container.journal(SERVICE, priority="info")


def check_a_tagged_event_is_linked_by_the_dynamic_user(
    container: Container, google_sim: GoogleCalendarSim, zoom_sim: ZoomSim, main_pid: int
) -> None:
    """The link reaches the event through the running daemon's own passes, made by a dynamic
    user that owns the database in /var/lib/private/syncd (/var/lib/syncd links to it)."""
    event = google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    block = wait_for(
        "the tagged event gets its join link",
        lambda: find_block(google_sim.event(CALENDAR, event["id"]).get("description", "")),
        seconds=30,
    )
    assert [meeting["id"] for meeting in zoom_sim.meetings()] == [block.meeting_id]
    uid = process_uid(container, main_pid)
    assert uid in DYNAMIC_UIDS, uid
    assert container.show(SERVICE, "UID")["UID"] == str(uid)
    database = container.path("/var/lib/private/syncd/syncd.db")
    assert database.stat().st_uid == uid
    assert container.path("/var/lib/syncd").readlink().as_posix() == "private/syncd"


def process_uid(container: Container, pid: int) -> int:
    """The effective uid of a process of the container, from its /proc."""
    status = container.path(f"/proc/{pid}/status").read_text()
    uids = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return int(uids.split()[2])


def check_reload_keeps_the_process(container: Container, main_pid: int) -> None:
    """ExecReload= signals the running syncd, which reads its config again and says so."""
    container.systemctl("reload", SERVICE)
    wait_for(
        "StatusText= says the config was reloaded",
        lambda: "config reloaded" in container.show(SERVICE, "StatusText")["StatusText"],
        seconds=30,
    )
    shown = container.show(SERVICE, "MainPID", "ActiveState", "NRestarts")
    assert shown == {"MainPID": str(main_pid), "ActiveState": "active", "NRestarts": "0"}


def check_the_watchdog_is_fed(container: Container, main_pid: int) -> None:
    """WatchdogSec= reaches syncd, which pings at half of it: systemd's WatchdogTimestamp
    (set when the process started) moves on at the first WATCHDOG=1, from the same process."""
    shown = container.show(SERVICE, "WatchdogUSec", "WatchdogTimestampMonotonic")
    assert shown["WatchdogUSec"] == SETTINGS["WatchdogSec"], shown
    armed = int(shown["WatchdogTimestampMonotonic"])
    assert armed > 0, shown
    wait_for(
        "a WATCHDOG=1 ping moves WatchdogTimestamp on",
        lambda: (
            int(container.show(SERVICE, "WatchdogTimestampMonotonic")["WatchdogTimestampMonotonic"])
            > armed
        ),
        seconds=WATCHDOG_SECONDS / 2 + 15,
        every=1,
    )
    shown = container.show(SERVICE, "MainPID", "ActiveState", "NRestarts")
    assert shown == {"MainPID": str(main_pid), "ActiveState": "active", "NRestarts": "0"}


def check_stop_is_clean(container: Container) -> None:
    container.systemctl("stop", SERVICE)
    shown = container.show(SERVICE, "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    assert shown == {
        "ActiveState": "inactive",
        "Result": "success",
        "ExecMainCode": "1",  # CLD_EXITED: it exited, was not killed
        "ExecMainStatus": "0",
    }, container.journal(SERVICE)
    assert "syncd stopped" in container.journal(SERVICE)


def check_a_broken_config_stops_without_restarts(container: Container) -> None:
    """Exit 2 (RestartPreventExitStatus=) from whichever process reads the config first:
    the unit fails, says why, and is still failed, not restarted, well after RestartSec=."""
    earlier = container.journal(SERVICE)
    write_config(container, "[sync\ninterval_seconds = 2\n")
    container.systemctl("start", SERVICE, check=False)  # fails: that is the point
    watch_until = time.monotonic() + RESTART_SECONDS + 3
    while time.monotonic() < watch_until:
        restarts = container.show(SERVICE, "NRestarts")["NRestarts"]
        assert restarts == "0", container.journal(SERVICE).removeprefix(earlier)
        time.sleep(0.5)
    shown = container.show(SERVICE, "ActiveState", "Result", "ExecMainStatus")
    journal = container.journal(SERVICE).removeprefix(earlier)
    assert shown == {"ActiveState": "failed", "Result": "exit-code", "ExecMainStatus": "2"}, journal
    assert "/etc/syncd/config.toml: not valid TOML" in journal, journal


def check_no_sandbox_denial_in_the_journal(container: Container) -> None:
    """syncd's lines, and systemd's about it down to info (its debug lines, asked for at the
    first start, tell of its own fallbacks: "mount_setattr() failed, falling back")."""
    journal = container.journal(SERVICE, priority="info")
    denials = [line for line in journal.splitlines() if DENIALS.search(line)]
    assert not denials, journal
