"""Run the daemon for a while under a steady trickle of edits; print its memory over time.

    .venv/bin/python bench/bench_soak.py --minutes 30

syncd runs as it does under systemd (`python -m syncd run`, its own process, a SQLite file,
the unit's `Environment=`), against the simulators, which run in this process. After its
first pass, users edit events at `--edits-per-minute`: move, rename, untag or tag again,
add, cancel. The daemon's resident memory (VmRSS) is read every minute; at the end every
live tagged event must have exactly one meeting and no meeting may be left over.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import calendar_ids, seed

from syncd.core.domain import reference_for
from syncd.sim.google import GoogleCalendarSim
from syncd.sim.zoom import ZoomSim

TAG = "#zoom"


UNIT = Path(__file__).parents[1] / "systemd" / "syncd.service"


def unit_environment() -> dict[str, str]:
    """The `Environment=` settings of the systemd unit: the daemon runs as it would there."""
    settings = {}
    for line in UNIT.read_text().splitlines():
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            settings[name] = value
    return settings


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def config_toml(tmp: Path, google: GoogleCalendarSim, zoom: ZoomSim, args: Any) -> Path:
    credentials = tmp / "google.json"
    credentials.write_text(json.dumps(google.authorized_user_info()))
    calendars = json.dumps(calendar_ids(args.calendars))
    path = tmp / "syncd.toml"
    path.write_text(
        f"""
