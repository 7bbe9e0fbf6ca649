"""The syncd processes that share this database, as they register at each pass."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from syncd.store.base import StoreBase
from syncd.store.models import ReplicaRow


class ReplicaStore(StoreBase):
    def register_replica(self, owner: str, now: datetime, live_for: timedelta) -> int:
        """Say that `owner` is alive at `now`; the replicas alive (seen within `live_for`),
        this one included. Those not seen for longer are forgotten."""
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        upsert = insert(ReplicaRow).values(owner=owner, seen_at=now)
        upsert = upsert.on_conflict_do_update(index_elements=["owner"], set_={"seen_at": now})
        with self._transaction() as session:
            session.execute(upsert)
            session.execute(delete(ReplicaRow).where(ReplicaRow.seen_at < now - live_for))
            return session.scalar(select(func.count()).select_from(ReplicaRow)) or 1
