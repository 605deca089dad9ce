"""Deployment settings from the environment and a .env file (secrets never live in config/)."""

from __future__ import annotations

import os
import secrets
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated

from dotenv import load_dotenv
from pydantic import BaseModel, Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where an installed Hallq (the offline bundle's wheel, docs/deployment.md) keeps its settings
# and the hall's files, and its data.
SYSTEM_CONFIG = Path("/etc/hallq")
SYSTEM_DATA = Path("/var/lib/hallq")


class SettingsError(Exception):
    """A setting names a file or folder that cannot serve; the message names the setting and path."""


class DefaultPaths(BaseModel):
    env_file: Path
    config: Path
    instance: Path


def default_paths(project_root: Path = PROJECT_ROOT) -> DefaultPaths:
    """A source checkout (./dev demo, the tests) keeps its .env, config/ and instance/ beside the
    code, as it always has. An installed package lives in site-packages, which the server may
    not write and an upgrade replaces: it takes the system's folders instead."""
    if (project_root / "pyproject.toml").is_file():
        return DefaultPaths(
            env_file=project_root / ".env", config=project_root / "config", instance=project_root / "instance"
        )
    return DefaultPaths(env_file=SYSTEM_CONFIG / ".env", config=SYSTEM_CONFIG, instance=SYSTEM_DATA)


DEFAULT_PATHS = default_paths()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    SECRET_KEY: str = ""
    DATABASE_URL: str = ""
    HALLQ_CONFIG: Path = DEFAULT_PATHS.config
    HALLQ_INSTANCE: Path = DEFAULT_PATHS.instance
    SOCKETIO_MESSAGE_QUEUE: str = ""
    HALLQ_DEFAULT_LOCALE: str = Field("zh_CN", pattern=r"^(zh_CN|en)$")
    # Staff log-in cookies travel over HTTPS only (the Secure flag). Off only where the hall is
    # served over plain HTTP: the demo on 127.0.0.1 (`hallq demo` turns it off) or a test bench.
    HALLQ_SECURE_COOKIES: bool = True
    # How many reverse proxies (nginx) stand in front of `hallq serve`: their X-Forwarded-For,
    # -Proto and -Host headers are then believed, so the audit trail and the login lockout see
    # the client's address and HTTPS is recognised. 0: the headers are ignored (anyone can forge them).
    HALLQ_PROXIES: int = Field(0, ge=0, le=5)
    # The audit trail's signing key and the file its signed checkpoints are appended to
    # (queue_core.audit_anchors): outside the database, best where the supervisor controls them.
    HALLQ_AUDIT_KEY_FILE: Path | None = None  # default: the instance folder's audit-key
    HALLQ_AUDIT_ANCHORS: Path | None = None  # default: the instance folder's audit-anchors.jsonl
    # Who may read /metrics (hallq.metrics, docs/monitoring.md): the client addresses and
    # networks listed, comma-separated (behind nginx the address is the client's only with
    # HALLQ_PROXIES set), or whoever sends `Authorization: Bearer HALLQ_METRICS_TOKEN`.
    HALLQ_METRICS_ALLOW: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = (
        ip_network("127.0.0.0/8"),
        ip_network("::1/128"),
    )
    HALLQ_METRICS_TOKEN: str = Field("", pattern=r"^(\S{24,})?$")  # long enough not to be guessed

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:///", "postgresql")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value

    @field_validator("HALLQ_METRICS_ALLOW", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return tuple(part.strip() for part in value.split(",")) if isinstance(value, str) else value

    def database_url(self) -> str:
        return self.DATABASE_URL or f"sqlite:///{self.HALLQ_INSTANCE / 'hallq.sqlite'}"

    def audit_key_file(self) -> Path:
        return self.HALLQ_AUDIT_KEY_FILE or self.HALLQ_INSTANCE / "audit-key"

    def audit_anchors_file(self) -> Path:
        return self.HALLQ_AUDIT_ANCHORS or self.HALLQ_INSTANCE / "audit-anchors.jsonl"

    def secret_key(self) -> str:
        """SECRET_KEY, or one generated once and kept in the instance folder (mode 0600)."""
        if self.SECRET_KEY:
            return self.SECRET_KEY
        path = self.HALLQ_INSTANCE / "secret_key"
        if not path.exists():
            make_folder(self.HALLQ_INSTANCE, "HALLQ_INSTANCE")
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip()


def make_folder(path: Path, setting: str) -> None:
    """Create a folder a setting names, or say which setting to correct (not a traceback)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"{setting}: cannot create the folder {path}: {exc.strerror}") from exc


def env_file() -> Path:
    """The .env file the settings are read from: HALLQ_ENV_FILE (the systemd units set
    /etc/hallq/.env), else the default of this kind of install. One that is named must exist."""
    named = os.environ.get("HALLQ_ENV_FILE")
    if not named:
        return DEFAULT_PATHS.env_file
    path = Path(named)
    if not path.is_file():
        raise SettingsError(f"HALLQ_ENV_FILE: no file {path}")
    return path


def load_settings(**overrides: object) -> Settings:
    path = env_file()
    try:
        load_dotenv(path, override=False)
    except OSError as exc:  # /etc/hallq/.env is for root and the hallq group only
        raise SettingsError(f"{path}: cannot read it: {exc.strerror} (run hallq as the hallq user)") from exc
    settings = Settings(**overrides)  # type: ignore[arg-type]  # overrides are Settings fields; pydantic checks them
    if settings.HALLQ_INSTANCE.exists() and not settings.HALLQ_INSTANCE.is_dir():
        raise SettingsError(f"HALLQ_INSTANCE: {settings.HALLQ_INSTANCE} is not a folder")
    return settings
