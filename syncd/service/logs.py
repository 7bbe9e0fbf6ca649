"""Logging to stderr: one line per action, as text or JSON, with journald priorities under
systemd."""

from __future__ import annotations

import logging
import os
import sys

from pythonjsonlogger.json import JsonFormatter

_SYSLOG_PRIORITY = {"DEBUG": 7, "INFO": 6, "WARNING": 4, "ERROR": 3, "CRITICAL": 2}
_QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "googleapiclient": logging.WARNING,
    "google_auth_httplib2": logging.WARNING,
    "alembic": logging.WARNING,
    # It warns of every run skipped while a long pass goes on; the daemon says so itself.
    "apscheduler": logging.ERROR,
}


class JournalFormatter(logging.Formatter):
    """`<priority>line`: journald reads the prefix and keeps its own timestamps."""

    def __init__(self, line: logging.Formatter) -> None:
        super().__init__()
        self._line = line

    def format(self, record: logging.LogRecord) -> str:
        return f"<{_SYSLOG_PRIORITY.get(record.levelname, 6)}>{self._line.format(record)}"


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time (UTC), level, logger, message, and an action's
    `action`, `calendar_id`, `event_id` and `meeting_id` (`steps.about`)."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


def setup_logging(level: str = "info", log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    journald = bool(os.environ.get("JOURNAL_STREAM"))
    if log_format == "json":
        line = json_formatter()
    elif journald:
        line = logging.Formatter("%(message)s")
    else:
        # On a terminal each line first clears the progress line `syncd sync` keeps updating.
        clear = "\r\033[K" if sys.stderr.isatty() else ""
        line = logging.Formatter(clear + "%(asctime)s %(levelname)-7s %(message)s")
    handler.setFormatter(JournalFormatter(line) if journald else line)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name, quiet_level in _QUIET.items():
        logging.getLogger(name).setLevel(quiet_level)
