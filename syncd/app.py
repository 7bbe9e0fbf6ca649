"""Wiring: the store, both API clients and the engine, built from the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.config import Config, ZoomCredentials
from syncd.engine import Engine, EngineOptions, ProgressCallback
from syncd.google_calendar import PAGE_SIZE, GoogleCalendar, load_credentials
from syncd.planner import Settings
from syncd.report import PassReport
from syncd.retry import RetryPolicy
from syncd.store import Store, StoreMissing
from syncd.store.migrate import current_revision, upgrade
from syncd.zoom import ZoomClient


def engine_options(config: Config, *, dry_run: bool = False) -> EngineOptions:
    return EngineOptions(
        settings=Settings(tag=config.sync.tag, host=config.zoom.host, all_day=config.sync.all_day),
        lookback=timedelta(days=config.sync.lookback_days),
        retry_max_seconds=config.sync.retry_max_seconds,
        lease_seconds=config.sync.lease_seconds,
        create_settle_seconds=2 * config.zoom.timeout_seconds + 60,
        dry_run=dry_run,
    )


def google_client(
    config: Config, *, retry: RetryPolicy | None = None, page_size: int = PAGE_SIZE
) -> GoogleCalendar:
    credentials = load_credentials(config.google.credentials_path, config.google.subject)
    return GoogleCalendar(
        credentials,
        api_endpoint=config.google.api_endpoint,
        timeout=config.google.timeout_seconds,
        send_updates=config.google.send_updates,
        retry=retry,
        page_size=page_size,
    )


def zoom_client(
    config: Config, credentials: ZoomCredentials, *, retry: RetryPolicy | None = None
) -> ZoomClient:
    return ZoomClient(
        credentials,
        api_base_url=config.zoom.api_base_url,
        token_url=config.zoom.token_url,
        timeout=config.zoom.timeout_seconds,
        retry=retry,
    )


def _dry_run_store(config: Config) -> Store:
    """The real journal if there is one; before the first pass, an empty throwaway one, so a
    preview creates no database file."""
    try:
        store = Store.open(config.sync.database_url, create=False)
        if current_revision(store.engine) is not None:
            return store
        store.close()
    except StoreMissing:
        pass
    return Store.open("sqlite://")


@dataclass
class App:
    config: Config
    store: Store
    engine: Engine

    @classmethod
    def build(
        cls,
        config: Config,
        credentials: ZoomCredentials,
        *,
        dry_run: bool = False,
        on_progress: ProgressCallback | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], datetime] | None = None,
    ) -> App:
        """Everything a pass needs; the database is migrated first (never in a dry run)."""
        google = google_client(config, retry=retry, page_size=page_size)
        store = _dry_run_store(config) if dry_run else Store.open(config.sync.database_url)
        upgrade(store.engine)
        zoom = zoom_client(config, credentials, retry=retry)
        engine = Engine(
            store,
            google,
            zoom,
            engine_options(config, dry_run=dry_run),
            on_progress=on_progress,
            clock=clock,
        )
        return cls(config, store, engine)

    def run_pass(self) -> PassReport:
        return self.engine.run_pass(self.config.google.calendars)

    def close(self) -> None:
        self.engine.zoom.close()
        self.store.close()
