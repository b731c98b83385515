"""Daemon configuration: environment variables (``AUTOCALL_*``) and/or a file.

``autocall serve --config FILE`` reads a YAML or JSON file of the same
names in lower case (pydantic-settings' YAML source); environment variables
override it.

Enumerated settings are ``Literal`` types. Secrets, and the URLs that carry
a password (``AUTOCALL_FREESWITCH``, ``AUTOCALL_REDIS_URL``), are
``SecretStr``: no repr, str, dump or error shows them; code that needs one
asks for it with ``.get_secret_value()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from dialer.esl.node import NodeConfig
from dialer.listen import parse_listen
from dialer.store.connect import check_url, secrets_in
from dialer.store.sealing import parse_key

if TYPE_CHECKING:
    from tts.voices import VoiceBook


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _number(value: object) -> object:
    """The environment and files give text; a ``Literal`` of numbers compares numbers."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


# What logging.setLevel accepts (any case): the five levels, and WARN, FATAL and NOTSET, its aliases.
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "WARN", "FATAL", "NOTSET"], BeforeValidator(_upper)
]
TtsRate = Annotated[Literal[8000, 16000], BeforeValidator(_number)]


class Settings(BaseSettings):
    # Errors name the setting, never echo its value: some are secrets (keys, tokens).
    model_config = SettingsConfigDict(env_prefix="AUTOCALL_", extra="forbid", hide_input_in_errors=True)

    # Secrets, and URLs that may carry one, are SecretStr: a logged or dumped Settings shows none.
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    redis_prefix: str = "autocall"
    # Comma-separated esl://:PASSWORD@HOST:PORT[?name=&sps=&max_sessions=&bgapi_window=]; required: nothing ships
    # with a password (serve refuses FreeSWITCH's stock ClueCon unless allow_default_esl_password)
    freeswitch: SecretStr = SecretStr("")
    allow_default_esl_password: bool = False  # a test setup may use ClueCon
    audio_dir: Path = Path("/var/lib/autocall/audio")
    default_gateway: str = ""  # for campaigns with no carrier
    default_caller_id: str = ""
    lease_seconds: float = Field(60.0, gt=1)
    drain_seconds: float = Field(300.0, ge=0)
    command_timeout: float = Field(10.0, gt=0)
    # A call still up after this long is asked about and hung up (ALLOTTED_TIMEOUT); one on a FreeSWITCH
    # unreachable that long is recorded lost. Keep it above the dialplan's sched_hangup.
    max_call_seconds: float = Field(3600.0, ge=60)
    log_level: LogLevel = "INFO"
    # HTTP API
    listen: str = "127.0.0.1:8080"  # HOST:PORT of the API
    api_tokens: SecretStr = SecretStr("")  # comma-separated bearer tokens; serve refuses to start without one
    public_docs: bool = False  # /openapi.json and /docs without a token
    http_client_timeout: float = Field(30.0, gt=0)  # idle wait, headers deadline, body grace (dialer/api/server.py)
    # connections the API holds at once; near it, the longest-idle ones are closed (dialer/api/server.py)
    http_max_connections: int = Field(1000, ge=16)
    probe_listen: str = ""  # HOST:PORT of a listener serving only /healthz and /readyz; "" = none
    domain_uuid: str = ""  # the tenant id the v3 dialect shows as domain_uuid
    max_import_bytes: int = Field(64 << 20, ge=1 << 20)  # bulk import and audio upload bodies
    # A bulk import's staged rows (not dialable yet) must be committed within this; a failed import's expire after it
    import_staging_seconds: float = Field(600.0, ge=10, le=86_400)
    idempotency_seconds: float = Field(86_400.0, ge=60, le=30 * 86_400)  # how long an Idempotency-Key's answer is kept
    api: bool = True  # false: engine only (e.g. a second dialer process sharing the Redis)
    # engine processes serve runs (--workers overrides): each its own engine, 1/N of each node's sps and reply window
    workers: int = Field(1, ge=1, le=64)
    # HMAC-SHA256 key for the X-Autocall-Signature header (docs/api-cdrs-webhooks.md)
    webhook_secret: SecretStr = SecretStr("")
    # callback_url / answer_callback_url may reach loopback, link-local and private addresses (a receiver
    # on the LAN, tests, the demo); off, the API refuses such URLs and the sender such resolved addresses
    webhook_allow_private: bool = False
    # FreeSWITCH's CDRs (mod_json_cdr, freeswitch-conf/autoload_configs/json_cdr.conf.xml): the password of
    # its Basic auth on POST /freeswitch/cdr; empty: CDRs are refused and unheard calls recorded lost
    cdr_secret: SecretStr = SecretStr("")
    # How long a call with no channel left waits for FreeSWITCH's CDR barrier before it is recorded lost
    cdr_wait_seconds: float = Field(60.0, ge=1, le=3600)
    # Autodialer campaigns' mod_callcenter queues, as POST /freeswitch/config serves them (docs/autodialer.md):
    # what a lead hears while it waits for an agent ("": silence), and how long it waits before it is
    # abandoned (max-wait-time; also the longest it is held while no agent is logged in)
    autodialer_moh: str = Field("tone_stream://%(1000,4000,425);loops=-1", max_length=1024)
    autodialer_max_wait: int = Field(5, ge=1, le=3600)
    # The FreeSWITCH node (its name in AUTOCALL_FREESWITCH) autodialer campaigns dial on: their agents are
    # users registered there ("": the first node)
    autodialer_node: str = ""
    # Predictive autodialer campaigns over-dial less as their abandon rate (24 h) nears this, and not at all at it
    abandon_cap_percent: float = Field(3.0, gt=0, le=100)
    # enable_encrypt campaigns: base64 of 32 random bytes (dialer/store/sealing.py); old keys only open
    encryption_key: SecretStr = SecretStr("")
    encryption_old_keys: SecretStr = SecretStr("")  # comma-separated, after a rotation
    # Speech (tts package): the engine that speaks autocall_voice_tts / _otp messages
    tts_engine: Literal["espeak", "http", "none"] = "espeak"
    # The voices file (TOML, docs/tts.md): named voices, their engines and fallbacks; when set, it replaces
    # tts_voice/_url/_key (AUTOCALL_TTS_ENGINE=none still turns speech off)
    tts_voices: str = ""
    tts_voice: str = ""  # espeak: "vi" when empty; http: the vendor's voice name
    tts_url: str = ""  # http engine: where to POST {"text", "voice"}
    tts_key: SecretStr = SecretStr("")  # http engine: sent as Authorization: Bearer <key>
    # A voice whose engine failed is skipped for this long (then one render probes it): its fallback speaks
    tts_cooldown_seconds: float = Field(30.0, ge=1, le=3600)
    tts_rate: TtsRate = 8000  # Hz
    tts_cache_bytes: int = Field(512 << 20, ge=1 << 20)  # bound of <audio_dir>/tts
    otp_pause_ms: int = Field(600, ge=100, le=3000)  # silence after each group of OTP digits (pairs)

    @field_validator("tts_voices")
    @classmethod
    def _voices_parse(cls, value: str) -> str:
        if value:
            from tts.voices import load  # the engines' settings models: only when a voices file is named

            load(value)  # VoicesError (a ValueError) names every problem
        return value

    def voice_book(self) -> VoiceBook | None:
        """The voices that speak (the voices file's, or the one AUTOCALL_TTS_ENGINE describes); None: no speech."""
        if self.tts_engine == "none":
            return None
        from tts import voices

        if self.tts_voices:
            return voices.load(self.tts_voices)
        return voices.single(
            self.tts_engine, url=self.tts_url, key=self.tts_key.get_secret_value(), voice=self.tts_voice
        )

    @field_validator("freeswitch")
    @classmethod
    def _nodes_parse(cls, value: SecretStr) -> SecretStr:
        for url in value.get_secret_value().split(","):
            if url.strip():
                NodeConfig.from_url(url)
        return value

    @model_validator(mode="after")
    def _autodialer_node_is_a_node(self) -> Settings:
        names = [node.name for node in self.nodes()]
        if self.autodialer_node and names and self.autodialer_node not in names:
            raise ValueError(
                f"AUTOCALL_AUTODIALER_NODE names no node of AUTOCALL_FREESWITCH (their names: {', '.join(names)}; "
                "a node is named by ?name= in its URL, else HOST:PORT)"
            )
        return self

    def autodialer_node_name(self) -> str:
        """The node autodialer campaigns dial on: AUTOCALL_AUTODIALER_NODE, else the first node's name."""
        names = [node.name for node in self.nodes()]
        return self.autodialer_node or (names[0] if names else "")

    @field_validator("redis_url")
    @classmethod
    def _redis_url_parses(cls, value: SecretStr) -> SecretStr:
        check_url(value.get_secret_value())  # a Sentinel URL's shape, the wait_* options
        return value

    @field_validator("encryption_key", "encryption_old_keys")
    @classmethod
    def _keys_parse(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        name = f"AUTOCALL_{str(info.field_name).upper()}"
        text = value.get_secret_value()
        if info.field_name == "encryption_key":
            if "," in text:
                raise ValueError(f"{name} is one key; old keys go in AUTOCALL_ENCRYPTION_OLD_KEYS")
            if text.strip():
                parse_key(text, name)
        else:
            for n, key in enumerate(k for k in text.split(",") if k.strip()):
                parse_key(key, f"{name}[{n}]")
        return value

    @field_validator("listen", "probe_listen")
    @classmethod
    def _listen_parses(cls, value: str, info: ValidationInfo) -> str:
        if value or info.field_name == "listen":
            parse_listen(value, f"AUTOCALL_{str(info.field_name).upper()}")
        return value

    def tokens(self) -> list[str]:
        return [t.strip() for t in self.api_tokens.get_secret_value().split(",") if t.strip()]

    def nodes(self) -> list[NodeConfig]:
        return [NodeConfig.from_url(url) for url in self.freeswitch.get_secret_value().split(",") if url.strip()]

    def secrets(self) -> list[str]:
        """Every secret these settings hold, for the log scrubber (dialer/logs.py)."""
        keys = [self.encryption_key.get_secret_value(), *self.encryption_old_keys.get_secret_value().split(",")]
        found = [*self.tokens(), *(n.password for n in self.nodes()), *keys]
        found += [s.get_secret_value() for s in (self.webhook_secret, self.cdr_secret, self.tts_key)]
        book = self.voice_book() if self.tts_voices else None
        if book is not None:
            found += book.secrets()  # the keys of the voices file (or those it took from the environment)
        found += secrets_in(self.redis_url.get_secret_value())  # the servers' password, a Sentinel's
        return [s.strip() for s in found if s.strip()]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword arguments, then AUTOCALL_* variables, then the file named in model_config (see load).
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)

    @classmethod
    def load(cls, path: str | None = None) -> Settings:
        """The settings of ``autocall serve --config PATH`` (YAML or JSON): the environment wins over the file.

        Raises ``OSError`` (no such file), ``ValueError`` (not a YAML mapping) or ``ValidationError``."""
        if not path:
            return cls()
        if not Path(path).is_file():  # the YAML source would skip a missing file without a word
            raise FileNotFoundError(f"no configuration file {path}")
        # The YAML source reads the file model_config names: a subclass names this one (and keeps the name).
        from_file = type(cls.__name__, (cls,), {"model_config": SettingsConfigDict(yaml_file=path)})
        try:
            return from_file()
        except ValidationError:
            raise
        except (yaml.YAMLError, ValueError) as exc:  # not YAML, or not a mapping
            raise ValueError(f"{path} is not a YAML mapping of setting names to values: {exc}") from None
