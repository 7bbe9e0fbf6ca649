"""Benchmark syncd over a Google Workspace, under Google's and Zoom's own quotas.

    .venv/bin/python bench/bench_workspace.py --scenario first-pass     # 100 users, as owners
    .venv/bin/python bench/bench_workspace.py --scenario one-identity   # the same, one identity
    .venv/bin/python bench/bench_workspace.py --scenario latency        # `syncd run`, 1000 users

The simulators enforce what the real services would: Google's quotas per identity (600 a
minute) and per project (10,000 a minute) over a sliding 60-second window, a Zoom Business
account's per-second limits per category (Light 80, Medium 60, Heavy 40) and 100 meeting
creates/updates per host a day; syncd is told the same limits. Every simulated request takes
--latency-ms.

first-pass: syncd acts as each calendar's owner (`act_as = "owner"`) and finds the users in
the directory (`[google.directory]`); every user has a Zoom account and hosts their own
meetings (`host = "organizer"`). One pass, then one with no change. The physical floor of the
pass is the largest of: Zoom's per-second floor (requests of a category / its rate, the worst
category), Google's per-identity floor (the busiest identity's n requests: a burst of the
budget, then the next n - budget a window later, and so on), the per-project floor (the same
with the project's budget) and the latency floor (requests x latency / workers). Target: wall /
floor <= 1.25 with no refusal served.

one-identity: the same pass under one identity (`act_as = "credentials"`, the calendars listed
in `[google] calendars` and shared with the service account): 600 requests a minute for all,
so the floor is the window's (about a minute, not the two that even pacing would take).

latency: the daemon (`python -m syncd run`, its own process) over 1000 users' calendars with
`interval_seconds = 20`. Once its first pass is done, events are tagged at random moments
(--tags-per-minute, for --minutes); the seconds from each tag to the join link in the event
(the simulator's store polled every 0.2 s) give p50 and p95 (target p95 <= 30 s).

In first-pass and one-identity the simulators run in a child process, so the CPU and memory
figures are syncd's alone; in latency syncd is the child, read from /proc.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import multiprocessing
import os
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from common import ZONE, cpu_seconds, max_rss_mib, seed_events

from syncd.app import App
from syncd.config import load_config, resolve_zoom_credentials
from syncd.sim.google import GoogleCalendarSim
from syncd.sim.zoom import CATEGORIES, ZoomSim
from syncd.sim.zoom_limits import BUSINESS, LIGHT, MEDIUM

SCENARIOS = ("first-pass", "one-identity", "latency")
DEFAULTS = {  # users, events, tagged
    "first-pass": (100, 10_000, 1_000),
    "one-identity": (100, 10_000, 1_000),
    "latency": (1_000, 3_000, 300),
}
DOMAIN = "example.com"
ADMIN = f"it-admin@{DOMAIN}"
STAFF = "/Staff"
"""The users' org unit, syncd's scope (`[google.directory] org_unit`): not the admin's."""
TAG = "#zoom"
PER_IDENTITY, PER_PROJECT, WINDOW = 600, 10_000, 60.0
"""Google's quotas: requests per identity and per project in any 60-second window."""
DAILY_WRITES = 100
"""Zoom's meeting creates and updates per host per day."""
APIS = ("google", "zoom")


def user_ids(users: int) -> list[str]:
    return [f"user{n:04d}@{DOMAIN}" for n in range(users)]


# -- the simulators ---------------------------------------------------------------------------
def simulators() -> tuple[GoogleCalendarSim, ZoomSim]:
    """Both simulators, not started, with the real services' limits."""
    google = GoogleCalendarSim()
    google.requests_per_minute = PER_IDENTITY
    google.project_requests_per_minute = PER_PROJECT
    google.quota_window = WINDOW
    zoom = ZoomSim(daily_create_limit=DAILY_WRITES, requests_per_second=dict(BUSINESS))
    return google, zoom


