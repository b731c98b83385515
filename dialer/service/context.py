"""What every operation needs: the store, where audio lives, the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.store.store import Store


@dataclass(slots=True)
class Services:
    store: Store
    audio_dir: Path
    clock: Callable[[], float] = field(default=time.time)
    domain_uuid: str = ""  # the tenant id the v3 dialect echoes (AUTOCALL_DOMAIN_UUID)
    max_import_bytes: int = 64 << 20
    import_staging_s: float = 600.0  # AUTOCALL_IMPORT_STAGING_SECONDS: how long a bulk import's staged rows live
    idempotency_s: float = 86_400.0  # AUTOCALL_IDEMPOTENCY_SECONDS: how long an Idempotency-Key's answer is kept
    engine: Any = None  # the engine of this process, when it dials (/metrics, /readyz); None in API-only tests
    cdr_secret: str = field(default="", repr=False)  # AUTOCALL_CDR_SECRET: FreeSWITCH's CDRs (mod_json_cdr)
    # AUTOCALL_AUTODIALER_MOH, AUTOCALL_AUTODIALER_MAX_WAIT: the queues served to mod_xml_curl
    autodialer_moh: str = "tone_stream://%(1000,4000,425);loops=-1"
    autodialer_max_wait: int = 5
    # What the engines dial with (AUTOCALL_DEFAULT_GATEWAY, AUTOCALL_TTS_ENGINE): a start is refused
    # when the campaign could not place a call with them (dialer/service/readiness.py)
    default_gateway: str = ""
    speech: bool = True
    voices: tuple[str, ...] = ()  # the configured voices a template may name (AUTOCALL_TTS_VOICES)
    webhook_allow_private: bool = False  # AUTOCALL_WEBHOOK_ALLOW_PRIVATE: webhook URLs may name internal addresses
    engine_metrics: Any = None  # --workers N: every worker's engine families for /metrics (None: ``engine``'s)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def replicated(self, what: str) -> None:
        """Return once a replica has every write so far (with Sentinel: an answered change survives a
        failover); at once with one Redis. Raises StoreError when Redis does not answer."""
        self.store.replication.confirm(what)
