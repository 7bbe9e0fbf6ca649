"""Wiring: the store, both API clients and the engine, built from the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.auth.credentials import Credentials

from syncd.adapters.google_calendar import (
    PAGE_SIZE,
    QUOTA,
    CredentialsFileError,
    GoogleCalendar,
    load_credentials,
)
from syncd.adapters.rate_limits import RateLimiter
from syncd.adapters.retry import RetryPolicy
from syncd.adapters.zoom import LIGHT, MEDIUM, ZoomClient, ZoomCredentials
from syncd.config import Config, ConfigError
from syncd.core.meeting_spec import Settings
from syncd.engine.calendar_pass import Audit, DeleteGuard
from syncd.engine.engine import Engine, EngineOptions, ProgressCallback
from syncd.engine.report import PassReport
from syncd.store import DatabaseUrlError, Store, StoreMissing
from syncd.store.migrate import current_revision, head_revision, upgrade


def settings(config: Config) -> Settings:
    return Settings(
        tag=config.sync.tag,
        host=config.zoom.host,
        host_fallback=config.zoom.host_fallback,
        hosts={key.lower(): user for key, user in config.zoom.hosts.items()},
        all_day=config.sync.all_day,
        on_cancel=config.sync.on_cancel,
        zoom_settings=tuple(sorted(config.zoom.settings.items())),
    )


def engine_options(
    config: Config, *, dry_run: bool = False, allow_deletes: bool = False
) -> EngineOptions:
    return EngineOptions(
        settings=settings(config),
        lookback=timedelta(days=config.sync.lookback_days),
        retry_max_seconds=config.sync.retry_max_seconds,
        park_after=config.sync.park_after,
        lease_seconds=config.sync.lease_seconds,
        workers=config.sync.worker_count,
        create_settle_seconds=2 * config.zoom.timeout_seconds + 60,
        guard=DeleteGuard(
            share=config.sync.delete_guard_share,
            minimum=config.sync.delete_guard_min,
            allowed=allow_deletes or config.sync.allow_mass_deletes,
        ),
        audit=(
            Audit(
                period=timedelta(days=config.sync.audit_days),
                interval=timedelta(seconds=config.sync.interval_seconds),
            )
            if config.sync.audit_days
            else None
        ),
        dry_run=dry_run,
    )


def google_credentials(config: Config) -> Credentials:
    """The credentials `[google] credentials_file` holds; a file that cannot be used is a
    config error."""
    try:
        return load_credentials(config.google.credentials_path, config.google.subject)
    except CredentialsFileError as exc:
        raise ConfigError([f"google.credentials_file: {exc}"]) from None


def open_store(config: Config, *, create: bool = True) -> Store:
    """The store `[sync] database_url` names; a URL SQLAlchemy cannot use is a config error."""
    try:
        return Store.open(
            config.sync.database_url,
            create=create,
            busy_seconds=config.sync.database_busy_seconds,
        )
    except DatabaseUrlError as exc:
        raise ConfigError([f"sync.database_url: {exc}"]) from None


def google_client(
    config: Config, *, retry: RetryPolicy | None = None, page_size: int = PAGE_SIZE
) -> GoogleCalendar:
    return GoogleCalendar(
        google_credentials(config),
        api_endpoint=config.google.api_endpoint,
        timeout=config.google.timeout_seconds,
        send_updates=config.google.send_updates,
        retry=retry,
        page_size=page_size,
        limiter=RateLimiter({QUOTA: config.google.requests_per_minute / 60}),
    )


def zoom_client(
    config: Config, credentials: ZoomCredentials, *, retry: RetryPolicy | None = None
) -> ZoomClient:
    limits = config.zoom.rate_limits
    return ZoomClient(
        credentials,
        api_base_url=config.zoom.api_base_url,
        token_url=config.zoom.token_url,
        timeout=config.zoom.timeout_seconds,
        retry=retry,
        limiter=RateLimiter({LIGHT: limits.light, MEDIUM: limits.medium}),
    )


def _dry_run_store(config: Config) -> Store:
    """The real journal if there is one, as it is (a preview migrates nothing); before the
    first pass, an empty throwaway one, so a preview creates no database file."""
    try:
        store = open_store(config, create=False)
    except StoreMissing:
        store = None
    if store is not None:
        revision = current_revision(store.engine)
        if revision == head_revision():
            return store
        store.close()
        if revision is not None:
            raise ConfigError(
                [
                    f"sync.database_url: the database is at revision {revision}, this syncd "
                    f"needs {head_revision()}: run `syncd db upgrade` first (a dry run "
                    "changes nothing)"
                ]
            )
    return Store.scratch()


@dataclass
class App:
    config: Config
    store: Store
    zoom: ZoomClient
    engine: Engine

    @classmethod
    def build(
        cls,
        config: Config,
        credentials: ZoomCredentials,
        *,
        dry_run: bool = False,
        allow_deletes: bool = False,
        on_progress: ProgressCallback | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], datetime] | None = None,
    ) -> App:
        """Everything a pass needs; the database is migrated first (never in a dry run)."""
        google = google_client(config, retry=retry, page_size=page_size)
        if dry_run:
            store = _dry_run_store(config)
        else:
            store = open_store(config)
            upgrade(store.engine)
        zoom = zoom_client(config, credentials, retry=retry)
        engine = Engine(
            store,
            google,
            zoom,
            engine_options(config, dry_run=dry_run, allow_deletes=allow_deletes),
            on_progress=on_progress,
            clock=clock,
        )
        return cls(config, store, zoom, engine)

    def run_pass(self) -> PassReport:
        return self.engine.run_pass(self.config.google.calendars)

    def close(self) -> None:
        self.zoom.close()
        self.store.close()