def populate(
    google: GoogleCalendarSim, zoom: ZoomSim, *, owner: bool, users: int, events: int, tagged: int
) -> list[str]:
    """The users' calendars with their events, and a Zoom account for each user. As a
    Workspace (`owner`): the users in STAFF, each owning their calendar, and an administrator
    outside it; else calendars without an owner, which any token may use (shared with the
    service account)."""
    calendars = user_ids(users)
    if owner:
        google.add_user(ADMIN, admin=True, org_unit="/IT", time_zone=ZONE)
    for email in calendars:
        if owner:
            google.add_user(email, org_unit=STAFF, time_zone=ZONE)
        else:
            google.add_calendar(email, time_zone=ZONE)
        zoom.add_user(email)
    seed_events(google, calendars, events, tagged)
    return calendars


def urls_of(google: GoogleCalendarSim, zoom: ZoomSim) -> dict[str, Any]:
    return {
        "google": google.api_endpoint,
        "directory": google.directory_endpoint,
        "service_account": google.service_account_info(),
        "zoom": zoom.api_base_url,
        "token_url": zoom.token_url,
        "zoom_secrets": {
            "ZOOM_ACCOUNT_ID": zoom.account_id,
            "ZOOM_CLIENT_ID": zoom.client_id,
            "ZOOM_CLIENT_SECRET": zoom.client_secret,
        },
    }


class Observer:
    """What the simulators saw since the last `take()`: requests by route, by Zoom category
    and by Google identity, non-2xx answers, refusals, in flight; peaks in any window."""

    def __init__(self, google: GoogleCalendarSim, zoom: ZoomSim) -> None:
        self.google, self.zoom = google, zoom
        self._refusals = 0

    def take(self) -> dict[str, Any]:
        google, zoom = self.google, self.zoom
        calls = {"google": google.calls(), "zoom": zoom.calls()}
        by_identity: Counter[str] = Counter()
        for r in calls["google"]:
            if r.route != "token":
                api = "directory" if r.route.startswith("directory.") else "calendar"
                by_identity[f"{api} {google.identity_of(r)}"] += 1
        refusals = google.quota_refusals()
        figures: dict[str, Any] = {
            "routes": {
                api: dict(sorted(Counter(r.route for r in calls[api]).items())) for api in APIS
            },
            "non_2xx": {
                api: dict(Counter(f"{r.route} {r.status}" for r in calls[api] if r.status >= 300))
                for api in APIS
            },
            "zoom_categories": dict(
                Counter(CATEGORIES[r.route] for r in calls["zoom"] if r.route in CATEGORIES)
            ),
            "by_identity": dict(by_identity),
            "google_refusals": refusals - self._refusals,
            "zoom_429": sum(1 for r in calls["zoom"] if r.status == 429),
            "peaks": window_peaks(google),
        }
        self._refusals = refusals
        for api, sim in (("google", google), ("zoom", zoom)):
            load = sim.take_load()
            figures[f"{api}_busy_seconds"] = load.busy_seconds
            figures[f"{api}_peak_in_flight"] = load.peak_in_flight
            sim.reset_log()
        return figures


def window_peaks(google: GoogleCalendarSim) -> dict[str, Any]:
    """The most requests any identity, and the project, had in one window, so far."""
    identities = google.identity_peaks()
    busiest = max(identities, key=lambda i: identities[i], default="")
    return {
        "identity": busiest,
        "identity_peak": identities.get(busiest, 0),
        "identities": len(identities),
        "project_peak": google.peak_in_window(),
        "directory_peak": google.peak_in_window(api="directory"),
    }


def serve_simulators(
    conn: Connection, owner: bool, size: tuple[int, int, int], latency: float
) -> None:
    """The simulators in this (child) process; answers "take" with an `Observer.take()`."""
    google, zoom = simulators()
    with google, zoom:
        users, events, tagged = size
        populate(google, zoom, owner=owner, users=users, events=events, tagged=tagged)
        google.latency = zoom.latency = latency
        observer = Observer(google, zoom)
        observer.take()
        conn.send(urls_of(google, zoom))
        while conn.recv() == "take":
            conn.send(observer.take())


