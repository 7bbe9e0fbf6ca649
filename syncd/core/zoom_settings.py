"""Zoom's own meeting `settings`, as `[zoom.settings]` in the config sets them.

Zoom silently ignores a `settings` field it does not know, and a misspelt name would "work"
against any simulator too: so every name and value is checked when the config is read, against
the facts in `zoom_settings.json`. That file is extracted from Zoom's published OpenAPI spec by
`tools/extract_zoom_settings.py` (the spec itself is not shipped); regenerate it, do not edit it.

Users may set every plain field of the create body's settings (POST /users/{userId}/meetings):
true/false, whole numbers, strings (with their enum or length limit) and lists of strings.
Registration settings (`approval_type`, `registration_type`, ...) are allowed: they are Zoom's
business, not syncd's. Refused, each with its reason in the error line:

* Nested settings, i.e. tables or lists of tables (`breakout_room`, `language_interpretation`,
  `approved_or_denied_countries_or_regions`, `meeting_invitees`, ...): "not supported by
  syncd". Zoom's schemas for them are open, so a misspelt inner key would slip through, which
  is the very failure this module exists to catch; and most of them hold per-meeting data
  (invitees, rooms, interpreters, whiteboards) that one daemon-wide table cannot sensibly give
  every meeting.
* Fields Zoom marks deprecated (`cn_meeting`, `in_meeting`): Zoom may ignore them.
* Fields only the update accepts (`custom_keys`, ...): syncd sends settings when it creates a
  meeting, and Zoom would ignore them there.
* `use_pmi` and `push_change_to_calendar`: they break what syncd relies on (see `SYNCD_OWNS`).

Values are checked by hand rather than with `jsonschema`: the extraction script fails unless a
plain field uses only the keywords checked here (type, enum, maxLength, maxItems, items), so
the check is complete without a runtime dependency, and the tests compare it with `jsonschema`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any, NamedTuple

Schema = Mapping[str, Any]

SYNCD_OWNS: Mapping[str, str] = {
    "use_pmi": (
        "not allowed: syncd gives each event a meeting of its own, and with use_pmi they would "
        "all be the host's personal meeting"
    ),
    "push_change_to_calendar": (
        "not allowed: syncd writes the meeting into the calendar itself, and Zoom pushing it "
        "there too would make two writers"
    ),
}
"""Settings that would undo syncd's own work, with the reason given to the user."""

_KINDS = {
    "boolean": "true or false",
    "integer": "a whole number",
    "string": "a string",
    "array": "a list",
}
_SHOWN_LENGTH = 60


class SettingProblem(NamedTuple):
    """One problem with one `[zoom.settings]` key; `message` does not repeat the key."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def _load() -> tuple[dict[str, Schema], frozenset[str]]:
    """The create schemas and the update names, from the file shipped beside this module."""
    data = json.loads(
        resources.files("syncd.core").joinpath("zoom_settings.json").read_text("utf-8")
    )
    return dict(data["create"]), frozenset(data["update"])


CREATE_SCHEMAS, UPDATE_NAMES = _load()
CREATE_ONLY: frozenset[str] = frozenset(CREATE_SCHEMAS) - UPDATE_NAMES
"""Accepted when Zoom creates a meeting, not when it updates one: left out of updates."""


def _is_nested(schema: Schema) -> bool:
    kind = schema.get("type")
    return kind == "object" or (kind == "array" and _is_nested(schema.get("items", {})))


def _refusal(name: str, schema: Schema) -> str | None:
    """Why a setting Zoom knows on create cannot be set from syncd's config, if it cannot."""
    if name in SYNCD_OWNS:
        return SYNCD_OWNS[name]
    if schema.get("deprecated"):
        return "deprecated by Zoom, which may ignore it"
    if _is_nested(schema):
        return "not supported by syncd (only true/false, numbers, strings and lists of strings)"
    return None


SETTABLE: frozenset[str] = frozenset(
    name for name, schema in CREATE_SCHEMAS.items() if _refusal(name, schema) is None
)
"""The names `[zoom.settings]` may hold."""


def _show(value: object) -> str:
    """A value as the user wrote it in TOML (near enough), shortened like other config errors."""
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= _SHOWN_LENGTH else shown[: _SHOWN_LENGTH - 3] + "..."


def _has_type(kind: str, value: object) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":  # a TOML float such as 5.0 is refused: Zoom wants an integer
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    return kind == "array" and isinstance(value, list)


def _value_problem(schema: Schema, value: Any) -> str | None:
    """What is wrong with a value for a plain field's schema, or None."""
    kind = schema["type"]
    if not _has_type(kind, value):
        return f"must be {_KINDS[kind]} (got {_show(value)})"
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(_show(choice) for choice in schema["enum"])
        return f"must be one of {allowed} (got {_show(value)})"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"must be at most {schema['maxLength']} characters (got {len(value)})"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return f"must have at most {schema['maxItems']} items (got {len(value)})"
    if "items" in schema:
        return _items_problem(schema["items"], value)
    return None


def _items_problem(schema: Schema, values: list[Any]) -> str | None:
    for number, item in enumerate(values, start=1):
        problem = _value_problem(schema, item)
        if problem:
            return f"item {number} {problem}"
    return None


def _unknown(name: str) -> str:
    if name in UPDATE_NAMES:
        return "accepted by Zoom only when a meeting is updated, not when syncd creates it"
    guesses = difflib.get_close_matches(name, sorted(SETTABLE), n=1)
    hint = f" (did you mean {guesses[0]}?)" if guesses else ""
    return f"not a Zoom meeting setting{hint}"


def _problem(name: str, value: object) -> str | None:
    schema = CREATE_SCHEMAS.get(name)
    if schema is None:
        return _unknown(name)
    return _refusal(name, schema) or _value_problem(schema, value)


def find_problems(settings: Mapping[str, object]) -> list[SettingProblem]:
    """Every problem with `[zoom.settings]`, key by key, in the order the keys were written."""
    found = ((name, _problem(name, value)) for name, value in settings.items())
    return [SettingProblem(name, problem) for name, problem in found if problem]


def settings_problems(settings: Mapping[str, object]) -> list[str]:
    """One `key: problem` line per problem; empty when Zoom will take every setting as meant."""
    return [str(problem) for problem in find_problems(settings)]


def update_settings(settings: Mapping[str, object]) -> dict[str, object]:
    """The settings Zoom's update accepts: what to send again when syncd updates a meeting.

    Create-only names are left out so that the update neither fails nor is partly ignored.
    """
    return {name: value for name, value in settings.items() if name in UPDATE_NAMES}
