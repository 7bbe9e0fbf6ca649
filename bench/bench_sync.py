"""Benchmark a first pass, a no-change pass and passes after single edits, against the
simulators.

    .venv/bin/python bench/bench_sync.py --events 2000 --tagged 500 --latency-ms 10

The simulators run in a child process, so the memory figures are syncd's alone. API calls are
the real cost of a pass, so they are counted per API and per kind of request.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from common import bench_config, calendar_ids, endpoints, max_rss_mib, seed

from syncd.app import App

[CALENDAR] = calendar_ids(1)


def serve_simulators(conn: Connection, events: int, tagged: int, latency: float) -> None:
    from syncd.sim.google import GoogleCalendarSim
    from syncd.sim.zoom import ZoomSim

    with GoogleCalendarSim() as google, ZoomSim(daily_create_limit=events + 1) as zoom:
        tagged_ids = seed(google, 1, events, tagged)[CALENDAR]
        google.latency = zoom.latency = latency
        google.reset_log()
        conn.send(endpoints(google, zoom))
        while (command := conn.recv()) != "stop":
            if command in EDITS:
                EDITS[command](google, tagged_ids)
                google.reset_log()
            elif command == "counts":
                conn.send(
                    {
                        "google": Counter(r.route for r in google.calls()),
                        "zoom": Counter(r.route for r in zoom.calls()),
                    }
                )
                google.reset_log()
                zoom.reset_log()


def _move(google, tagged_ids: list[str]) -> None:
    event = google.event(CALENDAR, tagged_ids[0])
    later = {
        key: {
            **event[key],
            "dateTime": (
                datetime.fromisoformat(event[key]["dateTime"]) + timedelta(minutes=30)
            ).isoformat(),
        }
        for key in ("start", "end")
    }
    google.edit_event(CALENDAR, tagged_ids[0], **later)


def _rename(google, tagged_ids: list[str]) -> None:
    google.edit_event(CALENDAR, tagged_ids[1], summary="Renamed #zoom")


def _untag(google, tagged_ids: list[str]) -> None:
    google.edit_event(CALENDAR, tagged_ids[2], summary="No video after all")


EDITS = {"one event moved": _move, "one event renamed": _rename, "one event untagged": _untag}


def measure(app: App) -> tuple[float, float]:
    began = time.perf_counter()
    report = app.run_pass()
    elapsed = time.perf_counter() - began
    assert report.ok, report
    return elapsed, max_rss_mib()


def show(title: str, elapsed: float, rss_mib: float, counts: dict[str, Counter[str]]) -> None:
    print(f"{title}: {elapsed:.2f} s wall, peak RSS of syncd's process {rss_mib:.0f} MiB")
    for api, routes in counts.items():
        detail = ", ".join(f"{route} {n}" for route, n in sorted(routes.items())) or "none"
        print(f"  {api}: {sum(routes.values())} requests ({detail})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--tagged", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    sims = multiprocessing.Process(
        target=serve_simulators, args=(child, args.events, args.tagged, args.latency_ms / 1000)
    )
    sims.start()
    urls = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        config, credentials = bench_config(Path(tmp), urls, [CALENDAR])
        app = App.build(config, credentials)
        print(
            f"{args.events} events, {args.tagged} tagged, {args.latency_ms:g} ms per request;"
            f" {max_rss_mib():.0f} MiB RSS before the first pass"
        )
        for title in ("first pass", "no-change pass", *EDITS, "no-change pass"):
            if title in EDITS:
                parent.send(title)
            elapsed, peak = measure(app)
            parent.send("counts")
            show(title, elapsed, peak, parent.recv())
        app.close()
    parent.send("stop")
    sims.join()


if __name__ == "__main__":
    main()
