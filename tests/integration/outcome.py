"""What a fault left behind, counted the same way in every cell of the fault matrix: the
tests assert it is nothing, and `bench/fault_matrix.py` tallies it over many runs (each
cell's outcome is appended to the file `SYNCD_FAULT_RECORD` names, when it names one)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from syncd.core.description import BEGIN_MARKER, find_block, remove_block
from syncd.core.domain import reference_for
from tests.conftest import CALENDAR
from tests.integration.test_lifecycle import TEXT

RECORD = "SYNCD_FAULT_RECORD"


@dataclass(frozen=True)
class Outcome:
    duplicates: int = 0
    """Meetings beyond the first carrying one event's reference."""
    lost: int = 0
    """Tagged events whose block does not show a meeting Zoom has for them."""
    left_over: int = 0
    """Meetings of events that want none (untagged or cancelled)."""
    stale_blocks: int = 0
    """Untagged events still showing a block."""
    damaged: int = 0
    """Events whose user's text is not what the user wrote."""


def outcome(
    google_sim,
    zoom_sim,
    wanted: Iterable[str],
    unwanted: Iterable[str] = (),
    texts: Mapping[str, str] | None = None,
) -> Outcome:
    """Count what is wrong with the `wanted` and `unwanted` events (text: `texts`, else
    the tests' TEXT), and record it for the bench."""
    texts = texts or {}
    meetings = zoom_sim.meetings()
    counts = {"duplicates": 0, "lost": 0, "left_over": 0, "stale_blocks": 0, "damaged": 0}
    for event_id, wants in [(e, True) for e in wanted] + [(e, False) for e in unwanted]:
        event = google_sim.event(CALENDAR, event_id)
        description = event.get("description", "")
        reference = reference_for(CALENDAR, event_id)
        ids = [m["id"] for m in meetings if m["agenda"].startswith(reference)]
        block = find_block(description)
        if wants:
            counts["duplicates"] += max(0, len(ids) - 1)
            shown = block is not None and block.meeting_id in ids
            counts["lost"] += not shown or description.count(BEGIN_MARKER) != 1
        else:
            counts["left_over"] += len(ids)
            counts["stale_blocks"] += event["status"] != "cancelled" and block is not None
        counts["damaged"] += remove_block(description) != texts.get(event_id, TEXT)
    found = Outcome(**counts)
    _record(found)
    return found


def _record(found: Outcome) -> None:
    path = os.environ.get(RECORD)
    if not path:
        return
    cell = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
    with open(path, "a") as record:
        record.write(json.dumps({"cell": cell, **asdict(found)}) + "\n")