# -- syncd's config -----------------------------------------------------------------------------
def config_toml(
    tmp: Path,
    urls: dict[str, Any],
    *,
    owner: bool,
    calendars: list[str],
    workers: int | None,
    interval: float = 60.0,
    metrics_port: int | None = None,
) -> Path:
    """The config file syncd reads: the quotas as the simulators enforce them."""
    credentials = tmp / "service-account.json"
    credentials.write_text(json.dumps(urls["service_account"]))
    if owner:
        google = f"""act_as = "owner"
[google.directory]
admin = "{ADMIN}"
org_unit = "{STAFF}"
api_endpoint = "{urls["directory"]}"
"""
    else:
        google = f'act_as = "credentials"\ncalendars = {json.dumps(calendars)}\n'
    pool = "" if workers is None else f"workers = {workers}\n"
    metrics = "" if metrics_port is None else f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n'
    path = tmp / "syncd.toml"
    path.write_text(
        f"""[sync]
database_url = "sqlite:///{tmp}/syncd.db"
interval_seconds = {interval}
{pool}
[zoom]
api_base_url = "{urls["zoom"]}"
token_url = "{urls["token_url"]}"
host = "organizer"
rate_limits = {{ light = {BUSINESS[LIGHT]}, medium = {BUSINESS[MEDIUM]} }}
{metrics}
[google]
credentials_file = "{credentials}"
api_endpoint = "{urls["google"]}"
requests_per_minute = {PER_IDENTITY}
project_requests_per_minute = {PER_PROJECT}
{google}"""
    )
    return path


# -- floors -----------------------------------------------------------------------------------
def window_floor(requests: int, budget: int) -> float:
    """When the last of `requests` may go at the soonest: `budget` at once, the next `budget`
    a window later, and so on."""
    return (requests - 1) // budget * WINDOW if requests > budget else 0.0


def floors(figures: dict[str, Any], latency: float, workers: int) -> dict[str, Any]:
    categories = figures["zoom_categories"]
    worst = max(categories, key=lambda c: categories[c] / BUSINESS[c], default=MEDIUM)
    by_identity = figures["by_identity"]
    busiest = max(by_identity, key=lambda k: by_identity[k], default="calendar -")
    per_api: Counter[str] = Counter()
    for key, n in by_identity.items():
        per_api[key.split()[0]] += n
    requests = sum(sum(figures["routes"][api].values()) for api in APIS)
    found = {
        "zoom per-second": categories.get(worst, 0) / BUSINESS[worst],
        "google per identity": window_floor(by_identity.get(busiest, 0), PER_IDENTITY),
        "google per project": window_floor(max(per_api.values(), default=0), PER_PROJECT),
        "latency": requests * latency / workers,
    }
    binding = max(found, key=lambda k: found[k])
    return {
        "floors": found,
        "binding": binding,
        "floor": found[binding],
        "zoom_category": worst,
        "zoom_category_requests": categories.get(worst, 0),
        "busiest_identity": busiest,
        "busiest_identity_requests": by_identity.get(busiest, 0),
        "project_requests": dict(per_api),
        "requests": requests,
    }


# -- first-pass and one-identity ---------------------------------------------------------------
@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    """cProfile in this thread and every thread started meanwhile (a pass's workers), merged
    into one pstats file at `path`; nothing without a path. (`python -m cProfile` sees only
    the main thread, which waits for the workers.)"""
    if path is None:
        yield
        return
    profiles = [cProfile.Profile()]
    lock = threading.Lock()

    def start(*_: object) -> None:
        profile = cProfile.Profile()
        with lock:
            profiles.append(profile)
        profile.enable()  # this thread's profiler from now on, in place of this hook

    threading.setprofile(start)
    profiles[0].enable()
    try:
        yield
    finally:
        profiles[0].disable()
        threading.setprofile(None)
        with lock:
            pstats.Stats(*profiles).dump_stats(path)


