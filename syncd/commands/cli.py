"""The `syncd` command: parses arguments, reports, and maps outcomes to exit codes."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click

from syncd.app import App, open_store
from syncd.config import DEFAULT_PATH, Config, ConfigError, load_config, resolve_zoom_credentials
from syncd.core.errors import GoogleError, StoreError, ZoomError
from syncd.engine.engine import ProgressCallback
from syncd.engine.report import PassReport
from syncd.service.logs import setup_logging
from syncd.store import Store, StoreMissing
from syncd.store.migrate import current_revision, head_revision, upgrade

EXIT_OK, EXIT_FAILURES, EXIT_CONFIG, EXIT_INTERRUPTED = 0, 1, 2, 130


class Failure(click.ClickException):
    """A one-line error with our exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_CONFIG) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it per instance

    def show(self, file: Any = None) -> None:
        click.echo(f"syncd: {self.message}", err=True)


@contextmanager
def reported() -> Iterator[None]:
    """Turn the errors a user can fix into one line each and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        raise Failure("\nsyncd: ".join(exc.problems)) from None
    except StoreMissing as exc:
        raise Failure(f"{exc}: start the daemon or run `syncd db upgrade`") from None
    except StoreError as exc:
        raise Failure(str(exc), EXIT_FAILURES) from None
    except (GoogleError, ZoomError) as exc:
        raise Failure(str(exc)) from None


def _config_path(option: str | None) -> Path:
    return Path(option or os.environ.get("SYNCD_CONFIG") or DEFAULT_PATH)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="syncd", message="syncd %(version)s")
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Config file [default: $SYNCD_CONFIG, then /etc/syncd/config.toml].",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Give Google Calendar events tagged #zoom a Zoom meeting, and keep them in step."""
    ctx.obj = _config_path(config_path)


_LEVELS = ["debug", "info", "warning", "error"]


def _load(ctx: click.Context) -> Config:
    with reported():
        config = load_config(ctx.obj)
    setup_logging(config.sync.log_level, config.sync.log_format)
    return config


def _progress_printer() -> Callable[[str, int], None] | None:
    """On a terminal, a line that counts the events handled; elsewhere the log says enough."""
    if not sys.stderr.isatty():
        return None
    last_shown = 0.0

    def show(calendar_id: str, seen: int) -> None:
        nonlocal last_shown
        if time.monotonic() - last_shown >= 0.1:
            last_shown = time.monotonic()
            click.echo(f"\r\033[K{calendar_id}: {seen} events handled", err=True, nl=False)

    return show


def _summarise(report: PassReport) -> int:
    for cal in report.calendars:
        line = (
            f"{cal.calendar_id}: {cal.events_seen} events seen"
            f"{' (full listing)' if cal.full_sync else ''}, {cal.meetings_created} meetings "
            f"created, {cal.meetings_updated} updated, {cal.meetings_deleted} deleted, "
            f"{cal.meetings_adopted} reused, {cal.events_written} events written, "
            f"{cal.blocks_removed} blocks removed, {len(cal.failures)} queued for retry"
        )
        if cal.busy:
            line = f"{cal.calendar_id}: skipped: {cal.error}"
        elif cal.error:
            line += f"; FAILED: {cal.error}"
        elif cal.warning:
            line += f"; {cal.warning}"
        click.echo(line)
    if report.credentials_error:
        click.echo(f"syncd: {report.credentials_error}", err=True)
        return EXIT_CONFIG
    return EXIT_OK if report.ok else EXIT_FAILURES


@main.command()
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("-v", "--verbose", is_flag=True, help="On a terminal, a line per action too.")
@click.option(
    "--allow-deletes",
    is_flag=True,
    help="Carry out deletions the mass-change guard held back, and any this pass plans.",
)
@click.pass_context
def sync(ctx: click.Context, dry_run: bool, verbose: bool, allow_deletes: bool) -> None:
    """Run one pass over every calendar, then exit (1: some events queued for retry, or
    deletions held back)."""
    config = _load(ctx)
    if sys.stderr.isatty() and not verbose and not dry_run:
        # A progress line instead of a line per action; problems are still shown.
        quiet = max(config.sync.log_level, "warning", key=_LEVELS.index)
        setup_logging(quiet, config.sync.log_format)
    with reported():
        app = App.build(
            config,
            resolve_zoom_credentials(),
            dry_run=dry_run,
            allow_deletes=allow_deletes,
            on_progress=_progress_printer(),
        )
        try:
            with _stop_on_signals(app.engine.request_stop):
                report = app.run_pass()
        finally:
            app.close()
    if sys.stderr.isatty():
        click.echo("\r\033[K", err=True, nl=False)  # the progress line gives way to the summary
    code = _summarise(report)
    ctx.exit(EXIT_INTERRUPTED if app.engine.stopping else code)


