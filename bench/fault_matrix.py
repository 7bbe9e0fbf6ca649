"""Run the fault matrix several times and count what the faults left behind.

    .venv/bin/python bench/fault_matrix.py --runs 5

Each run is one pytest session over the matrix (tests/integration/test_fault_matrix.py: kill
-9 at each step, every route failing; tests/integration/test_store_faults.py: the store
faults). Every cell records its outcome (tests/integration/outcome.py); this prints, per
cell, the runs tried and the duplicates, lost links, meetings left over, stale blocks and
damaged texts found over all of them, then the totals. A cell that failed without recording
(an error before its check) is counted as failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
MATRIX = ("tests/integration/test_fault_matrix.py", "tests/integration/test_store_faults.py")
COUNTS = ("duplicates", "lost", "left_over", "stale_blocks", "damaged")


def run_once(record: Path) -> tuple[int, float]:
    started = time.monotonic()
    session = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", ""]  # slow too
        + [str(REPOSITORY / path) for path in MATRIX],
        cwd=REPOSITORY,
        env=os.environ | {"SYNCD_FAULT_RECORD": str(record)},
        capture_output=True,
        text=True,
    )
    return session.returncode, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    runs: Counter[str] = Counter()
    found: dict[str, Counter[str]] = defaultdict(Counter)
    sessions_failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            record = Path(scratch) / f"run-{run}.jsonl"
            code, wall = run_once(record)
            sessions_failed += code != 0
            cells = [json.loads(line) for line in record.read_text().splitlines()]
            print(f"run {run + 1}: {len(cells)} cells recorded in {wall:.0f} s, pytest exit {code}")
            for cell in cells:
                name = cell["cell"].split("::", 1)[1]
                runs[name] += 1
                found[name].update({key: cell[key] for key in COUNTS})

    width = max(map(len, runs)) if runs else 10
    print(f"\n{'cell':<{width}}  runs  " + "  ".join(COUNTS))
    for name in sorted(runs):
        figures = "  ".join(f"{found[name][key]:>{len(key)}}" for key in COUNTS)
        print(f"{name:<{width}}  {runs[name]:>4}  {figures}")
    totals = Counter[str]()
    for counts in found.values():
        totals.update(counts)
    figures = "  ".join(f"{totals[key]:>{len(key)}}" for key in COUNTS)
    print(f"{'all ' + str(len(runs)) + ' cells':<{width}}  {sum(runs.values()):>4}  {figures}")
    print(f"pytest sessions that failed: {sessions_failed} of {args.runs}")


if __name__ == "__main__":
    main()
