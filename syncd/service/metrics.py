"""Prometheus metrics, in prometheus_client's default registry: the daemon records each pass
and serves them all when `[metrics] listen` is set, the adapters' request counts
(`syncd.adapters.request_metrics`) included."""

from __future__ import annotations

import contextlib
import time

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from syncd.engine.report import PassReport

PASSES = Counter("syncd_passes", "Passes over all calendars, by result", ["result"])
ACTIONS = Counter(
    "syncd_actions",
    "What the passes did: meetings created, updated, deleted, found again; events linked "
    "(a block written), blocks removed; events failed, parked, deletions held",
    ["action"],
)
PASS_SECONDS = Histogram(
    "syncd_pass_duration_seconds",
    "How long a pass over all calendars took",
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
QUEUED = Gauge("syncd_events_queued", "Events with work left: a retry due, or a step resumed")
PARKED = Gauge("syncd_events_parked", "Events no longer retried until `syncd retry`")
LAST_SUCCESS = Gauge(
    "syncd_last_success_timestamp_seconds",
    "When a calendar's pass last finished without an error (Unix time)",
    ["calendar"],
)


def record_pass(report: PassReport, seconds: float, queued: int, parked: int) -> None:
    PASSES.labels("ok" if report.ok else "failed").inc()
    PASS_SECONDS.observe(seconds)
    done = {
        "created": sum(c.meetings_created for c in report.calendars),
        "updated": sum(c.meetings_updated for c in report.calendars),
        "deleted": sum(c.meetings_deleted for c in report.calendars),
        "adopted": sum(c.meetings_adopted for c in report.calendars),
        "linked": sum(c.events_written for c in report.calendars),
        "block_removed": sum(c.blocks_removed for c in report.calendars),
        "failed": sum(len(c.failures) for c in report.calendars),
        "parked": sum(c.parked for c in report.calendars),
        "held": sum(c.deletions_held for c in report.calendars),
    }
    for action, number in done.items():
        ACTIONS.labels(action).inc(number)
    QUEUED.set(queued)
    PARKED.set(parked)
    now = time.time()
    for calendar in report.calendars:
        if calendar.error is None and not calendar.busy:
            LAST_SUCCESS.labels(calendar.calendar_id).set(now)


def record_failed_pass(seconds: float) -> None:
    """A pass that ended in an error before it could report (the database unusable)."""
    PASSES.labels("failed").inc()
    PASS_SECONDS.observe(seconds)


def forget_calendars(calendar_ids: set[str]) -> None:
    """Calendars a reload removed: their last success would otherwise look ever staler."""
    for calendar_id in calendar_ids:
        with contextlib.suppress(KeyError):  # it never had a successful pass
            LAST_SUCCESS.remove(calendar_id)


def serve(listen: str) -> None:
    """Serve /metrics on `host:port` from a thread of prometheus_client's."""
    host, _, port = listen.rpartition(":")
    start_http_server(int(port), addr=host.strip("[]"))
