"""Deployment settings from the environment and a .env file (secrets never live in config/)."""

from __future__ import annotations

import secrets
from pathlib import Path

from dotenv import load_dotenv
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    SECRET_KEY: str = ""
    DATABASE_URL: str = ""
    HALLQ_CONFIG: Path = PROJECT_ROOT / "config"
    HALLQ_INSTANCE: Path = PROJECT_ROOT / "instance"
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

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:///", "postgresql")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value

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
            self.HALLQ_INSTANCE.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return Settings(**overrides)  # type: ignore[arg-type]  # overrides are Settings fields; pydantic checks them
