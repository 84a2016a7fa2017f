"""Settings: environment variables and `.env`, validated once at start-up."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, HttpUrl, SecretStr, TypeAdapter, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_HTTP_URL = TypeAdapter(HttpUrl)


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable and says what to do."""


_CAP_RE = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{1,4})\s*([hd])\s*$", re.IGNORECASE)
_QUIET_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})\s*$")
_OFF = ("off", "0", "none", "no", "false")


@dataclass(frozen=True)
class FrequencyCap:
    """At most `count` broadcasts to one student within `hours` (FREQUENCY_CAP=2/24h)."""

    count: int
    hours: int

    def __str__(self) -> str:
        return f"{self.count}/{self.hours}h"


def parse_frequency_cap(value: object) -> FrequencyCap | None:
    """`2/24h` or `3/2d`; `off` or 0: no cap. ValueError says what is expected."""
    if value is None or isinstance(value, FrequencyCap):
        return value
    text = str(value).strip().lower()
    if text in _OFF or text == "":
        return None
    match = _CAP_RE.match(text)
    if not match:
        raise ValueError("expected broadcasts per hours like 2/24h (or 3/2d), or off")
    count, span, unit = int(match.group(1)), int(match.group(2)), match.group(3)
    hours = span * 24 if unit == "d" else span
    if count < 1 or not 1 <= hours <= 24 * 90:
        raise ValueError("expected at least 1 broadcast per 1 to 2160 hours, like 2/24h, or off")
    return FrequencyCap(count, hours)


@dataclass(frozen=True)
class QuietHours:
    """No broadcast goes out from `start` to `end` (local time; may span midnight)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def end_after(self, moment: datetime, tz: ZoneInfo) -> datetime | None:
        """When the quiet hours `moment` falls in end (aware, in `tz`); None outside them."""
        local = moment.astimezone(tz)
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside, day = self.start <= now < self.end, local.date()
        else:  # across midnight: 22:00-09:00
            inside = now >= self.start or now < self.end
            day = local.date() + timedelta(days=1) if now >= self.start else local.date()
        return _at(day, self.end, tz) if inside else None

    def reached(self, moment: datetime, seconds: float, tz: ZoneInfo
                ) -> tuple[datetime, datetime] | None:
        """A send of `seconds` from `moment` (outside quiet hours) runs into them: when they
        begin and end; None: it is over before, or `moment` is inside them already."""
        if self.end_after(moment, tz) is not None:
            return None
        begins = self.start_after(moment, tz)
        if begins >= moment + timedelta(seconds=seconds):
            return None
        ends = self.end_after(begins, tz)
        assert ends is not None
        return begins, ends

    def start_after(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """The next time quiet hours begin after `moment` (aware, in `tz`)."""
        local = moment.astimezone(tz)
        begins = _at(local.date(), self.start, tz)
        return begins if begins > local else _at(local.date() + timedelta(days=1), self.start, tz)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def parse_approval_min_audience(value: object) -> int | None:
    """A number of recipients from which a broadcast needs approval; `off` or 0: never."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _OFF):
        return None
    try:
        size = int(str(value).strip())
    except ValueError:
        raise ValueError("expected a number of recipients like 100, or off") from None
    if size < 0:
        raise ValueError("expected a number of recipients like 100, or off")
    return size or None


@dataclass(frozen=True)
class Safeguards:
    """A broadcast watched as it goes: a large one (`canary_min_audience` recipients or more;
    None: never) first goes to a small share and waits `canary_wait_minutes`; any broadcast
    pauses when blocked and failed pass `fail_percent` of its recent results (None: never)."""

    canary_min_audience: int | None = 1000
    canary_wait_minutes: float = 10.0
    fail_percent: float | None = 5.0

    def canary_first(self, recipients: int) -> bool:
        """Whether a broadcast to so many goes to a canary first."""
        return self.canary_min_audience is not None and recipients >= self.canary_min_audience


def parse_off(value: object) -> object:
    """`off` (or 0, none, ...) turns a safeguard off: None."""
    if isinstance(value, str) and value.strip().lower() in (*_OFF, ""):
        return None
    if isinstance(value, (int, float)) and value == 0:
        return None
    return value


