"""[zoom.settings]: Zoom's own meeting settings, checked when the config is read.

Zoom ignores a settings field it does not know without a word, so these tests hold the checker
to Zoom's published spec: the shipped extract must be what the script derives from the spec,
bodies built from it must pass the spec's strict schema, and the hand-written value checks must
agree with jsonschema.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from syncd.config import ConfigError, load_config
from syncd.core.zoom_settings import (
    CREATE_ONLY,
    CREATE_SCHEMAS,
    SETTABLE,
    UPDATE_NAMES,
    settings_problems,
    update_settings,
)
from tests.schemas import ZOOM_SPEC_PATH, SchemaViolation, validate_zoom_request

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "syncd" / "core" / "zoom_settings.json"

GOOD = {
    "waiting_room": False,
    "join_before_host": True,
    "jbh_time": 5,
    "auto_recording": "cloud",
    "mute_upon_entry": True,
    "approval_type": 2,
    "alternative_hosts": "a@example.com;b@example.com",
    "global_dial_in_countries": ["US", "DE"],
}


def sample(schema: dict[str, Any]) -> object:
    """A valid value for a plain field's schema."""
    if "enum" in schema:
        return schema["enum"][-1]
    return {"boolean": True, "integer": 0, "string": "x", "array": ["US"]}[schema["type"]]


def all_settable() -> dict[str, object]:
    return {name: sample(CREATE_SCHEMAS[name]) for name in sorted(SETTABLE)}


def test_zoom_settings_as_zoom_names_them_pass():
    assert settings_problems(GOOD) == []
    assert settings_problems(all_settable()) == []
    assert settings_problems({}) == []


def test_a_misspelt_name_is_refused_with_a_suggestion():
    assert settings_problems({"waiting_rom": True, "colour": "red"}) == [
        "waiting_rom: not a Zoom meeting setting (did you mean waiting_room?)",
        "colour: not a Zoom meeting setting",
    ]


def test_wrong_types_and_values_outside_the_enum_are_refused():
    assert settings_problems(
        {
            "auto_recording": "tape",
            "waiting_room": "yes",
            "jbh_time": 7,
            "approval_type": 1.0,
            "host_video": 1,
            "registration_type": True,
            "alternative_hosts": ["a@example.com"],
            "global_dial_in_countries": ["US", 49],
            "audio_conference_info": "x" * 2049,
        }
    ) == [
        'auto_recording: must be one of "local", "cloud", "none" (got "tape")',
        'waiting_room: must be true or false (got "yes")',
        "jbh_time: must be one of 0, 5, 10 (got 7)",
        "approval_type: must be a whole number (got 1.0)",
        "host_video: must be true or false (got 1)",
        "registration_type: must be a whole number (got true)",
        'alternative_hosts: must be a string (got ["a@example.com"])',
        "global_dial_in_countries: item 2 must be a string (got 49)",
        "audio_conference_info: must be at most 2048 characters (got 2049)",
    ]


def test_settings_syncd_cannot_pass_on_say_why():
    problems = settings_problems(
        {
            "breakout_room": {"enable": True},
            "meeting_invitees": [{"email": "a@example.com"}],
            "cn_meeting": False,
            "custom_keys": [],
            "use_pmi": True,
            "push_change_to_calendar": False,
        }
    )
    assert [line.split(": ", 1)[0] for line in problems] == [
        "breakout_room",
        "meeting_invitees",
        "cn_meeting",
        "custom_keys",
        "use_pmi",
        "push_change_to_calendar",
    ]
    assert "not supported by syncd" in problems[0]
    assert "not supported by syncd" in problems[1]
    assert "deprecated" in problems[2]
    assert "only when a meeting is updated" in problems[3]
    assert all("not allowed" in line for line in problems[4:])


def test_update_keeps_what_zoom_updates_and_drops_create_only_names():
    assert "additional_data_center_regions" in CREATE_ONLY
    assert not CREATE_ONLY & UPDATE_NAMES
    settings = {**GOOD, "additional_data_center_regions": ["EU"]}
    assert update_settings(settings) == GOOD
    assert update_settings({}) == {}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_config_reports_every_bad_setting_on_its_own_line(tmp_path):
    path = write(
        tmp_path,
        "[sync]\ninterval_seconds = -1\n"
        "[zoom]\ntimeout_seconds = 0\n"
        "[zoom.settings]\n"
        'waiting_rom = false\nauto_recording = "tape"\nmute_upon_entry = "yes"\n'
        "join_before_host = true\nbreakout_room = { enable = true }\n",
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    problems = err.value.problems
    assert problems[0] == f"{path}: sync.interval_seconds: Input should be greater than 0 (got -1)"
    assert problems[1].startswith(f"{path}: zoom.timeout_seconds: ")
    assert problems[2:5] == [
        f"{path}: zoom.settings.waiting_rom: not a Zoom meeting setting"
        " (did you mean waiting_room?)",
        f'{path}: zoom.settings.auto_recording: must be one of "local", "cloud", "none"'
        ' (got "tape")',
        f'{path}: zoom.settings.mute_upon_entry: must be true or false (got "yes")',
    ]
    assert problems[5].startswith(f"{path}: zoom.settings.breakout_room: not supported by syncd")
    assert len(problems) == 6
    assert all("\n" not in line for line in problems)


def test_config_keeps_good_settings(tmp_path):
    lines = "".join(f"{name} = {json.dumps(value)}\n" for name, value in GOOD.items())
    config = load_config(write(tmp_path, f"[zoom.settings]\n{lines}"))
    assert config.zoom.settings == GOOD
    assert load_config(write(tmp_path, "[zoom]\n")).zoom.settings == {}


def extraction_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "extract_zoom_settings", ROOT / "tools" / "extract_zoom_settings.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_settings_are_what_the_script_derives_from_zoom_spec():
    script = extraction_script()
    derived = script.render(script.extract(json.loads(ZOOM_SPEC_PATH.read_text(encoding="utf-8"))))
    assert SHIPPED.read_text(encoding="utf-8") == derived, (
        "regenerate: python tools/extract_zoom_settings.py " + str(ZOOM_SPEC_PATH)
    )


def test_zoom_spec_takes_every_settable_setting_on_create_and_what_update_keeps_on_update():
    settings = all_settable()
    create = {"topic": "t", "type": 2, "settings": settings}
    validate_zoom_request("POST", "/users/me/meetings", create)
    validate_zoom_request("PATCH", "/meetings/1", {"settings": update_settings(settings)})
    with pytest.raises(SchemaViolation):  # the spec is strict: update_settings is needed
        validate_zoom_request("PATCH", "/meetings/1", {"settings": settings})


toml_scalars = (
    st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["local", "cloud", "none", "both", "voip", "e2ee", "US"])
    | st.sampled_from([0, 1, 2, 3, 5, 10])
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@given(name=st.sampled_from(sorted(SETTABLE)), value=toml_values)
def test_value_checks_agree_with_jsonschema(name, value):
    valid = Draft4Validator(CREATE_SCHEMAS[name]).is_valid(value)
    assert (settings_problems({name: value}) == []) == valid


names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=16)


@given(st.dictionaries(names | st.sampled_from(sorted(CREATE_SCHEMAS)), toml_values, max_size=5))
def test_every_problem_line_starts_with_its_key(settings):
    problems = settings_problems(settings)
    keys = [line.split(": ", 1)[0] for line in problems]
    assert len(set(keys)) == len(keys) <= len(settings)
    assert all(key in settings for key in keys)
    assert set(settings) - set(keys) <= SETTABLE
