"""State: the sync tokens, the calendar leases and the event-to-meeting journal."""

from syncd.store.base import LeaseLost, StoreError, StoreMissing
from syncd.store.calendars import CalendarState
from syncd.store.repository import Store

__all__ = ["CalendarState", "LeaseLost", "Store", "StoreError", "StoreMissing"]
