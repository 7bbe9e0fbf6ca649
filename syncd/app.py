"""Wiring: the store, both API clients and the engine, built from the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from syncd.config import Config, ZoomCredentials
from syncd.engine import Engine, EngineOptions, PassReport, ProgressCallback
from syncd.google_calendar import GoogleCalendar, load_credentials
from syncd.planner import Settings
from syncd.store import Store
from syncd.store.migrate import upgrade
from syncd.zoom import ZoomClient


def engine_options(config: Config, *, dry_run: bool = False) -> EngineOptions:
    return EngineOptions(
        settings=Settings(tag=config.sync.tag, host=config.zoom.host, all_day=config.sync.all_day),
        lookback=timedelta(days=config.sync.lookback_days),
        retry_max_seconds=config.sync.retry_max_seconds,
        dry_run=dry_run,
    )


def google_client(config: Config) -> GoogleCalendar:
    credentials = load_credentials(config.google.credentials_path, config.google.subject)
    return GoogleCalendar(
        credentials,
        api_endpoint=config.google.api_endpoint,
        timeout=config.google.timeout_seconds,
        send_updates=config.google.send_updates,
    )


def zoom_client(config: Config, credentials: ZoomCredentials) -> ZoomClient:
    return ZoomClient(
        credentials,
        api_base_url=config.zoom.api_base_url,
        token_url=config.zoom.token_url,
        timeout=config.zoom.timeout_seconds,
    )


@dataclass
class App:
    config: Config
    store: Store
    engine: Engine

    @classmethod
    def build(cls, config: Config, credentials: ZoomCredentials, *, dry_run: bool = False,
              on_progress: ProgressCallback | None = None) -> App:
        """Everything a pass needs; the database is migrated first (never in a dry run)."""
        google = google_client(config)
        store = Store.open(config.sync.database_url)
        if not dry_run:
            upgrade(store.engine)
        zoom = zoom_client(config, credentials)
        engine = Engine(store, google, zoom, engine_options(config, dry_run=dry_run),
                        on_progress=on_progress)
        return cls(config, store, engine)

    def run_pass(self) -> PassReport:
        return self.engine.run_pass(self.config.google.calendars)

    def close(self) -> None:
        self.engine.zoom.close()
        self.store.close()