@contextmanager
def _stop_on_signals(request_stop: Callable[[], None]) -> Iterator[None]:
    """The first Ctrl-C or SIGTERM ends the pass after the event in hand; a second one aborts."""

    def first_signal(signum: int, _frame: FrameType | None) -> None:
        click.echo("syncd: stopping after the event in hand (again to abort)", err=True)
        request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    previous = {sig: signal.signal(sig, first_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the daemon: a pass every interval, until SIGTERM or SIGINT; SIGHUP reloads."""
    from syncd.service.daemon import Daemon

    config = _load(ctx)

    def build(config: Config, on_progress: ProgressCallback) -> App:
        return App.build(config, resolve_zoom_credentials(), on_progress=on_progress)

    with reported():
        daemon = Daemon(ctx.obj, config, build)
        daemon.serve_metrics()
    ctx.exit(daemon.run())


@contextmanager
def _current_store(config: Config) -> Iterator[Store]:
    """The store, for a command that reads or edits it but does not migrate it."""
    store = open_store(config, create=False)
    try:
        revision = current_revision(store.engine)
        if revision is None:
            raise Failure("the database has no syncd tables yet: run `syncd db upgrade`")
        if revision != head_revision():
            raise Failure(
                f"the database is at revision {revision} and this syncd needs "
                f"{head_revision()}: run `syncd db upgrade` first"
            )
        yield store
    finally:
        store.close()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Calendars, last sync, meetings, and events queued or parked, with the reasons."""
    from syncd.commands import status as status_view

    config = _load(ctx)
    with reported(), _current_store(config) as store:
        report = status_view.collect(store)
    click.echo(json.dumps(report, indent=2) if as_json else status_view.render(report))


@main.command()
@click.argument("event", required=False, metavar="[CALENDAR/EVENT]")
@click.option("--all", "everything", is_flag=True, help="Every parked event.")
@click.pass_context
def retry(ctx: click.Context, event: str | None, everything: bool) -> None:
    """Put parked events back in the queue: the next pass tries them again."""
    if everything == (event is not None):
        raise click.UsageError("name one event as CALENDAR/EVENT, or give --all")
    calendar_id = event_id = None
    if event is not None:
        calendar_id, _, event_id = event.rpartition("/")
        if not calendar_id or not event_id:
            raise click.UsageError(f"{event!r} is not CALENDAR/EVENT")
    config = _load(ctx)
    with reported(), _current_store(config) as store:
        count = store.unpark(datetime.now(UTC), calendar_id, event_id)
    if event is not None and count == 0:
        click.echo(f"syncd: {event} is not parked", err=True)
        ctx.exit(1)
    click.echo(f"{count} parked event{'s' if count != 1 else ''} put back in the queue")


@main.command()
@click.option(
    "--credentials-directory",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False),
    help="Read the secrets from DIR as the unit's LoadCredential= gives them to the daemon "
    "(its $CREDENTIALS_DIRECTORY), e.g. /etc/syncd/credentials.",
)
@click.pass_context
def check(ctx: click.Context, credentials_directory: str | None) -> None:
    """Check the database, Google and Zoom as a pass would use them, writing nothing."""
    if credentials_directory:
        os.environ["CREDENTIALS_DIRECTORY"] = os.path.abspath(credentials_directory)
    from syncd.commands.check import check_all
    from syncd.commands.findings import exit_code, summary

    config = _load(ctx)
    findings = check_all(config, resolve_zoom_credentials)
    for finding in findings:
        click.echo("\n".join(finding.lines()))
    verdict = summary(findings)
    if verdict is not None:
        raise Failure(verdict, exit_code(findings))
    click.echo("ok")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the database to the newest schema (the daemon also does this at start)."""
    config = _load(ctx)
    with reported():
        store = open_store(config)
        try:
            upgrade(store.engine)
            click.echo(f"database at revision {current_revision(store.engine)}")
        finally:
            store.close()


@main.command()
@click.option("--keep", is_flag=True, help="Keep the simulators running until Ctrl-C.")
@click.option(
    "--workspace",
    is_flag=True,
    help="A small Google Workspace: users found in its directory, each read as its owner.",
)
def demo(keep: bool, workspace: bool) -> None:
    """Run syncd against built-in Google Calendar and Zoom simulators on 127.0.0.1."""
    setup_logging("info")
    with reported():
        if workspace:
            from syncd.commands.demo_workspace import run_workspace_demo

            sys.exit(run_workspace_demo())
        from syncd.commands.demo import run_demo

        sys.exit(run_demo(keep=keep))
