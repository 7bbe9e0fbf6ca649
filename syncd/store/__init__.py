"""State: the sync tokens, the calendar leases and the event-to-meeting journal."""

from syncd.store.base import DatabaseUrlError, StoreMissing
from syncd.store.repository import Store

__all__ = ["DatabaseUrlError", "Store", "StoreMissing"]
