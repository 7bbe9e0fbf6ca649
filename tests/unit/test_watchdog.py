"""The watchdog's arithmetic: when systemd watches us, and when we count as stalled."""

from __future__ import annotations

import os

from syncd.service.watchdog import Heartbeat, ping_interval


def test_pings_at_half_the_watchdog_interval():
    assert ping_interval({"WATCHDOG_USEC": "30000000"}) == 15.0


def test_no_pings_when_systemd_watches_another_process_or_none():
    assert ping_interval({}) is None
    assert ping_interval({"WATCHDOG_USEC": "0"}) is None
    assert ping_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    own = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert ping_interval(own) == 15.0


def test_stalled_once_no_sign_of_life_came_in_time():
    now = [0.0]
    heart = Heartbeat(stall_seconds=10, clock=lambda: now[0])
    now[0] = 9.0
    assert heart.stalled_for() == 0
    heart.beat()
    now[0] = 19.0
    assert heart.stalled_for() == 0
    now[0] = 22.0
    assert heart.stalled_for() == 3.0


def test_the_wait_for_the_next_pass_is_no_stall():
    now = [0.0]
    heart = Heartbeat(stall_seconds=10, clock=lambda: now[0])
    heart.beat(next_in=300)  # a pass ended; the next begins in five minutes
    now[0] = 305.0
    assert heart.stalled_for() == 0
    now[0] = 311.0
    assert heart.stalled_for() == 1.0
