"""Benchmark syncd's first pass at scale: many calendars, many events, against the simulators.

    .venv/bin/python bench/bench_scale.py --calendars 100 --events 10000 --tagged 1000 \\
        --latency-ms 20

The simulators run in a child process, so the CPU and memory figures are syncd's alone. Every
simulated request takes --latency-ms; with `workers` requests at a time, a pass cannot take less
than requests x latency / workers (the latency floor), and wall / floor shows how close it gets.
Requests in flight are measured by the simulators: the time requests spent in them, divided by
the pass's wall time, is the average number in flight. A second pass with no changes follows;
it should cost one events.list per calendar and nothing at Zoom.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from syncd.app import App
from syncd.config import (
    Config,
    GoogleSection,
    SyncSection,
    ZoomCredentials,
    ZoomRateLimits,
    ZoomSection,
)

ZONE = "Europe/Berlin"
APIS = ("google", "zoom")


def calendar_ids(calendars: int) -> list[str]:
    return [f"cal-{c:03d}@example.com" for c in range(calendars)]


def share(total: int, parts: int, index: int) -> int:
    """The index-th of `parts` near-equal shares of `total`."""
    return total // parts + (1 if index < total % parts else 0)


def seed(google: Any, calendars: int, events: int, tagged: int) -> None:
    """Events split evenly over the calendars, hourly from tomorrow on; in each calendar the
    tagged ones are spread evenly among the others."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    for c, calendar in enumerate(calendar_ids(calendars)):
        google.add_calendar(calendar, time_zone=ZONE)
        count, tags = share(events, calendars, c), share(tagged, calendars, c)
        for j in range(count):
            is_tagged = (j * tags) // count != ((j + 1) * tags) // count
            begins = start + timedelta(hours=j)
            google.put_event(
                calendar,
                {
                    "summary": f"Meeting {c}.{j}" + (" #zoom" if is_tagged else ""),
                    "description": f"Agenda for meeting {c}.{j}.",
                    "start": {"dateTime": begins.isoformat(), "timeZone": ZONE},
                    "end": {"dateTime": (begins + timedelta(minutes=30)).isoformat()},
                },
            )


