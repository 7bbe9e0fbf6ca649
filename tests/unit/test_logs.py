import json
import logging

import pytest

from syncd.engine.steps import about
from syncd.service.logs import setup_logging


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.mark.parametrize("journald", [False, True])
def test_json_lines_carry_the_action_and_its_ids(restore_logging, capsys, monkeypatch, journald):
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234") if journald else monkeypatch.delenv(
        "JOURNAL_STREAM", raising=False
    )
    setup_logging("info", "json")
    logging.getLogger("syncd.engine.meeting_steps").info(
        "event %s: created Zoom meeting %s",
        "primary/e1",
        42,
        extra=about("primary", "e1", "created", 42),
    )
    line = capsys.readouterr().err.strip()
    if journald:
        assert line.startswith("<6>{")
        line = line.removeprefix("<6>")
    record = json.loads(line)
    assert record.pop("time").endswith("+00:00")
    assert record == {
        "level": "INFO",
        "logger": "syncd.engine.meeting_steps",
        "message": "event primary/e1: created Zoom meeting 42",
        "action": "created",
        "calendar_id": "primary",
        "event_id": "e1",
        "meeting_id": 42,
    }


def test_text_lines_under_journald_carry_the_priority(restore_logging, capsys, monkeypatch):
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    setup_logging("info")
    logging.getLogger("syncd").warning("retry later")
    assert capsys.readouterr().err == "<4>retry later\n"
