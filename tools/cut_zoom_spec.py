"""Cut the operations syncd uses out of Zoom's published Meeting API OpenAPI document.

Usage: python tools/cut_zoom_spec.py SPEC.json [OUTPUT.json]
(OUTPUT defaults to tests/reference/zoom-meeting-api.openapi.json, which the tests read.)

Why: the tests validate every request syncd sends, and every answer the simulator gives,
against Zoom's own schemas (Zoom silently ignores a field it does not know). The published
document is 1.9 MB over 190 paths; a clone must carry what its tests read, so this keeps the
paths syncd calls, every method on them, whole and unchanged, with the document's header. The
source and the date of the cut are recorded in `info.x-syncd-cut`.

The published document used: Zoom Meeting API, OpenAPI 3.0, version 2, as of October 2023,
from a public copy (github.com/shr968/Prokalp, file ZoomMeetingAPISpec.json).
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Any

PATHS = (
    "/users",  # GET: the account's users (hosts)
    "/users/{userId}",  # GET: "me" by e-mail
    "/users/{userId}/meetings",  # POST: create; GET: a host's meetings (recovery)
    "/meetings/{meetingId}",  # GET, PATCH, DELETE
)
HEADER = ("openapi", "info", "externalDocs", "servers")
SOURCE = (
    "Zoom Meeting API OpenAPI document, version 2, as of October 2023, public copy "
    "github.com/shr968/Prokalp ZoomMeetingAPISpec.json"
)
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parents[1] / "tests" / "reference" / "zoom-meeting-api.openapi.json"
)

Json = dict[str, Any]


def cut(spec: Json, today: datetime.date) -> Json:
    """The header and PATHS of ``spec``; fails if the document refers elsewhere ($ref)."""
    out: Json = {key: spec[key] for key in HEADER if key in spec}
    out["info"] = {
        **spec["info"],
        "x-syncd-cut": {
            "source": SOURCE,
            "date": today.isoformat(),
            "paths": list(PATHS),
            "by": "tools/cut_zoom_spec.py",
        },
    }
    out["paths"] = {path: spec["paths"][path] for path in PATHS}
    if "$ref" in json.dumps(out["paths"]):
        raise SystemExit("the kept paths use $ref: keep the components they name too")
    return out


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    output = Path(argv[1]) if len(argv) == 2 else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(cut(spec, datetime.date.today()), indent=1, ensure_ascii=False)
    output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