def timed_pass(
    app: App, conn: Connection, profile: Path | None
) -> tuple[Any, float, float, dict[str, Any]]:
    """A pass: its report, wall and CPU seconds, and what the simulators saw."""
    with profiled(profile):
        cpu, began = cpu_seconds(), time.perf_counter()
        report = app.run_pass()
        wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    conn.send("take")
    return report, wall, cpu, conn.recv()


def first_pass(args: argparse.Namespace) -> dict[str, Any]:
    owner = args.scenario == "first-pass"
    latency = args.latency_ms / 1000

    def profile(which: str) -> Path | None:
        return None if args.profile is None else Path(f"{args.profile}.{which}.prof")

    parent, child = multiprocessing.Pipe()
    sims = multiprocessing.Process(
        target=serve_simulators,
        args=(child, owner, (args.users, args.events, args.tagged), latency),
    )
    sims.start()
    try:
        urls = parent.recv()
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            path = config_toml(
                tmp, urls, owner=owner, calendars=user_ids(args.users), workers=args.workers
            )
            config = load_config(path)
            app = App.build(config, resolve_zoom_credentials(urls["zoom_secrets"]))
            try:
                workers = config.sync.worker_count
                rss_before = max_rss_mib()
                first_began = time.monotonic()
                report, wall, cpu, first = timed_pass(app, parent, profile("first"))
                rss_peak = max_rss_mib()
                steady_report, steady_wall, steady_cpu, steady = timed_pass(
                    app, parent, profile("steady")
                )
                recovery = None
                if args.recovery_pass:
                    # The first pass found the journal empty: once a create it lost could
                    # no longer reach Zoom, a pass looks for such meetings under every host.
                    settle = app.engine.options.create_settle_seconds
                    time.sleep(max(0.0, first_began + settle + 1 - time.monotonic()))
                    recovery = timed_pass(app, parent, profile("recovery"))
            finally:
                app.close()
    finally:
        parent.send("stop")
        sims.join()
    floor = floors(first, latency, workers)
    return {
        "scenario": args.scenario,
        "users": args.users,
        "events": args.events,
        "tagged": args.tagged,
        "latency_ms": args.latency_ms,
        "workers": workers,
        "workers_setting": config.sync.workers,
        "report_ok": report.ok,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "cpu_ms_per_request": 1000 * cpu / floor["requests"] if floor["requests"] else None,
        "rss_before_mib": rss_before,
        "peak_rss_mib": rss_peak,
        "first": first,
        "average_in_flight": {api: first[f"{api}_busy_seconds"] / wall for api in APIS},
        "peak_in_flight": {api: first[f"{api}_peak_in_flight"] for api in APIS},
        **floor,
        "wall_over_floor": wall / floor["floor"] if floor["floor"] else None,
        "steady": steady,
        "steady_ok": steady_report.ok,
        "steady_wall_seconds": steady_wall,
        "steady_cpu_seconds": steady_cpu,
        "recovery": None
        if recovery is None
        else {
            "ok": recovery[0].ok,
            "wall_seconds": recovery[1],
            "cpu_seconds": recovery[2],
            "figures": recovery[3],
        },
    }


def routes_line(routes: dict[str, int]) -> str:
    return ", ".join(f"{route} {n}" for route, n in routes.items()) or "none"


def refusals_line(figures: dict[str, Any]) -> str:
    errors = {api: figures["non_2xx"][api] for api in APIS if figures["non_2xx"][api]}
    return (
        f"Google quota refusals {figures['google_refusals']}, Zoom 429s {figures['zoom_429']};"
        f" non-2xx answers: {errors or 'none'}"
    )


def peaks_line(peaks: dict[str, Any]) -> str:
    return (
        f"peak requests in one {WINDOW:g} s window: per identity {peaks['identity_peak']}"
        f" (of {PER_IDENTITY}; {peaks['identity'] or '-'}, {peaks['identities']} identities),"
        f" project {peaks['project_peak']} (of {PER_PROJECT}); directory API"
        f" {peaks['directory_peak']}"
    )