def serve_simulators(
    conn: Connection, calendars: int, events: int, tagged: int, latency: float
) -> None:
    from syncd.sim.google import GoogleCalendarSim
    from syncd.sim.zoom import ZoomSim

    with GoogleCalendarSim() as google, ZoomSim(daily_create_limit=events + 1) as zoom:
        seed(google, calendars, events, tagged)
        google.latency = zoom.latency = latency
        sims = {"google": google, "zoom": zoom}
        conn.send(
            {
                "google": google.api_endpoint,
                "google_info": google.authorized_user_info(),
                "zoom": zoom.api_base_url,
                "token_url": zoom.token_url,
                "zoom_credentials": [zoom.account_id, zoom.client_id, zoom.client_secret],
            }
        )
        while (command := conn.recv()) != "stop":
            figures = {}
            for api, sim in sims.items():
                calls = sim.calls()
                load = sim.take_load()
                sim.reset_log()
                figures[api] = {
                    "routes": dict(Counter(r.route for r in calls)),
                    "errors": dict(
                        Counter(f"{r.route} {r.status}" for r in calls if r.status // 100 != 2)
                    ),
                    "busy_seconds": load.busy_seconds,
                    "peak_in_flight": load.peak_in_flight,
                }
            conn.send(figures if command == "counts" else None)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sync_section(database_url: str, workers: int | None) -> SyncSection:
    if "workers" in SyncSection.model_fields and workers is not None:
        return SyncSection(database_url=database_url, workers=workers)  # type: ignore[call-arg]
    return SyncSection(database_url=database_url)


def workers_in(config: Config) -> tuple[int, str]:
    """The workers a pass uses, and where the number comes from."""
    if "workers" not in SyncSection.model_fields:
        return 1, "SyncSection has no workers field: one request at a time"
    value = config.sync.workers  # type: ignore[attr-defined]
    if isinstance(value, int) and value >= 1:
        return value, f"sync.workers = {value}"
    return 1, f"sync.workers = {value!r}; the floor assumes 1"


def timed_pass(app: App, conn: Connection) -> tuple[float, float, dict[str, Any]]:
    conn.send("reset")
    conn.recv()
    cpu, began = cpu_seconds(), time.perf_counter()
    report = app.run_pass()
    wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    assert report.ok, report
    conn.send("counts")
    return wall, cpu, conn.recv()


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    latency = args.latency_ms / 1000
    parent, child = multiprocessing.Pipe()
    sims = multiprocessing.Process(
        target=serve_simulators,
        args=(child, args.calendars, args.events, args.tagged, latency),
    )
    sims.start()
    try:
        urls = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            credentials_file = Path(tmp) / "google.json"
            credentials_file.write_text(json.dumps(urls["google_info"]))
            config = Config(
                sync=sync_section(f"sqlite:///{tmp}/bench.db", args.workers),
                google=GoogleSection(
                    credentials_file=str(credentials_file),
                    calendars=calendar_ids(args.calendars),
                    api_endpoint=urls["google"],
                ),
                zoom=ZoomSection(
                    api_base_url=urls["zoom"],
                    token_url=urls["token_url"],
                    # The simulator sets no per-second limit: measure syncd, not Zoom's plan.
                    rate_limits=ZoomRateLimits(light=1000, medium=1000),
                ),
            )
            account, client, secret = urls["zoom_credentials"]
            app = App.build(config, ZoomCredentials(account, client, SecretStr(secret)))
            try:
                workers, workers_note = workers_in(config)
                rss_before = max_rss_mib()
                wall, cpu, first = timed_pass(app, parent)
                rss_peak = max_rss_mib()
                steady_wall, _, steady = timed_pass(app, parent)
            finally:
                app.close()
    finally:
        parent.send("stop")
        sims.join()

    requests = {api: sum(first[api]["routes"].values()) for api in APIS}
    total = sum(requests.values())
    errors: dict[str, dict[str, int]] = {}
    for api in APIS:
        by_status: Counter[str] = Counter()
        for key, n in first[api]["errors"].items():
            by_status[key.rsplit(" ", 1)[1]] += n
        errors[api] = dict(sorted(by_status.items()))
    floor = total * latency / workers
    return {
        "workers": workers,
        "workers_note": workers_note,
        "first_pass": {
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "requests": requests,
            "routes": {api: dict(sorted(first[api]["routes"].items())) for api in APIS},
            "cpu_ms_per_request": 1000 * cpu / total if total else None,
            "non_2xx": errors,
            "non_2xx_by_route": {api: first[api]["errors"] for api in APIS},
            "average_in_flight": sum(first[api]["busy_seconds"] for api in APIS) / wall,
            "average_in_flight_by_api": {api: first[api]["busy_seconds"] / wall for api in APIS},
            "peak_in_flight_by_api": {api: first[api]["peak_in_flight"] for api in APIS},
            "rss_before_mib": rss_before,
            "peak_rss_mib": rss_peak,
            "latency_floor_seconds": floor,
            "wall_over_floor": wall / floor if floor else None,
        },
        "steady_pass": {
            "wall_seconds": steady_wall,
            "requests": {api: sum(steady[api]["routes"].values()) for api in APIS},
            "routes": {api: dict(sorted(steady[api]["routes"].items())) for api in APIS},
            "non_2xx_by_route": {api: steady[api]["errors"] for api in APIS},
        },
    }


def routes_line(routes: dict[str, int]) -> str:
    return ", ".join(f"{route} {n}" for route, n in routes.items()) or "none"


def show(index: int, run: dict[str, Any]) -> None:
    first, steady = run["first_pass"], run["steady_pass"]
    print(f"run {index}: workers {run['workers']} ({run['workers_note']})")
    print(
        f"  first pass: {first['wall_seconds']:.2f} s wall, {first['cpu_seconds']:.2f} s CPU"
        f" of syncd's process, {first['cpu_ms_per_request']:.2f} ms CPU per request"
    )
    for api in APIS:
        print(f"    {api}: {first['requests'][api]} requests ({routes_line(first['routes'][api])})")
    errors = "; ".join(
        f"{api} " + (", ".join(f"{s} x{n}" for s, n in first["non_2xx"][api].items()) or "none")
        for api in APIS
    )
    print(f"    non-2xx answers: {errors}")
    print(
        f"    in flight: {first['average_in_flight']:.2f} on average"
        f" (google {first['average_in_flight_by_api']['google']:.2f},"
        f" zoom {first['average_in_flight_by_api']['zoom']:.2f});"
        f" peak google {first['peak_in_flight_by_api']['google']},"
        f" zoom {first['peak_in_flight_by_api']['zoom']}"
    )
    print(
        f"    latency floor {first['latency_floor_seconds']:.2f} s"
        f" (requests x latency / workers); wall / floor {first['wall_over_floor']:.2f}"
    )
    print(
        f"    peak RSS of syncd's process {first['peak_rss_mib']:.0f} MiB"
        f" ({first['rss_before_mib']:.0f} MiB before the pass)"
    )
    print(f"  steady pass: {steady['wall_seconds']:.2f} s wall")
    for api in APIS:
        print(
            f"    {api}: {steady['requests'][api]} requests ({routes_line(steady['routes'][api])})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calendars", type=int, default=100)
    parser.add_argument("--events", type=int, default=10000, help="in all calendars together")
    parser.add_argument("--tagged", type=int, default=1000, help="in all calendars together")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--workers", type=int, default=None, help="sync.workers (default: the config's)"
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args()
    if not 0 < args.calendars <= args.events or not 0 <= args.tagged <= args.events:
        parser.error("need 0 < calendars <= events and 0 <= tagged <= events")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    note = None
    if args.workers is not None and "workers" not in SyncSection.model_fields:
        note = f"--workers {args.workers} ignored: SyncSection has no workers field yet"

    if not args.json:
        print(
            f"{args.calendars} calendars, {args.events} events, {args.tagged} tagged,"
            f" {args.latency_ms:g} ms per request, {args.runs} run(s)"
        )
        if note:
            print(note)
    runs = []
    for index in range(1, args.runs + 1):
        run = one_run(args)
        runs.append(run)
        if not args.json:
            show(index, run)

    walls = [run["first_pass"]["wall_seconds"] for run in runs]
    if args.json:
        print(
            json.dumps(
                {
                    "calendars": args.calendars,
                    "events": args.events,
                    "tagged": args.tagged,
                    "latency_ms": args.latency_ms,
                    "workers_option": args.workers,
                    "note": note,
                    "runs": runs,
                    "first_pass_wall_median_seconds": statistics.median(walls),
                }
            )
        )
    elif len(runs) > 1:
        print(
            f"first pass wall over {len(runs)} runs: median {statistics.median(walls):.2f} s,"
            f" min {min(walls):.2f} s, max {max(walls):.2f} s"
        )


if __name__ == "__main__":
    main()