[sync]
database_url = "sqlite:///{tmp}/syncd.db"
interval_seconds = {args.interval}
[google]
credentials_file = "{credentials}"
calendars = {calendars}
api_endpoint = "{google.api_endpoint}"
requests_per_minute = 60000
[zoom]
api_base_url = "{zoom.api_base_url}"
token_url = "{zoom.token_url}"
rate_limits = {{ light = 1000, medium = 1000 }}
"""
    )
    return path


class Users:
    """People editing their calendars: one random edit at a time."""

    def __init__(self, google: GoogleCalendarSim, calendars: list[str], rng: random.Random):
        self.google, self.calendars, self.rng = google, calendars, rng
        self.done: Counter[str] = Counter()

    def edit(self) -> None:
        calendar = self.rng.choice(self.calendars)
        live = [e for e in self.google.events(calendar) if e.get("status") != "cancelled"]
        kind = self.rng.choice(("move", "rename", "retag", "add", "cancel"))
        if kind == "add" or not live:
            self._add(calendar)
            kind = "add"
        else:
            getattr(self, f"_{kind}")(calendar, self.rng.choice(live))
        self.done[kind] += 1

    def _add(self, calendar: str) -> None:
        begins = datetime.now().astimezone().replace(microsecond=0) + timedelta(
            days=1, hours=self.rng.randrange(24 * 14)
        )
        tag = f" {TAG}" if self.rng.random() < 0.5 else ""
        self.google.put_event(
            calendar,
            {
                "summary": f"Added {self.done['add']}{tag}",
                "description": "Agenda",
                "start": {"dateTime": begins.isoformat(), "timeZone": "Europe/Berlin"},
                "end": {"dateTime": (begins + timedelta(minutes=30)).isoformat()},
            },
        )

    def _move(self, calendar: str, event: dict[str, Any]) -> None:
        shift = timedelta(minutes=self.rng.choice((-30, 30, 60)))
        moved = {
            key: {**event[key], "dateTime": (_at(event[key]) + shift).isoformat()}
            for key in ("start", "end")
        }
        self.google.edit_event(calendar, event["id"], **moved)

    def _rename(self, calendar: str, event: dict[str, Any]) -> None:
        tag = f" {TAG}" if TAG in event.get("summary", "") else ""
        self.google.edit_event(calendar, event["id"], summary=f"Renamed {self.done['rename']}{tag}")

    def _retag(self, calendar: str, event: dict[str, Any]) -> None:
        summary = event.get("summary", "")
        retagged = summary.replace(TAG, "").strip() if TAG in summary else f"{summary} {TAG}"
        self.google.edit_event(calendar, event["id"], summary=retagged)

    def _cancel(self, calendar: str, event: dict[str, Any]) -> None:
        self.google.delete_event(calendar, event["id"])


def _at(when: dict[str, str]) -> datetime:
    return datetime.fromisoformat(when["dateTime"])


def outcome(google: GoogleCalendarSim, zoom: ZoomSim, calendars: list[str]) -> dict[str, int]:
    """Duplicates, lost and left-over meetings, by the references in their agendas."""
    meetings = Counter(m["agenda"].split("\n", 1)[0] for m in zoom.meetings())
    wanted = {
        reference_for(calendar, event["id"])
        for calendar in calendars
        for event in google.events(calendar)
        if event.get("status") != "cancelled" and TAG in event.get("summary", "")
    }
    return {
        "tagged events": len(wanted),
        "meetings": sum(meetings.values()),
        "duplicates": sum(n - 1 for n in meetings.values() if n > 1),
        "lost": len(wanted - set(meetings)),
        "left over": len(set(meetings) - wanted),
    }


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--calendars", type=int, default=5)
    parser.add_argument("--events", type=int, default=500, help="in all calendars together")
    parser.add_argument("--tagged", type=int, default=100, help="in all calendars together")
    parser.add_argument("--interval", type=float, default=10.0, help="sync.interval_seconds")
    parser.add_argument("--edits-per-minute", type=float, default=30.0)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    calendars = calendar_ids(args.calendars)

    with (
        GoogleCalendarSim() as google,
        ZoomSim(daily_create_limit=1_000_000) as zoom,
        tempfile.TemporaryDirectory() as tmp_name,
    ):
        tmp = Path(tmp_name)
        seed(google, args.calendars, args.events, args.tagged)
        google.latency = zoom.latency = args.latency_ms / 1000
        secrets = {
            "ZOOM_ACCOUNT_ID": zoom.account_id,
            "ZOOM_CLIENT_ID": zoom.client_id,
            "ZOOM_CLIENT_SECRET": zoom.client_secret,
        }
        with open(tmp / "syncd.log", "w") as log:
            daemon = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "syncd",
                    "--config",
                    str(config_toml(tmp, google, zoom, args)),
                    "run",
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=os.environ | unit_environment() | secrets,
            )
        try:
            began = time.monotonic()
            if not wait_for(lambda: len(zoom.meetings()) >= args.tagged, 600):
                sys.exit(f"the first pass did not finish: {len(zoom.meetings())} meetings")
            first_pass = time.monotonic() - began
            time.sleep(args.interval)  # one quiet pass: the steady state
            start = rss_mib(daemon.pid)
            print(
                f"{args.calendars} calendars, {args.events} events, {args.tagged} tagged;"
                f" interval {args.interval:g} s, {args.edits_per_minute:g} edits a minute,"
                f" {args.latency_ms:g} ms per request"
            )
            print(f"first pass {first_pass:.0f} s; RSS after it: {start:.1f} MiB")
            google.reset_log()
            zoom.reset_log()
            users = Users(google, calendars, random.Random(args.seed))
            samples = [(0.0, start)]
            soak_began = time.monotonic()
            end = soak_began + 60 * args.minutes
            next_sample = soak_began + 60
            while (now := time.monotonic()) < end:
                users.edit()
                if now >= next_sample:
                    samples.append(((now - soak_began) / 60, rss_mib(daemon.pid)))
                    next_sample += 60
                time.sleep(60 / args.edits_per_minute)
            time.sleep(3 * args.interval)  # the last edits' passes
            final = rss_mib(daemon.pid)
            samples.append(((time.monotonic() - soak_began) / 60, final))
            result = outcome(google, zoom, calendars)
            requests = {
                "google": Counter(r.route for r in google.calls()),
                "zoom": Counter(r.route for r in zoom.calls()),
            }
            errors = Counter(
                f"{r.route} {r.status}"
                for sim in (google, zoom)
                for r in sim.calls()
                if r.status // 100 != 2
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)

    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(users.done.items()))
    print(f"edits: {sum(users.done.values())} ({kinds})")
    for api, routes in requests.items():
        detail = ", ".join(f"{route} {n}" for route, n in sorted(routes.items()))
        print(f"  {api}: {sum(routes.values())} requests ({detail})")
    print(f"  non-2xx answers: {dict(errors) or 'none'}")
    print("RSS by minute: " + ", ".join(f"{m:.0f}: {rss:.1f}" for m, rss in samples))
    peak = max(rss for _, rss in samples)
    print(
        f"RSS start {start:.1f} MiB, end {final:.1f} MiB, growth {final - start:+.1f} MiB,"
        f" peak {peak:.1f} MiB"
    )
    print("outcome: " + ", ".join(f"{k} {n}" for k, n in result.items()))
    print(f"daemon exit code after SIGTERM: {code}")


if __name__ == "__main__":
    main()