def show_first_pass(run: dict[str, Any]) -> None:
    first, steady = run["first"], run["steady"]
    mode = (
        'act_as = "owner", [google.directory]'
        if run["scenario"] == "first-pass"
        else 'act_as = "credentials", [google] calendars'
    )
    print(
        f"{run['scenario']}: {run['users']} users' calendars ({mode}), {run['events']} events,"
        f" {run['tagged']} tagged, {run['latency_ms']:g} ms a request, host = organizer;"
        f" workers {run['workers']} (sync.workers = {run['workers_setting']!r})"
    )
    print(
        f"  first pass: {run['wall_seconds']:.2f} s wall, {run['cpu_seconds']:.2f} s CPU of"
        f" syncd's process ({run['cpu_ms_per_request']:.2f} ms a request), peak RSS"
        f" {run['peak_rss_mib']:.0f} MiB ({run['rss_before_mib']:.0f} before)"
        + ("" if run["report_ok"] else "; the pass reported failures")
    )
    for api in APIS:
        total = sum(first["routes"][api].values())
        print(f"    {api}: {total} requests ({routes_line(first['routes'][api])})")
    categories = ", ".join(f"{c} {n}" for c, n in sorted(first["zoom_categories"].items()))
    print(f"    zoom by category: {categories or 'none'}")
    print(f"    {refusals_line(first)}")
    print(
        "    in flight on average: "
        + ", ".join(f"{api} {run['average_in_flight'][api]:.2f}" for api in APIS)
        + "; peak "
        + ", ".join(f"{api} {run['peak_in_flight'][api]}" for api in APIS)
    )
    print(f"    {peaks_line(first['peaks'])}")
    f = run["floors"]
    category = run["zoom_category"]
    print(
        f"    floors: zoom per-second {f['zoom per-second']:.2f} s ({category}"
        f" {run['zoom_category_requests']} / {BUSINESS[category]:g} a second);"
        f" google per identity {f['google per identity']:.2f} s"
        f" ({run['busiest_identity_requests']} requests, {run['busiest_identity']});"
        f" per project {f['google per project']:.2f} s"
        f" ({', '.join(f'{api} {n}' for api, n in run['project_requests'].items())});"
        f" latency {f['latency']:.2f} s ({run['requests']} requests x {run['latency_ms']:g} ms"
        f" / {run['workers']} workers)"
    )
    print(
        f"    physical floor {run['floor']:.2f} s ({run['binding']}); wall / floor"
        f" {run['wall_over_floor']:.2f} (target <= 1.25 with no refusal)"
    )
    print(
        f"  no-change pass: {run['steady_wall_seconds']:.2f} s wall,"
        f" {run['steady_cpu_seconds']:.2f} s CPU"
        + ("" if run["steady_ok"] else "; the pass reported failures")
    )
    for api in APIS:
        total = sum(steady["routes"][api].values())
        print(f"    {api}: {total} requests ({routes_line(steady['routes'][api])})")
    print(f"    {refusals_line(steady)}")
    recovery = run["recovery"]
    if recovery is not None:
        figures = recovery["figures"]
        print(
            f"  recovery pass (the journal was empty at the first): {recovery['wall_seconds']:.2f}"
            f" s wall, {recovery['cpu_seconds']:.2f} s CPU"
            + ("" if recovery["ok"] else "; the pass reported failures")
        )
        for api in APIS:
            total = sum(figures["routes"][api].values())
            print(f"    {api}: {total} requests ({routes_line(figures['routes'][api])})")
        print(f"    {refusals_line(figures)}")


