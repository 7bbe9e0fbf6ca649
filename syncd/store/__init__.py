"""State: the sync tokens and the event-to-meeting journal."""

from syncd.store.repository import CalendarState, Store, StoreError, StoreMissing

__all__ = ["CalendarState", "Store", "StoreError", "StoreMissing"]
