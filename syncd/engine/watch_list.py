"""The calendars a pass reads: those the config names and, with a directory, the primary
calendar of every user in its scope, the directory read again when it is due.

A user who leaves the scope is no longer read; the store marks their calendar out of scope
and keeps its links and meetings, so that a user who comes back is resumed where they left
off. Before the first pass over a directory's users, syncd proves that it may act as one of
them: without the delegation, a pass would fail calendar by calendar."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.core.directory import Census, DirectoryScope, census
from syncd.core.errors import GoogleUnavailable
from syncd.core.ports import DirectoryPort, ScopeBook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Discovery:
    directory: DirectoryPort
    scope: DirectoryScope
    refresh: timedelta = timedelta(hours=1)


class WatchList:
    def __init__(
        self,
        configured: Sequence[str],
        *,
        store: ScopeBook | None,
        discovery: Discovery | None,
        clock: Callable[[], datetime],
    ) -> None:
        """`store` None: a preview, which records no scope."""
        self._configured = list(configured)
        self._store = store
        self._discovery = discovery
        self._clock = clock
        self._census: Census | None = None
        self._read_at: datetime | None = None

    @property
    def census(self) -> Census | None:
        """The directory's users as last read; None without a directory or before."""
        return self._census

    def calendars(self) -> list[str]:
        """The calendars to read now: the directory is read first when due; GoogleError when
        it cannot be read and never was."""
        if self._discovery is None:
            return self._configured
        now = self._clock()
        if self._read_at is None or now - self._read_at >= self._discovery.refresh:
            self._refresh(self._discovery, now)
        in_scope = self._census.in_scope if self._census else ()
        return list(dict.fromkeys([*in_scope, *self._configured]))

    def _refresh(self, discovery: Discovery, now: datetime) -> None:
        try:
            found = self._read(discovery)
        except GoogleUnavailable as exc:
            if self._census is None:
                raise
            log.warning("cannot read the directory, still watching its users of before: %s", exc)
            return
        self._census, self._read_at = found, now
        log.info(
            "directory: %d users in scope, %d out of scope",
            len(found.in_scope),
            len(found.out_of_scope),
        )
        if self._store is not None:
            self._store.record_scope({*found.in_scope, *self._configured}, now)

    @staticmethod
    def _read(discovery: Discovery) -> Census:
        scope, directory = discovery.scope, discovery.directory
        members = directory.group_members(scope.group) if scope.group else None
        found = census(directory.users(scope), scope, members)
        if found.in_scope:
            directory.check_delegation(found.in_scope[0])
        return found
