"""What the bench scripts share: seeding the simulators, and the config syncd is built with."""

from __future__ import annotations

import json
import resource
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from syncd.adapters.zoom import ZoomCredentials
from syncd.config import Config, GoogleSection, SyncSection, ZoomRateLimits, ZoomSection

ZONE = "Europe/Berlin"


def calendar_ids(calendars: int) -> list[str]:
    return [f"cal-{c:03d}@example.com" for c in range(calendars)]


def share(total: int, parts: int, index: int) -> int:
    """The index-th of `parts` near-equal shares of `total`."""
    return total // parts + (1 if index < total % parts else 0)


def seed(google: Any, calendars: int, events: int, tagged: int) -> dict[str, list[str]]:
    """`calendars` calendars (`calendar_ids`) with `seed_events` in them."""
    ids = calendar_ids(calendars)
    for calendar in ids:
        google.add_calendar(calendar, time_zone=ZONE)
    return seed_events(google, ids, events, tagged)


def seed_events(
    google: Any, calendars: list[str], events: int, tagged: int
) -> dict[str, list[str]]:
    """Events split evenly over existing calendars, hourly from tomorrow on; in each calendar
    the tagged ones are spread evenly among the others. The tagged events' ids, by calendar."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    tagged_ids: dict[str, list[str]] = {}
    for c, calendar in enumerate(calendars):
        count, tags = share(events, len(calendars), c), share(tagged, len(calendars), c)
        tagged_ids[calendar] = []
        for j in range(count):
            is_tagged = (j * tags) // count != ((j + 1) * tags) // count
            begins = start + timedelta(hours=j)
            event = google.put_event(
                calendar,
                {
                    "summary": f"Meeting {c}.{j}" + (" #zoom" if is_tagged else ""),
                    "description": f"Agenda for meeting {c}.{j}.",
                    "start": {"dateTime": begins.isoformat(), "timeZone": ZONE},
                    "end": {"dateTime": (begins + timedelta(minutes=30)).isoformat()},
                },
            )
            if is_tagged:
                tagged_ids[calendar].append(event["id"])
    return tagged_ids


def endpoints(google: Any, zoom: Any) -> dict[str, Any]:
    """Where the simulators listen and what syncd needs to sign in (for a pipe)."""
    return {
        "google": google.api_endpoint,
        "google_info": google.authorized_user_info(),
        "zoom": zoom.api_base_url,
        "token_url": zoom.token_url,
        "zoom_credentials": [zoom.account_id, zoom.client_id, zoom.client_secret],
    }


def bench_config(
    tmp: Path, urls: dict[str, Any], calendars: list[str], workers: int | None = None
) -> tuple[Config, ZoomCredentials]:
    """syncd's config on a SQLite file in `tmp`, against the simulators at `urls`."""
    credentials_file = tmp / "google.json"
    credentials_file.write_text(json.dumps(urls["google_info"]))
    pool = {} if workers is None else {"workers": workers}
    config = Config(
        sync=SyncSection(database_url=f"sqlite:///{tmp}/bench.db", **pool),
        google=GoogleSection(
            credentials_file=str(credentials_file),
            calendars=calendars,
            api_endpoint=urls["google"],
            requests_per_minute=60_000,
        ),
        zoom=ZoomSection(
            api_base_url=urls["zoom"],
            token_url=urls["token_url"],
            # The simulators set no rate limits: measure syncd, not Google's or Zoom's quotas.
            rate_limits=ZoomRateLimits(light=1000, medium=1000),
        ),
    )
    account, client, secret = urls["zoom_credentials"]
    return config, ZoomCredentials(account, client, SecretStr(secret))


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
