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
import statistics
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from common import (
    bench_config,
    calendar_ids,
    cpu_seconds,
    endpoints,
    max_rss_mib,
    seed,
)

from syncd.app import App
from syncd.config import Config

APIS = ("google", "zoom")


def serve_simulators(
    conn: Connection, calendars: int, events: int, tagged: int, latency: float
) -> None:
    from syncd.sim.google import GoogleCalendarSim
    from syncd.sim.zoom import ZoomSim

    with GoogleCalendarSim() as google, ZoomSim(daily_create_limit=events + 1) as zoom:
        seed(google, calendars, events, tagged)
        google.latency = zoom.latency = latency
        sims = {"google": google, "zoom": zoom}
        conn.send(endpoints(google, zoom))
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


def workers_in(config: Config) -> tuple[int, str]:
    """The workers a pass uses, and where the number comes from."""
    value = config.sync.workers
    return config.sync.worker_count, f"sync.workers = {value!r}"


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
            config, credentials = bench_config(
                Path(tmp), urls, calendar_ids(args.calendars), args.workers
            )
            app = App.build(config, credentials)
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

    if not args.json:
        print(
            f"{args.calendars} calendars, {args.events} events, {args.tagged} tagged,"
            f" {args.latency_ms:g} ms per request, {args.runs} run(s)"
        )
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
