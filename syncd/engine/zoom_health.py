"""What a pass has learnt about Zoom that should spare it requests bound to fail."""

from __future__ import annotations

from datetime import datetime

from syncd.core.errors import ZoomError


class ZoomHealth:
    """`down`: Zoom failed in a way that fails every request (refused credentials, an
    outage), so the rest of this pass sends none. `hosts_at_limit`: hosts whose daily
    allowance of creates and updates is spent, until when; kept across passes."""

    def __init__(self) -> None:
        self.down: ZoomError | None = None
        self.hosts_at_limit: dict[str, datetime] = {}

    def new_pass(self) -> None:
        self.down = None

    def limit_until(self, host: str, now: datetime) -> datetime | None:
        until = self.hosts_at_limit.get(host.lower())
        return until if until is not None and until > now else None

    def host_at_limit(self, host: str, until: datetime) -> None:
        self.hosts_at_limit[host.lower()] = until
