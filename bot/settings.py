"""Runtime settings, read from the environment and an optional ``.env`` file.

Every setting is documented in ``.env.example``. Nothing here runs at import time: the
composition root (:mod:`bot.__main__`) builds one :class:`Settings` and passes it down.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n.locales import SUPPORTED_LOCALES

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class Settings(BaseSettings):
    """The bot's configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    discord_token: SecretStr = Field(min_length=1)
    database_url: str = "sqlite:///data/intervision.db"
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    dev_guild_id: Annotated[int, Field(gt=0)] | None = None
    default_locale: str = "en-US"
    log_level: str = "INFO"
    guild_data_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    shard_count: Annotated[int, Field(ge=1)] | None = None
    shard_ids: Annotated[tuple[int, ...], NoDecode] | None = None
    log_format: Literal["text", "json"] = "text"
    metrics_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    metrics_host: str = "127.0.0.1"

    @field_validator("discord_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if database_backend(value) == "sqlite":  # raises ValueError with a precise message
            database_path(value)
        return value

    @field_validator("discord_api_base_url")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8080/api/v10")
        return value.rstrip("/")

    @field_validator("discord_gateway_url")
    @classmethod
    def _gateway(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("ws", "wss") or not parts.netloc:
            raise ValueError("must be a ws(s) URL such as ws://127.0.0.1:8080/gateway")
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object, info: ValidationInfo) -> object:
        """``SHARD_IDS=0,1``: comma-separated shard numbers below ``SHARD_COUNT``."""
        if value is None or value == "":
            return None
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("needs SHARD_COUNT (the total number of shards) to be set")
        if not isinstance(value, str):
            return value
        try:
            ids = tuple(int(part) for part in value.split(","))
        except ValueError:
            raise ValueError("must be comma-separated shard numbers, e.g. 0,1") from None
        if any(not 0 <= shard < count for shard in ids) or len(set(ids)) != len(ids):
            raise ValueError(f"must be distinct numbers from 0 to {count - 1} (SHARD_COUNT - 1)")
        return ids

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        if isinstance(value, str) and value.lower() in ("text", "json"):
            return value.lower()
        if isinstance(value, str):
            raise ValueError("must be text or json")
        return value

    @field_validator("metrics_host")
    @classmethod
    def _metrics_host(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() or c == "/" for c in value.strip()):
            raise ValueError("must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level

    @property
    def log_level_number(self) -> int:
        """The ``logging`` level number of :attr:`log_level`."""
        return logging.getLevelNamesMapping()[self.log_level]


DatabaseBackend = Literal["sqlite", "postgresql"]
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def database_backend(url: str) -> DatabaseBackend:
    """Which storage backend ``url`` selects: ``sqlite:///...`` or ``postgresql://...``
    (``postgres://`` too, e.g. ``postgresql://user:password@host:5432/intervision``).

    Raises ``ValueError`` for any other scheme, and for a PostgreSQL URL naming no host
    (neither ``//host`` nor ``?host=/socket/dir``).
    """
    parts = urlsplit(url)
    if parts.scheme in _POSTGRES_SCHEMES:
        if not parts.netloc and "host=" not in parts.query:
            raise ValueError("must name a server, e.g. postgresql://user@localhost/intervision")
        return "postgresql"
    if url.startswith("sqlite:///"):
        return "sqlite"
    raise ValueError(
        "must look like sqlite:///data/intervision.db (relative), sqlite:////abs/path.db or "
        "postgresql://user@host:5432/intervision"
    )


def database_path(url: str) -> Path:
    """Return the SQLite file path of ``url`` (``sqlite:///rel/path.db`` or ``sqlite:////abs.db``).

    Raises ``ValueError`` for any other scheme (PostgreSQL URLs have no path: see
    :func:`database_backend`).
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ValueError(
            "must look like sqlite:///data/intervision.db (relative) or sqlite:////abs/path.db"
        )
    path = url[len(prefix) :]
    if not path or path.endswith("/"):
        raise ValueError("must name a database file, e.g. sqlite:///data/intervision.db")
    return Path(path)
