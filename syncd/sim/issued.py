"""Every secret the simulators hand out in this process (client secrets, refresh tokens,
access tokens, private keys): the tests scan all they printed for these."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_issued: set[str] = set()


def issued(secret: str) -> str:
    """Remember `secret` (a PEM's base64 lines one by one, as a log might cut it); return it."""
    parts = [secret, *(line for line in secret.splitlines() if len(line) >= 32)]
    with _lock:
        _issued.update(part for part in parts if part)
    return secret


def all_issued() -> frozenset[str]:
    with _lock:
        return frozenset(_issued)