# -- latency ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    """The daemon's pass counters from its /metrics: passes, and seconds spent in them."""
    found = {"passes": 0.0, "pass_seconds": 0.0}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return found
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("syncd_passes_total"):
            found["passes"] += float(value)
        elif name == "syncd_pass_duration_seconds_sum":
            found["pass_seconds"] = float(value)
    return found


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def wait_for(condition: Callable[[], bool], timeout: float, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        if condition():
            return True
        time.sleep(0.5)
    return False


class Watcher:
    """Tagged events waiting for their join link; the seconds each waited."""

    def __init__(self, google: GoogleCalendarSim, join_prefix: str) -> None:
        self.google, self.join_prefix = google, join_prefix
        self.pending: dict[tuple[str, str], float] = {}
        self.waited: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def tagged(self, key: tuple[str, str], at: float) -> None:
        with self._lock:
            self.pending[key] = at

    def left(self) -> int:
        with self._lock:
            return len(self.pending)

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                pending = list(self.pending.items())
            for key, at in pending:
                if self.join_prefix in (self.google.event(*key).get("description") or ""):
                    now = time.monotonic()
                    with self._lock:
                        del self.pending[key]
                        self.waited.append(now - at)


class PassClock:
    """Each pass of the daemon as it ends (its /metrics read every 0.5 s): when, how long it
    took, and the events.list and meetings.list requests the simulators saw meanwhile."""

    def __init__(self, port: int, google: GoogleCalendarSim, zoom: ZoomSim) -> None:
        self.port, self.google, self.zoom = port, google, zoom
        self.passes: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="pass-clock", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        began = time.monotonic()
        last = scrape(self.port)
        lists = {"events.list": 0, "meetings.list": 0}
        while not self._stop.wait(0.5):
            now = scrape(self.port)
            ended = now["passes"] - last["passes"]
            if ended < 1:
                continue
            counts = {
                "events.list": self.google.count("events.list"),
                "meetings.list": self.zoom.count("meetings.list"),
            }
            self.passes.append(
                {
                    "ended": time.monotonic() - began,
                    "seconds": (now["pass_seconds"] - last["pass_seconds"]) / ended,
                    "passes": ended,
                    **{route: counts[route] - lists[route] for route in lists},
                }
            )
            last, lists = now, counts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def latency_run(args: argparse.Namespace) -> dict[str, Any]:
    google, zoom = simulators()
    rng = random.Random(args.seed)
    with google, zoom, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        calendars = populate(
            google, zoom, owner=True, users=args.users, events=args.events, tagged=args.tagged
        )
        untagged = [
            (calendar, event["id"])
            for calendar in calendars
            for event in google.events(calendar)
            if TAG not in event.get("summary", "")
        ]
        rng.shuffle(untagged)
        google.latency = zoom.latency = args.latency_ms / 1000
        observer = Observer(google, zoom)
        urls = urls_of(google, zoom)
        port = free_port()
        path = config_toml(
            tmp,
            urls,
            owner=True,
            calendars=calendars,
            workers=args.workers,
            interval=args.interval,
            metrics_port=port,
        )
        with open(tmp / "syncd.log", "w") as log:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "syncd", "--config", str(path), "run"],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=os.environ | {"MALLOC_ARENA_MAX": "2"} | urls["zoom_secrets"],
            )
        watcher = Watcher(google, f"{zoom.url}/j/")
        try:
            began = time.monotonic()
            settled = wait_for(
                lambda: len(zoom.meetings()) >= args.tagged and scrape(port)["passes"] >= 1,
                900,
                lambda: daemon.poll() is None,
            )
            if not settled:
                tail = (tmp / "syncd.log").read_text()[-3000:]
                sys.exit(
                    f"the first pass did not finish ({len(zoom.meetings())} meetings):\n{tail}"
                )
            first_wall = time.monotonic() - began
            first = observer.take()
            first_cpu = proc_cpu_seconds(daemon.pid)
            time.sleep(args.start_after)
            between = observer.take()
            between_cpu = proc_cpu_seconds(daemon.pid) - first_cpu
            metrics_before = scrape(port)
            clock = PassClock(port, google, zoom)
            clock.start()
            watcher.start()
            window_began = time.monotonic()
            end = window_began + 60 * args.minutes
            tags = 0
            next_tag = window_began + rng.expovariate(args.tags_per_minute / 60)
            while next_tag < end and untagged:
                time.sleep(max(0.0, next_tag - time.monotonic()))
                calendar, event_id = untagged.pop()
                summary = google.event(calendar, event_id).get("summary", "")
                google.edit_event(calendar, event_id, summary=f"{summary} {TAG}")
                watcher.tagged((calendar, event_id), time.monotonic())
                tags += 1
                next_tag += rng.expovariate(args.tags_per_minute / 60)
            time.sleep(max(0.0, end - time.monotonic()))
            wait_for(lambda: watcher.left() == 0, 3 * args.interval + 30, lambda: True)
            watcher.stop()
            clock.stop()
            measured_wall = time.monotonic() - window_began
            cpu = proc_cpu_seconds(daemon.pid) - first_cpu - between_cpu
            metrics_after = scrape(port)
            steady = observer.take()
            rss = proc_mib(daemon.pid, "VmRSS")
            peak_rss = proc_mib(daemon.pid, "VmHWM")
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=120)
    passes = metrics_after["passes"] - metrics_before["passes"]
    requests = sum(sum(steady["routes"][api].values()) for api in APIS)
    waited = watcher.waited
    return {
        "scenario": "latency",
        "users": args.users,
        "events": args.events,
        "tagged": args.tagged,
        "latency_ms": args.latency_ms,
        "interval_seconds": args.interval,
        "minutes": args.minutes,
        "tags_per_minute": args.tags_per_minute,
        "first_pass_wall_seconds": first_wall,
        "first_pass_cpu_seconds": first_cpu,
        "first": first,
        "between": between,
        "between_cpu_seconds": between_cpu,
        "tags": tags,
        "linked": len(waited),
        "not_linked": watcher.left(),
        "p50_seconds": statistics.median(waited) if waited else None,
        "p95_seconds": percentile(waited, 0.95) if waited else None,
        "max_seconds": max(waited) if waited else None,
        "min_seconds": min(waited) if waited else None,
        "start_after_seconds": args.start_after,
        "slow": sum(1 for w in waited if w > args.interval + 10),
        "passes": passes,
        "pass_log": clock.passes,
        "mean_pass_seconds": (
            (metrics_after["pass_seconds"] - metrics_before["pass_seconds"]) / passes
            if passes
            else None
        ),
        "measured_wall_seconds": measured_wall,
        "cpu_seconds": cpu,
        "cpu_share": cpu / measured_wall,
        "cpu_ms_per_request": 1000 * cpu / requests if requests else None,
        "steady": steady,
        "rss_mib": rss,
        "peak_rss_mib": peak_rss,
        "exit_code": code,
    }


