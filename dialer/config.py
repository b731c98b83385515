"""Daemon configuration: environment variables (``AUTOCALL_*``) and/or a file.

``autocall serve --config FILE`` reads a YAML or JSON file of the same
names in lower case; environment variables override it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dialer.esl.node import NodeConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOCALL_", extra="forbid")

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "autocall"
    # Comma-separated esl://:PASSWORD@HOST:PORT[?name=&sps=&max_sessions=]
    freeswitch: str = "esl://:ClueCon@127.0.0.1:8021"
    audio_dir: Path = Path("/var/lib/autocall/audio")
    default_gateway: str = ""  # for campaigns with no carrier
    default_caller_id: str = ""
    lease_seconds: float = Field(60.0, gt=1)
    drain_seconds: float = Field(300.0, ge=0)
    command_timeout: float = Field(10.0, gt=0)
    log_level: str = "INFO"
    # HTTP API
    listen: str = "127.0.0.1:8080"  # HOST:PORT of the API
    api_tokens: str = ""  # comma-separated bearer tokens; serve refuses to start without one
    domain_uuid: str = ""  # the tenant id the v3 dialect shows as domain_uuid
    max_import_bytes: int = Field(64 << 20, ge=1 << 20)  # bulk import and audio upload bodies
    api: bool = True  # false: engine only (e.g. a second dialer process sharing the Redis)
    webhook_secret: str = ""  # HMAC-SHA256 key for the X-Autocall-Signature header (docs/api-cdrs-webhooks.md)
    # Speech (tts package): the engine that speaks autocall_voice_tts / _otp messages
    tts_engine: str = Field("espeak", pattern="^(espeak|http|none)$")
    tts_voice: str = ""  # espeak: "vi" when empty; http: the vendor's voice name
    tts_url: str = ""  # http engine: where to POST {"text", "voice"}
    tts_key: str = ""  # http engine: sent as Authorization: Bearer <key>
    tts_rate: int = Field(8000, description="8000 or 16000 Hz")
    tts_cache_bytes: int = Field(512 << 20, ge=1 << 20)  # bound of <audio_dir>/tts
    otp_pause_ms: int = Field(600, ge=100, le=3000)  # silence between OTP digits

    @field_validator("freeswitch")
    @classmethod
    def _nodes_parse(cls, value: str) -> str:
        for url in value.split(","):
            NodeConfig.from_url(url)
        return value

    @field_validator("tts_rate")
    @classmethod
    def _rate(cls, value: int) -> int:
        if value not in (8000, 16000):
            raise ValueError("AUTOCALL_TTS_RATE must be 8000 or 16000")
        return value

    @field_validator("listen")
    @classmethod
    def _listen_parses(cls, value: str) -> str:
        from dialer.api.server import parse_listen

        parse_listen(value)
        return value

    def tokens(self) -> list[str]:
        return [t.strip() for t in self.api_tokens.split(",") if t.strip()]

    def nodes(self) -> list[NodeConfig]:
        return [NodeConfig.from_url(url) for url in self.freeswitch.split(",") if url.strip()]

    @classmethod
    def load(cls, path: str | None = None, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        if path:
            values = yaml.safe_load(Path(path).read_text()) or {}
        values.update(overrides)
        # Environment wins over the file: pass the file as defaults.
        return cls(**{k: v for k, v in values.items() if f"AUTOCALL_{k.upper()}" not in os.environ})
