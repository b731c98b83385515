"""What the simulated core says about itself: its version, its modules, its uptime and the HEARTBEAT's values."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simswitch.switch import Switch

VERSION_TEXT = "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)"
# The modules of a FreeSWITCH built for autocall (FREESWITCH-BUILD.md), as ``module_exists`` names them.
MODULES = frozenset(
    (
        "mod_console mod_logfile mod_event_socket mod_sofia mod_loopback mod_commands mod_dptools mod_db mod_hash"
        " mod_expr mod_avmd mod_dialplan_xml mod_sndfile mod_native_file mod_tone_stream mod_json_cdr"
        " mod_callcenter mod_xml_curl"
    ).split()
)


def heartbeat_ctx(sw: Switch) -> dict[str, Any]:
    """The values of a HEARTBEAT event (and of ``status``): uptime, sessions, peaks."""
    up = time.time() - sw.started
    return {
        **sw.bus.base,
        "uptime_text": uptime_text(up),
        "uptime_ms": int(up * 1000),
        "session_count": len(sw.channels),
        **sw.sessions.heartbeat(),
        "since_startup": sw.since_startup,
        "peak_max": sw.stats.peak_concurrent,
        "peak_fivemin": sw.stats.peak_concurrent,
        "task_runtime": int(time.time()) + 20,
    }


def uptime_text(seconds: float) -> str:
    """``status``'s and the HEARTBEAT's Up-Time: "0 years, 0 days, … microseconds"."""
    s = int(seconds)
    ms = int((seconds - s) * 1000)
    us = int((seconds - s) * 1_000_000) % 1000
    y, s = divmod(s, 365 * 86400)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{y} years, {d} days, {h} hours, {m} minutes, {s} seconds, {ms} milliseconds, {us} microseconds"