def show_latency(run: dict[str, Any]) -> None:
    first, steady = run["first"], run["steady"]
    print(
        f"latency: `syncd run` over {run['users']} users' calendars (act_as owner, directory),"
        f" {run['events']} events, {run['tagged']} tagged, {run['latency_ms']:g} ms a request,"
        f" interval {run['interval_seconds']:g} s"
    )
    print(
        f"  first pass: done within {run['first_pass_wall_seconds']:.1f} s of the start"
        f" ({run['first_pass_cpu_seconds']:.1f} s CPU, start-up included)"
    )
    for api in APIS:
        total = sum(first["routes"][api].values())
        print(f"    {api}: {total} requests ({routes_line(first['routes'][api])})")
    print(f"    {refusals_line(first)}")
    print(f"    {peaks_line(first['peaks'])}")
    if run["start_after_seconds"]:
        between = run["between"]
        print(
            f"  then {run['start_after_seconds']:g} s without tags"
            f" ({run['between_cpu_seconds']:.1f} s CPU): "
            + "; ".join(f"{api} {routes_line(between['routes'][api])}" for api in APIS)
        )
        print(f"    {refusals_line(between)}")
    print(
        f"  tags: {run['tags']} in {run['minutes']:g} min at random moments"
        f" (~{run['tags_per_minute']:g} a minute); {run['linked']} linked,"
        f" {run['not_linked']} not linked in time"
    )
    if run["linked"]:
        print(
            f"    tag to link: p50 {run['p50_seconds']:.1f} s, p95 {run['p95_seconds']:.1f} s"
            f" (target <= 30 s), min {run['min_seconds']:.1f} s, max {run['max_seconds']:.1f} s;"
            f" {run['slow']} over interval + 10 s"
        )
    mean_pass = run["mean_pass_seconds"]
    print(
        f"    {run['passes']:.0f} passes, {mean_pass:.1f} s each on average;"
        if mean_pass is not None
        else "    no pass finished;",
        f"syncd's CPU {run['cpu_seconds']:.1f} s in {run['measured_wall_seconds']:.0f} s"
        f" ({100 * run['cpu_share']:.0f}% of a core, {run['cpu_ms_per_request']:.2f} ms a"
        f" request); RSS {run['rss_mib']:.0f} MiB, peak {run['peak_rss_mib']:.0f} MiB",
    )
    print(
        "    passes (ended at s: took s, events.list, meetings.list): "
        + "; ".join(
            f"{p['ended']:.0f}: {p['seconds']:.1f}, {p['events.list']}, {p['meetings.list']}"
            + (f" ({p['passes']:.0f} passes)" if p["passes"] > 1 else "")
            for p in run["pass_log"]
        )
    )
    for api in APIS:
        total = sum(steady["routes"][api].values())
        print(f"    {api}: {total} requests ({routes_line(steady['routes'][api])})")
    print(f"    {refusals_line(steady)}")
    print(f"    {peaks_line(steady['peaks'])} (the whole run, first pass included)")
    print(f"  daemon exit code after SIGTERM: {run['exit_code']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, default="first-pass")
    parser.add_argument("--users", type=int, help="calendars, one a user (100; latency 1000)")
    parser.add_argument("--events", type=int, help="in all (10000; latency 3000)")
    parser.add_argument("--tagged", type=int, help="in all, before any pass (1000; latency 300)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="every simulated request")
    parser.add_argument("--workers", type=int, help="sync.workers (default: auto)")
    parser.add_argument("--minutes", type=float, default=4.0, help="latency: tagging for")
    parser.add_argument("--tags-per-minute", type=float, default=30.0, help="latency")
    parser.add_argument("--interval", type=float, default=20.0, help="latency: interval_seconds")
    parser.add_argument(
        "--start-after",
        type=float,
        default=0.0,
        help="latency: seconds between the first pass and the first tag",
    )
    parser.add_argument("--seed", type=int, default=1, help="latency: which events, when")
    parser.add_argument(
        "--recovery-pass",
        action="store_true",
        help="first-pass, one-identity: a third pass once the first's recovery window is over"
        " (2 x zoom.timeout_seconds + 60 s after it), which looks for lost meetings",
    )
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="first-pass, one-identity: cProfile every thread of each pass, to"
        " PREFIX.first.prof, PREFIX.steady.prof (and PREFIX.recovery.prof)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args()
    users, events, tagged = DEFAULTS[args.scenario]
    args.users = users if args.users is None else args.users
    args.events = events if args.events is None else args.events
    args.tagged = tagged if args.tagged is None else args.tagged
    if not 0 < args.users <= args.events or not 0 <= args.tagged <= args.events:
        parser.error("need 0 < users <= events and 0 <= tagged <= events")

    load_before = os.getloadavg()[0]
    if args.scenario == "latency":
        run = latency_run(args)
        show = show_latency
    else:
        run = first_pass(args)
        show = show_first_pass
    # Other work on the machine shows in the wall times: the load before and after says how much.
    run["load_average"] = [load_before, os.getloadavg()[0]]
    if args.json:
        print(json.dumps(run))
    else:
        show(run)
        print(
            f"load average (1 min) before {load_before:.2f}, after {run['load_average'][1]:.2f}"
            f" on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
