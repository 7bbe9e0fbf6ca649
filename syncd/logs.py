"""Logging to stderr: one line per action, with journald priorities under systemd."""

from __future__ import annotations

import logging
import os
import sys

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
    """`<priority>message`: journald reads the prefix and keeps its own timestamps."""

    def format(self, record: logging.LogRecord) -> str:
        return f"<{_SYSLOG_PRIORITY.get(record.levelname, 6)}>{super().format(record)}"


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        # On a terminal each line first clears the progress line `syncd sync` keeps updating.
        clear = "\r\033[K" if sys.stderr.isatty() else ""
        handler.setFormatter(logging.Formatter(clear + "%(asctime)s %(levelname)-7s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name, quiet_level in _QUIET.items():
        logging.getLogger(name).setLevel(quiet_level)