def parse_quiet_hours(value: object) -> QuietHours | None:
    """`22:00-09:00` (local time, may span midnight); `off`: none."""
    if value is None or isinstance(value, QuietHours):
        return value
    text = str(value).strip().lower()
    if text in _OFF or text == "":
        return None
    match = _QUIET_RE.match(text)
    if not match:
        raise ValueError("expected a span of local time like 22:00-09:00, or off")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError("hours are 0-23 and minutes 0-59, like 22:00-09:00")
    if (h1, m1) == (h2, m2):
        raise ValueError("start and end must differ, like 22:00-09:00 (or off)")
    return QuietHours(time(h1, m1), time(h2, m2))


class Settings(BaseSettings):
    """The bot's settings; names follow the contract in DESIGN.md."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    broadcast_bot_token: SecretStr | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    database_url: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    webhook_base_url: str | None = None
    # where the bot's own HTTP server is reachable from the internet, for tracked links
    # (/r/<token>); WEBHOOK_BASE_URL when unset
    public_base_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    web_host: str = "0.0.0.0"
    web_port: int = Field(default=8080, ge=1, le=65535)
    redis_url: SecretStr | None = None
    timezone: str = "Europe/Moscow"
    # not in the contract, but needed to run without a database server
    embedded_pg_dir: Path = Path(".data/postgres")
    # delivery engine
    broadcast_rate: float = Field(default=30.0, gt=0, le=30)
    broadcast_paid_rate: float = Field(default=1000.0, gt=0, le=1000)
    broadcast_in_flight: int = Field(default=400, ge=1, le=5000)
    broadcast_progress_seconds: float = Field(default=3.0, ge=0.2)
    broadcast_confirm_threshold: int = Field(default=500, ge=0)  # ask once more above this
    broadcast_paid_allowed: bool = False  # offer allow_paid_broadcast (costs Stars)
    # statistics: warn when the platform's tables got no row for this long
    stats_feed_silence_hours: float = Field(default=24.0, gt=0)
    stats_refresh_seconds: float = Field(default=15.0, ge=1)
    # a user marked unreachable (blocked, never started the course bot) is tried again after
    # this many days, or as soon as the platform sees them again
    unreachable_expiry_days: int = Field(default=30, ge=1)
    # safe sending: at most K broadcasts per student in H hours; no broadcasts at night
    frequency_cap: Annotated[FrequencyCap | None, NoDecode] = FrequencyCap(2, 24)
    quiet_hours: Annotated[QuietHours | None, NoDecode] = QuietHours(time(22), time(9))
    # four eyes: a broadcast to at least this many recipients (or to all users) waits for
    # another editor or owner to approve it; None (`off`): no approval. Owners may change it
    # from the team screen (their choice overrides this)
    approval_min_audience: Annotated[int | None, NoDecode] = None
    # a large broadcast goes to a small share first and waits; a broadcast whose recent
    # results are blocked or failed above this share pauses (`off` or 0: each off)
    canary_min_audience: int | None = Field(default=1000, ge=1)
    canary_wait_minutes: float | None = Field(default=10.0, gt=0, le=24 * 60)
    breaker_fail_percent: float | None = Field(default=5.0, gt=0, le=100)
    log_level: str = "INFO"
    log_format: str = "text"

    @field_validator("bot_token", "broadcast_bot_token", mode="before")
    @classmethod
    def _check_token(cls, value: object) -> object:
        if value in (None, ""):
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _TOKEN_RE.match(raw.strip()):
            # never echo the token itself
            raise ValueError("does not look like a bot token (expected 123456789:AA...)")
        return raw.strip()

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    "must be comma-separated numeric Telegram user ids, e.g. 12345,67890"
                ) from None
        return value

    @field_validator("admin_ids")
    @classmethod
    def _positive_ids(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(i <= 0 for i in value):
            raise ValueError("user ids are positive numbers")
        return value

    @field_validator("database_url", "redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _check_dsn(cls, value: SecretStr | None) -> SecretStr | None:
        # not pydantic's PostgresDsn: it refuses what libpq and asyncpg take (a socket DSN,
        # postgresql://user@/db?host=/run/postgresql) and takes driver schemes asyncpg refuses
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("must start with postgresql://")
        return value

    @field_validator("telegram_api_url", "webhook_base_url", "public_base_url", mode="before")
    @classmethod
    def _check_url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).strip().rstrip("/")
        try:
            _HTTP_URL.validate_python(text)
        except ValidationError:
            raise ValueError("must be an http(s):// URL") from None
        return text  # as written (HttpUrl would add a trailing slash), checked by pydantic

    @field_validator("webhook_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not value.startswith("/") or " " in value:
            raise ValueError("must start with / (e.g. /telegram/webhook)")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _check_secret(cls, value: object) -> object:
        if value in (None, ""):
            return SecretStr(secrets.token_urlsafe(32))
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _SECRET_RE.match(raw):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return raw

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone (use a name like Europe/Moscow)") from None
        return value

    @field_validator("frequency_cap", mode="before")
    @classmethod
    def _check_cap(cls, value: object) -> object:
        return parse_frequency_cap(value)

    @field_validator("approval_min_audience", mode="before")
    @classmethod
    def _parse_approval(cls, value: object) -> object:
        return parse_approval_min_audience(value)

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _check_quiet(cls, value: object) -> object:
        return parse_quiet_hours(value)

    @field_validator("canary_min_audience", "canary_wait_minutes", "breaker_fail_percent",
                     mode="before")
    @classmethod
    def _check_off(cls, value: object) -> object:
        return parse_off(value)

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @field_validator("log_format")
    @classmethod
    def _check_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError("text or json")
        return value

    # ---- derived values -------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def webhook_url(self) -> str | None:
        if not self.webhook_base_url:
            return None
        return self.webhook_base_url + self.webhook_path

    @property
    def links_base(self) -> str | None:
        """Base of tracked links; None: link buttons go out as they are (not counted)."""
        return self.public_base_url or self.webhook_base_url

    @property
    def safeguards(self) -> Safeguards:
        return Safeguards(self.canary_min_audience, self.canary_wait_minutes or 0.0,
                          self.breaker_fail_percent)

    @property
    def broadcast_token(self) -> SecretStr | None:
        """Token the broadcasts go out through: BROADCAST_BOT_TOKEN, or BOT_TOKEN for one bot."""
        return self.broadcast_bot_token or self.bot_token

    def secrets(self) -> list[str]:
        """Every secret value, so logs can be scrubbed of them."""
        values = [self.webhook_secret.get_secret_value()]
        for item in (self.bot_token, self.broadcast_bot_token, self.redis_url):
            if item is not None:
                values.append(item.get_secret_value())
        if self.database_url is not None:
            password = _dsn_password(self.database_url.get_secret_value())
            if password:
                values.append(password)
        return [v for v in values if v]

    def require_for_run(self) -> None:
        """Raise ConfigError unless the settings are enough to talk to Telegram."""
        if self.bot_token is None:
            raise ConfigError(
                "BOT_TOKEN is not set: get a token from @BotFather and set BOT_TOKEN "
                "in the environment or in .env"
            )
        if not self.admin_ids:
            raise ConfigError(
                "ADMIN_IDS is not set: list the Telegram user ids of the admins, "
                "e.g. ADMIN_IDS=12345,67890"
            )


# the DSN as text, not parsed: the password is scrubbed from logs as written in it, and the
# masked DSN is shown as it was given
def _dsn_password(dsn: str) -> str | None:
    match = re.match(r"^[a-z]+://[^:/@]*:([^@]*)@", dsn)
    return match.group(1) if match and match.group(1) else None


def mask_dsn(dsn: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db"""
    return re.sub(r"^([a-z]+://[^:/@]*:)[^@]*@", r"\1***@", dsn)


def load_settings(**overrides: Any) -> Settings:
    """Build Settings; turn pydantic's errors into one line per variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                message = "is required"
            lines.append(f"{name}: {message}")
        raise ConfigError("; ".join(lines)) from None
