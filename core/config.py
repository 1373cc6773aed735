"""Settings: config.yaml, overridden by LOAXA_* environment variables, frozen once loaded."""

from __future__ import annotations

import copy
import os
from contextvars import ContextVar
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config.yaml"
ENV_PREFIX = "LOAXA_"

# The YAML file is chosen at load time (--config), so the source reads its path from here.
_yaml_path: ContextVar[Path] = ContextVar("loaxa_yaml_path", default=DEFAULT_CONFIG_PATH)
# CAP 1.2's <category> values (alerts.cap_models.CATEGORIES: core imports no feature).
CAP_CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)


# The largest CAP document taken (cap_max_bytes): room for a minute or two of MP3 speech
# in a <derefUri>, base64 making it a third larger.
CAP_MAX_BYTES = 2 * 1024 * 1024


class ConfigError(Exception):
    """The configuration file or an environment variable holds a bad value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    database_url: str = "sqlite:///var/loaxa.db"
    auto_migrate: bool = True
    data_dir: Path = Path("var")
    default_timezone: str = "Asia/Ho_Chi_Minh"
    token_ttl_minutes: int = Field(default=720, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    upload_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    max_audio_duration_s: float = Field(default=3 * 3600, gt=0)
    loudness_target_lufs: float = Field(default=-16.0, ge=-40, le=-5)
    true_peak_dbtp: float = Field(default=-1.5, ge=-9, le=0)
    trim_silence: bool = True
    opus_bitrate_kbps: int = Field(default=32, ge=8, le=256)
    tts_words_per_minute: int = Field(default=150, ge=60, le=400)
    relay_check_timeout_s: float = Field(default=5.0, gt=0, le=60)
    horizon_days: int = Field(default=7, ge=1, le=31)
    scheduler_enabled: bool = True
    scheduler_interval_s: float = Field(default=1.0, ge=0.1, le=60)
    enrollment_code_ttl_hours: float = Field(default=24, gt=0, le=24 * 30)
    station_offline_after_s: float = Field(default=180, gt=0)
    # How often an open status board asks whether it changed (web/station_board.py).
    board_refresh_s: float = Field(default=10.0, ge=0.5, le=300)
    # Reports: an item that starts later than this after its time is "late".
    report_late_after_s: float = Field(default=2.0, ge=0, le=3600)
    # The scheduler sums station-days this often; today's and yesterday's are summed again
    # once their sums are older than report_refresh_s (items fall due as the day goes on).
    report_summary_interval_s: float = Field(default=60.0, ge=1, le=3600)
    report_refresh_s: float = Field(default=600.0, ge=10, le=86400)
    # History kept for reports: an annual report always has its year (and never a day of a
    # month no generated periodic report covers is let go, whatever its age).
    report_retention_days: int = Field(default=400, ge=31, le=36500)
    alert_single_confirmation: bool = True
    alert_ack_timeout_s: float = Field(default=30, gt=0)
    # "default" (a generated chime), "none", or the path of an audio file: see alerts/chime.py.
    alert_chime: str = Field(default="default", min_length=1)
    alert_refresh_s: float = Field(default=1.0, gt=0, le=60)
    # How often each process reads the station changes into its poll directory (on
    # PostgreSQL a NOTIFY brings them at once besides): a revoked token is refused by every
    # process within this.
    station_changes_s: float = Field(default=0.5, gt=0, le=5)
    # CAP imports: the <geocode> valueNames whose values are the official administrative
    # unit codes (a value of any other scheme never targets an area), and the senders that
    # may target the whole country (its root area).
    cap_geocode_schemes: tuple[str, ...] = ("MA_TINH", "MA_HUYEN", "MA_XA")
    cap_country_senders: tuple[str, ...] = ()
    # The <info> block read: the first of these languages (RFC 4647 prefixes) a document
    # has, else its first block.
    cap_languages: tuple[str, ...] = ("vi",)
    # How long an alert lasts, in hours, when its document gives no <expires>, by its first
    # <category> (CAP makes <expires> optional); a category left out must give <expires>.
    cap_default_expiry_h: dict[str, Annotated[float, Field(gt=0, le=720)]] = Field(
        default_factory=lambda: {
            # A safety stop, not a forecast: a feed ends its alerts with an Update or a
            # Cancel; air quality and health notices run for the day.
            **dict.fromkeys(CAP_CATEGORIES, 6.0),
            "Health": 24.0,
            "Env": 24.0,
        }
    )
    # The most stations a CAP sender's alert may reach and still be issued at once with
    # issue_now; beyond it the alert waits for an approver. Per sender, else for all
    # (None: no ceiling).
    cap_station_ceilings: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    cap_station_ceiling: int | None = Field(default=None, ge=0)
    # Behind nginx: the internal location that serves the content store's files (e.g.
    # "/_loaxa_files/", deploy/server/nginx.conf). The file route then checks the token and
    # the manifest and answers with X-Accel-Redirect, so nginx sends the bytes (sendfile,
    # Range, If-Range on the sha256 ETag); unset, the server sends them itself.
    files_accel_redirect: str | None = Field(default=None, pattern=r"^/[A-Za-z0-9_./-]*/$")
    # The largest CAP document taken, embedded media included; past it the import is a 413.
    cap_max_bytes: int = Field(default=CAP_MAX_BYTES, ge=1024, le=64 * 1024 * 1024)
    # The hosts a CAP <resource>'s <uri> is fetched from (exact names, e.g. "canhbao.gov.vn");
    # none by default: the server fetches nothing a document points at unless told whence.
    cap_resource_hosts: tuple[str, ...] = ()
    # A fetched resource: at most this many bytes, within this many seconds.
    cap_resource_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    cap_resource_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # CAP feeds (/api/v1/cap-feeds): every process looks for feeds due this often; a feed
    # is fetched within the timeout and up to the size (each document it links to, up to
    # cap_max_bytes).
    cap_feeds_enabled: bool = True
    cap_feed_tick_s: float = Field(default=1.0, ge=0.1, le=60)
    cap_feed_timeout_s: float = Field(default=10.0, gt=0, le=120)
    cap_feed_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # The public Atom feed of an area's alerts (/api/v1/public/areas/{id}/alerts.atom): the alerts
    # issued that are still on the air or ended within this many hours.
    cap_export_window_h: float = Field(default=24.0, gt=0, le=24 * 31)
    # The CAP <sender> of alerts made here (an imported alert keeps its own sender).
    cap_export_sender: str = Field(
        default="loaxa", min_length=1, max_length=200, pattern=r"^[^\s,<&]+$"
    )
    # Agent requests in progress in one process past which more get 503 + Retry-After
    # (core/shedding.py; 0: never); the answer to an unchanged manifest is never shed.
    agent_max_in_progress: int = Field(default=256, ge=0)
    # Push to the agents: "websocket", the server's own event channel (one machine: the
    # embedded default); "mqtt", MQTT 5 through Mosquitto with the dynamic security plugin
    # (many: deploy/server/). mqtt_url is the broker as agents reach it (mqtt://host:1883,
    # mqtts://host:8883), mqtt_server_url as the server does (default: the same); the
    # server signs in as the plugin's admin (`loaxa mqtt init` writes its first config).
    push_transport: Literal["websocket", "mqtt"] = "websocket"
    mqtt_url: str | None = Field(default=None, pattern=r"^mqtts?://[^/\s]+$")
    mqtt_server_url: str | None = Field(default=None, pattern=r"^mqtts?://[^/\s]+$")
    mqtt_username: str = Field(default="loaxa-server", min_length=1, max_length=100)
    mqtt_password: SecretStr | None = None
    # The CA that signed the broker's certificate (mqtts://): the server and agents trust it.
    mqtt_ca_file: Path | None = None
    # How long the broker keeps an away station's session (subscriptions, missed messages).
    mqtt_session_expiry_s: int = Field(default=7 * 86400, ge=60, le=30 * 86400)
    # Freeze what startup made out of the garbage collector's later passes (api.py).
    gc_freeze: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("cap_default_expiry_h")
    @classmethod
    def _cap_categories(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(CAP_CATEGORIES))
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a CAP category ({', '.join(CAP_CATEGORIES)})"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    @model_validator(mode="after")
    def _mqtt_complete(self) -> Settings:
        if self.push_transport == "mqtt" and (self.mqtt_url is None or self.mqtt_password is None):
            raise ValueError("push_transport mqtt needs mqtt_url and mqtt_password")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_source = _ParsedOnce(settings_cls, yaml_file=_yaml_path.get())
        return (init_settings, env_settings, yaml_source)


class _ParsedOnce(YamlConfigSettingsSource):
    """The YAML file parsed by libyaml where it is present, and once while it is unchanged:
    settings are loaded for every CLI command, every app (every test), not only at start."""

    _parsed: ClassVar[dict[tuple[str, int, int], dict[str, Any]]] = {}

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        if not isinstance(file_path, Path):
            return super()._read_file(file_path)
        found = file_path.stat()
        key = (str(file_path.resolve()), found.st_mtime_ns, found.st_size)
        if key not in self._parsed:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            with file_path.open(encoding="utf-8") as text:
                self._parsed[key] = yaml.load(text, Loader=loader) or {}
        return copy.deepcopy(self._parsed[key])


CONFIG_VARIABLE = f"{ENV_PREFIX}CONFIG"


def config_path_from_env() -> Path:
    return Path(os.environ.get(CONFIG_VARIABLE) or DEFAULT_CONFIG_PATH)


def load_settings(config_path: Path | None = None, **overrides: object) -> Settings:
    """Load settings: explicit overrides > LOAXA_* variables > the YAML file > defaults."""
    path = config_path or config_path_from_env()
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    token = _yaml_path.set(path)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc
    finally:
        _yaml_path.reset(token)


def _describe(exc: ValidationError, path: Path) -> str:
    lines = [f"invalid configuration (file {path}, or a {ENV_PREFIX}* variable):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        env_name = f"{ENV_PREFIX}{key.upper()}"
        lines.append(f"  {key} ({env_name}): {error['msg']}")
    return "\n".join(lines)
