"""Wiring: the store, both API clients and the engine, built from the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.auth.credentials import Credentials

from syncd.adapters.google_auth import (
    CredentialsFileError,
    Identities,
    can_delegate,
    client_id,
    load_credentials,
)
from syncd.adapters.google_calendar import PAGE_SIZE, GoogleCalendar
from syncd.adapters.google_directory import GoogleDirectory
from syncd.adapters.quota import SlidingWindowQuota
from syncd.adapters.rate_limits import RateLimiter
from syncd.adapters.retry import RetryPolicy
from syncd.adapters.zoom import LIGHT, MEDIUM, ZoomClient, ZoomCredentials
from syncd.config import Config, ConfigError
from syncd.core.directory import DirectoryScope
from syncd.core.meeting_spec import Settings
from syncd.engine.calendar_pass import Audit, DeleteGuard
from syncd.engine.engine import Engine, EngineOptions, ProgressCallback
from syncd.engine.report import PassReport
from syncd.engine.watch_list import Discovery, WatchList
from syncd.store import DatabaseUrlError, Store, StoreMissing
from syncd.store.migrate import current_revision, head_revision, upgrade

REPLICA_LIVE_SECONDS = 600.0
"""A replica not seen for this long (or three intervals) no longer counts in the quotas' shares."""


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


SWEEP_SECONDS = 4
"""A recovery's sweep lists at most this many seconds' worth of Zoom's Medium rate of hosts a
pass: over a thousand hosts it is spread over a few passes, each within its interval."""


def engine_options(
    config: Config, *, dry_run: bool = False, allow_deletes: bool = False
) -> EngineOptions:
    return EngineOptions(
        settings=settings(config),
        lookback=timedelta(days=config.sync.lookback_days),
        retry_max_seconds=config.sync.retry_max_seconds,
        park_after=config.sync.park_after,
        note_after=timedelta(minutes=config.sync.note_after_minutes),
        lease_seconds=config.sync.lease_seconds,
        workers=config.sync.worker_count,
        sweep_listings_per_pass=max(1, int(config.zoom.rate_limits.medium * SWEEP_SECONDS)),
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
    """The credentials `[google] credentials_file` holds; a file that cannot be used, or one
    that cannot act as the calendars' owners when asked to, is a config error."""
    try:
        credentials = load_credentials(config.google.credentials_path)
    except CredentialsFileError as exc:
        raise ConfigError([f"google.credentials_file: {exc}"]) from None
    if config.google.act_as == "owner" and not can_delegate(credentials):
        raise ConfigError(
            [
                'google.act_as: "owner" needs a service account\'s key with domain-wide '
                f"delegation, and {config.google.credentials_path} holds a user's credentials"
            ]
        )
    return credentials


def google_identities(config: Config) -> Identities:
    return Identities(
        google_credentials(config),
        owner=config.google.act_as == "owner",
        subject=config.google.subject,
    )


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


def google_quota(config: Config, window: float = 60.0) -> SlidingWindowQuota:
    """Google's budgets per identity and per project; `window` is Google's (a minute),
    shorter only in tests."""
    return SlidingWindowQuota(
        config.google.requests_per_minute * window / 60,
        config.google.project_requests_per_minute * window / 60,
        window=window,
    )


def google_client(
    config: Config,
    *,
    retry: RetryPolicy | None = None,
    page_size: int = PAGE_SIZE,
    quota: SlidingWindowQuota | None = None,
) -> GoogleCalendar:
    return GoogleCalendar(
        google_identities(config),
        api_endpoint=config.google.api_endpoint,
        timeout=config.google.timeout_seconds,
        send_updates=config.google.send_updates,
        retry=retry,
        page_size=page_size,
        quota=quota or google_quota(config),
    )


def discovery(config: Config, *, retry: RetryPolicy | None = None) -> Discovery | None:
    """The Workspace directory `[google.directory]` describes, if any."""
    directory = config.google.directory
    if directory is None:
        return None
    client = GoogleDirectory(
        google_credentials(config),
        directory.admin,
        client_id=client_id(config.google.credentials_path),
        group=directory.group,
        api_endpoint=directory.api_endpoint,
        timeout=config.google.timeout_seconds,
        retry=retry,
    )
    scope = DirectoryScope(
        customer=directory.customer,
        domain=directory.domain,
        group=directory.group,
        org_unit=directory.org_unit,
    )
    return Discovery(client, scope, timedelta(minutes=directory.refresh_minutes))


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
    watch_list: WatchList
    quota: SlidingWindowQuota

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
        quota_window: float = 60.0,
    ) -> App:
        """Everything a pass needs; the database is migrated first (never in a dry run)."""
        quota = google_quota(config, quota_window)
        google = google_client(config, retry=retry, page_size=page_size, quota=quota)
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
        watch_list = WatchList(
            config.google.calendars,
            store=None if dry_run else store,
            discovery=discovery(config, retry=retry),
            clock=clock or (lambda: datetime.now(UTC)),
        )
        return cls(config, store, zoom, engine, watch_list, quota)

    def run_pass(self) -> PassReport:
        """A pass over the watched calendars; the directory is read first when it is due.
        The replicas alive share Google's quotas."""
        if not self.engine.options.dry_run:
            live_for = timedelta(
                seconds=max(REPLICA_LIVE_SECONDS, 3 * self.config.sync.interval_seconds)
            )
            self.store.check_file()  # a database deleted under syncd says so, first
            now = self.store.database_now()
            self.quota.share(self.store.register_replica(self.engine.owner, now, live_for))
        return self.engine.run_pass(self.watch_list.calendars())

    def close(self) -> None:
        self.zoom.close()
        self.store.close()
