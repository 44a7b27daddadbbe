"""Settings, read only from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import importlib.util
import re
from datetime import time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Telegram tokens are "<bot id>:<secret>"; the emulator accepts short secrets such as "123456:TEST".
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MAX_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{5,256}$")  # MAX's rule for a subscription's secret
DEFAULT_DB_URL = "sqlite+aiosqlite:///./data/adresat.db"
# The async drivers the bot runs on; a bare scheme gets its driver, as `postgres://…` URLs from hosting panels do.
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
_DRIVER_PACKAGE = {"sqlite+aiosqlite": "aiosqlite", "postgresql+asyncpg": "asyncpg"}


def _path(url: str, default: str) -> str:
    path = urlsplit(url).path
    return path if path and path != "/" else default


class Settings(BaseSettings):
    """Everything the bot can be configured with; every key is listed in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DB_URL
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Europe/Moscow"
    telegram_api_base: str | None = None
    log_level: str = "INFO"
    max_upload_mb: float = Field(default=10, gt=0, le=20)

    # Delivery engine (outbox worker).
    delivery_rate_per_second: float = Field(default=25, gt=0, le=100_000)
    delivery_chat_interval_seconds: float = Field(default=1.0, ge=0)
    delivery_max_attempts: int = Field(default=5, ge=1, le=50)
    progress_edit_interval_seconds: float = Field(default=3.0, ge=0.5)

    # Reminders.
    reminder_days_before: Annotated[tuple[int, ...], NoDecode] = (14, 3, 1, 0)
    overdue_every_days: int = Field(default=3, ge=1)
    escalate_after_days: int = Field(default=7, ge=1)
    acknowledge_within_days: int = Field(default=3, ge=1, le=60)
    digest_weekday: int = Field(default=0, ge=0, le=6)
    digest_time: time = time(10, 0)
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(9, 0)
    review_required: bool = True
    extra_days_off: Annotated[tuple[str, ...], NoDecode] = ()
    invite_ttl_days: int = Field(default=14, ge=1, le=365)

    # MAX (maxbot/): off without a token, and then nothing else changes.
    max_bot_token: SecretStr | None = None
    # Telegram: optional when MAX_BOT_TOKEN is set (the bot then runs on MAX alone). Declared after
    # MAX_BOT_TOKEN so that its check sees it.
    bot_token: SecretStr | None = Field(default=None, validate_default=True)
    max_api_base: str | None = None  # MAX's Bot API (platform-api.max.ru) or the test emulator
    max_delivery_rate_per_second: float = Field(default=25, gt=0, le=100_000)  # MAX allows about 30 per bot
    max_admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()  # admins who work in MAX (their MAX user ids)
    # A notice its messenger has not delivered after this many minutes goes once to the member's other one.
    channel_fallback_minutes: float = Field(default=30, ge=0)  # 0: only a 403 falls back
    max_webhook_url: str = ""  # empty: long polling GET /updates (one instance polls)
    max_webhook_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    # Running in production (several instances, webhook mode, operations).
    webhook_url: str = ""  # empty: long polling
    webhook_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # polling mode: /healthz and /metrics here
    redis_url: str = ""  # empty: FSM state in memory (one instance)
    redis_key_prefix: str = "adresat"
    leader_retry_seconds: float = Field(default=3.0, gt=0, le=300)
    log_format: str = "text"

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        token = value.get_secret_value().strip() if value is not None else ""
        if not token:
            if info.data.get("max_bot_token") is None:
                raise ValueError("не задан — нужен токен Telegram-бота (от @BotFather), MAX_BOT_TOKEN или оба")
            return None  # MAX alone
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError("ожидается токен вида 123456789:AA… (выдаёт @BotFather)")
        return SecretStr(token)

    @field_validator("max_bot_token")
    @classmethod
    def _max_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None  # an empty MAX_BOT_TOKEN= in .env means MAX is off
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            url = make_url(value.strip())
        except ArgumentError as exc:
            raise ValueError("не похоже на адрес базы данных, пример: sqlite+aiosqlite:///./data/adresat.db") from exc
        driver = _DRIVERS.get(url.drivername)
        if driver is None:
            raise ValueError(
                f"драйвер {url.drivername!r} не поддерживается: используйте sqlite+aiosqlite:///… "
                "или postgresql+asyncpg://…"
            )
        package = _DRIVER_PACKAGE[driver]
        if importlib.util.find_spec(package) is None:
            raise ValueError(f"для {driver} нужен пакет {package}: pip install -e '.[postgres]'")
        return url.set(drivername=driver).render_as_string(hide_password=False)

    @field_validator("admin_ids", "max_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s;]+", value.strip()) if p]
            try:
                ids = frozenset(int(p) for p in parts)
            except ValueError as exc:
                messenger = "MAX" if info.field_name == "max_admin_ids" else "Telegram"
                raise ValueError(f"ожидаются числовые {messenger} id через запятую") from exc
            if any(i <= 0 for i in ids):
                raise ValueError("id пользователя — положительное число")
            return ids
        return value

    @field_validator("reminder_days_before", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return tuple(sorted({int(p) for p in re.split(r"[,\s;]+", value.strip()) if p}, reverse=True))
            except ValueError as exc:
                raise ValueError("ожидаются целые числа дней через запятую, например 14,3,1,0") from exc
        return value

    @field_validator("extra_days_off", mode="before")
    @classmethod
    def _split_dates(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p for p in re.split(r"[,\s;]+", value.strip()) if p)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"неизвестный часовой пояс {value!r}, пример: Europe/Moscow") from exc
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if value and not value.lower().startswith("https://"):
            raise ValueError("Telegram принимает только адрес https://…, пример: https://bot.example.ru/webhook")
        max_url = info.data.get("max_webhook_url")
        if value and max_url and _path(value, "/webhook") == _path(max_url, "/max/webhook"):
            raise ValueError("путь совпадает с путём MAX_WEBHOOK_URL: Telegram и MAX нужны разные пути")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value().strip()
        # Without the secret anyone who learns the URL could post updates in any user's name.
        if info.data.get("webhook_url") and not secret:
            raise ValueError("обязателен, когда задан WEBHOOK_URL")
        # Telegram's own rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        if secret and not _SECRET_RE.fullmatch(secret):
            raise ValueError("1–256 символов: латинские буквы, цифры, _ и -")
        return SecretStr(secret)

    @field_validator("max_webhook_url")
    @classmethod
    def _https_max_webhook(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if value and info.data.get("max_bot_token") is None:
            raise ValueError("задан без MAX_BOT_TOKEN: webhook MAX нужен только боту в MAX")
        if value and not value.lower().startswith("https://"):
            raise ValueError("MAX принимает только адрес https://…, пример: https://bot.example.ru/max/webhook")
        return value

    @field_validator("max_webhook_secret")
    @classmethod
    def _max_secret_shape(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value().strip()
        if info.data.get("max_webhook_url") and not secret:
            raise ValueError("обязателен, когда задан MAX_WEBHOOK_URL")
        if secret and not _MAX_SECRET_RE.fullmatch(secret):
            raise ValueError("5–256 символов: латинские буквы, цифры, _ и -")
        return SecretStr(secret)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("ожидается адрес вида redis://127.0.0.1:6379/0")
        if value and importlib.util.find_spec("redis") is None:
            raise ValueError("для Redis нужен пакет redis: pip install -e '.[redis]'")
        return value

    @field_validator("log_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value.lower() not in {"text", "json"}:
            raise ValueError("ожидается text или json")
        return value.lower()

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("ожидается DEBUG, INFO, WARNING, ERROR или CRITICAL")
        return level

    @property
    def webhook_path(self) -> str:
        """The path the webhook server listens on: the one in WEBHOOK_URL (a proxy passes it through)."""
        return _path(self.webhook_url, "/webhook")

    @property
    def max_webhook_path(self) -> str:
        """The path MAX's POSTs arrive on: the one in MAX_WEBHOOK_URL (a proxy passes it through)."""
        return _path(self.max_webhook_url, "/max/webhook")

    @property
    def http_port(self) -> int | None:
        """Where the instance's HTTP server listens (None: no server). Telegram's webhook mode: WEBHOOK_PORT;
        otherwise METRICS_PORT, or WEBHOOK_PORT when only MAX's webhook needs a server."""
        if self.webhook_url:
            return self.webhook_port
        return self.metrics_port or (self.webhook_port if self.max_webhook_url else None)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def sqlite_path(self) -> Path | None:
        """The SQLite file behind `database_url`, if it is one (its folder is created on start)."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            rest = self.database_url[len(prefix) :]
            if rest and rest != ":memory:":
                return Path(rest)
        return None
