"""Load and validate the TOML configuration; resolve secrets (docs/design.md, "Configuration")."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from syncd.adapters.zoom import ZoomCredentials
from syncd.core.timing import AllDayPolicy
from syncd.core.zoom_settings import find_problems

DEFAULT_PATH = Path("/etc/syncd/config.toml")
ZOOM_SECRET_NAMES = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
ZOOM_SETTING_ERROR = "zoom_setting"
CROSS_FIELD_ERROR = "cross_field"


class ConfigError(Exception):
    """The configuration or the credentials cannot be used; each line names one problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


NonEmpty = Annotated[str, Field(min_length=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def default_workers() -> int:
    """Calendars at once: syncd mostly waits on the network, so a few per core."""
    return min(16, 4 * (os.cpu_count() or 1))


class SyncSection(_Section):
    tag: NonEmpty = "#zoom"
    interval_seconds: Annotated[float, Field(gt=0)] = 60.0
    database_url: NonEmpty = "sqlite:////var/lib/syncd/syncd.db"
    database_busy_seconds: Annotated[float, Field(gt=0)] = 30.0
    on_cancel: Literal["delete", "keep"] = "delete"
    all_day: AllDayPolicy = AllDayPolicy.NO_FIXED_TIME
    lookback_days: Annotated[int, Field(ge=0)] = 7
    retry_max_seconds: Annotated[float, Field(gt=0)] = 3600.0
    park_after: Annotated[int, Field(ge=1)] = 8
    note_after_minutes: Annotated[float, Field(ge=0)] = 10.0
    lease_seconds: Annotated[float, Field(ge=1)] = 60.0
    stall_seconds: Annotated[float, Field(gt=0)] = 600.0
    workers: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = "auto"

    @property
    def worker_count(self) -> int:
        return default_workers() if self.workers == "auto" else self.workers

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    delete_guard_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    delete_guard_min: Annotated[int, Field(ge=1)] = 5
    allow_mass_deletes: bool = False
    audit_days: Annotated[float, Field(ge=0)] = 0.0


def _cross_field(field: str, problem: str) -> PydanticCustomError:
    """A problem a model validator finds, reported at `field` of the section."""
    return PydanticCustomError(CROSS_FIELD_ERROR, "{problem}", {"field": field, "problem": problem})


class DirectorySection(_Section):
    """[google.directory]: watch every in-scope user's primary calendar, found in the
    Workspace's directory (Admin SDK) as `admin`."""

    admin: NonEmpty
    customer: NonEmpty = "my_customer"
    domain: str = ""
    """Only this domain's users; empty: the whole customer's."""
    group: str = ""
    """Only members of this group, directly or through nested groups."""
    org_unit: str = ""
    """Only users in this organizational unit or below it, e.g. "/Sales"."""
    refresh_minutes: Annotated[float, Field(gt=0)] = 60.0
    api_endpoint: str = ""

    @field_validator("org_unit")
    @classmethod
    def _a_path(cls, org_unit: str) -> str:
        if org_unit and not org_unit.startswith("/"):
            raise ValueError('expected a path from the top, such as "/Sales"')
        return org_unit


class GoogleSection(_Section):
    credentials_file: NonEmpty = "/etc/syncd/google.json"
    subject: str = ""
    act_as: Literal["credentials", "owner"] = "credentials"
    """"owner": each user's calendar read and written as that user (domain-wide delegation)."""
    calendars: list[NonEmpty] = Field(default_factory=lambda: ["primary"])
    """The calendars watched besides the directory's: by default "primary", or none with a
    directory."""
    api_endpoint: str = ""
    send_updates: Literal["none", "all", "externalOnly"] = "none"
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    requests_per_minute: Annotated[float, Field(ge=1)] = 600.0
    """Google's quota per identity per minute, shared by the workers."""
    project_requests_per_minute: Annotated[float, Field(ge=1)] = 10_000.0
    """Google's quota per project per minute: every identity's requests together."""
    directory: DirectorySection | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_default_calendar_with_a_directory(cls, data: Any) -> Any:
        if isinstance(data, dict) and "directory" in data and "calendars" not in data:
            return data | {"calendars": []}
        return data

    @model_validator(mode="after")
    def _directory_reads_as_owner(self) -> Self:
        if self.directory is not None and self.act_as != "owner":
            raise _cross_field(
                "act_as",
                'must be "owner" with [google.directory], so that each user\'s calendar is '
                "read as that user (domain-wide delegation)",
            )
        if self.directory is None and not self.calendars:
            raise _cross_field("calendars", "name at least one calendar, or add [google.directory]")
        return self

    @property
    def credentials_path(self) -> Path:
        """The credentials file, `$CREDENTIALS_DIRECTORY` expanded (systemd LoadCredential=)."""
        return Path(os.path.expandvars(self.credentials_file))


class ZoomRateLimits(_Section):
    """Requests a second by Zoom's rate-limit category (a Pro account's; Business and up may
    raise them): syncd's workers share them."""

    light: Annotated[float, Field(gt=0)] = 30.0
    medium: Annotated[float, Field(gt=0)] = 20.0


class ZoomSection(_Section):
    api_base_url: NonEmpty = "https://api.zoom.us/v2"
    token_url: NonEmpty = "https://zoom.us/oauth/token"
    host: NonEmpty = "me"
    host_fallback: NonEmpty = "me"
    hosts: dict[NonEmpty, NonEmpty] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    rate_limits: ZoomRateLimits = Field(default_factory=ZoomRateLimits)
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("settings")
    @classmethod
    def _zoom_would_take(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Zoom ignores a setting it does not know without a word: refuse it here, one error
        per key (at zoom.settings.<key>) so that every problem gets its own line."""
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(ZOOM_SETTING_ERROR, "{problem}", {"problem": p.message}),
                loc=(p.key,),
                input=settings[p.key],
            )
            for p in find_problems(settings)
        ]
        if errors:
            raise ValidationError.from_exception_data("zoom.settings", errors)
        return settings


class MetricsSection(_Section):
    listen: str = ""
    """host:port for Prometheus to scrape /metrics from; empty: no metrics served."""

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, listen: str) -> str:
        if not listen:
            return listen
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError('expected "host:port", such as "127.0.0.1:9464"')
        return listen


class Config(_Section):
    sync: SyncSection = SyncSection()
    google: GoogleSection = GoogleSection()
    zoom: ZoomSection = ZoomSection()
    metrics: MetricsSection = MetricsSection()


def load_config(path: Path) -> Config:
    """Read and validate the file; every problem is reported, one line each."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(path, error) for error in exc.errors()]) from None


def _describe(path: Path, error: Mapping[str, object]) -> str:
    location = ".".join(str(part) for part in error["loc"])  # type: ignore[attr-defined]
    if error["type"] == "extra_forbidden":
        return f"{path}: {location}: unknown option"
    if error["type"] == "missing":
        return f"{path}: {location}: required"
    if error["type"] == CROSS_FIELD_ERROR:
        context: dict[str, str] = error["ctx"]  # type: ignore[assignment]
        return f"{path}: {location}.{context['field']}: {context['problem']}"
    if error["type"] == ZOOM_SETTING_ERROR:  # the message shows the value itself
        return f"{path}: {location}: {error['msg']}"
    shown = repr(error["input"])
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{path}: {location}: {error['msg']} (got {shown})"


def resolve_zoom_credentials(environ: Mapping[str, str] | None = None) -> ZoomCredentials:
    """Zoom's S2S app credentials: `$CREDENTIALS_DIRECTORY/<NAME>` first, then the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in ZOOM_SECRET_NAMES:
        value = _read_credential(environ, name)
        if value:
            values[name] = value
        else:
            missing.append(name)
    if missing:
        raise ConfigError(
            [f"{name}: not set (environment or $CREDENTIALS_DIRECTORY/{name})" for name in missing]
        )
    return ZoomCredentials(
        account_id=values["ZOOM_ACCOUNT_ID"],
        client_id=values["ZOOM_CLIENT_ID"],
        client_secret=SecretStr(values["ZOOM_CLIENT_SECRET"]),
    )


def _read_credential(environ: Mapping[str, str], name: str) -> str:
    directory = environ.get("CREDENTIALS_DIRECTORY")
    if directory:
        candidate = Path(directory) / name
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8").strip()
    return environ.get(name, "").strip()
