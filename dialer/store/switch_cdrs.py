"""FreeSWITCH's CDRs (mod_json_cdr) kept for the calls whose hangup no engine may have heard.

A CDR of one of autocall's calls is kept in that call's hash as the hangup of
its leg (``hangup:<leg>``, keep_hangups.lua: only while the call still holds
its slot, so a call already recorded is never touched again), exactly where
an engine keeps a hangup it heard for another engine's call. Whoever settles
the call then finds it there: adoption (adopt.lua returns it) or an engine
that saw the call's channel vanish (:meth:`SwitchCdrs.kept`). Writing the same
CDR twice (FreeSWITCH retrying a POST whose answer it lost) writes the same
field again: idempotent by channel uuid.
"""

from __future__ import annotations

import json

from dialer.store.store import Store


class SwitchCdrs:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.r = store.r
        self.keys = store.keys

    def keep(self, cdrs: list[tuple[str, str, str, dict[str, str]]], cores: dict[str, int]) -> int:
        """Keep (campaign, call, leg, hangup fields) of calls still in flight, and note when each
        FreeSWITCH process (Core-UUID -> ms) last delivered a CDR. Returns how many were kept."""
        kept = self.store.keep_hangups(cdrs) if cdrs else 0
        if cores:
            self.r.hset(self.keys.switch_cdrs, mapping={core: str(ms) for core, ms in cores.items()})
        return kept

    def kept(self, calls: list[str]) -> dict[str, dict[str, dict[str, str]]]:
        """The hangups kept for these calls: call -> leg -> hangup fields (calls with none left out)."""
        if not calls:
            return {}
        pipe = self.r.pipeline(transaction=False)
        for call in calls:
            pipe.hgetall(self.keys.call(call))
        out: dict[str, dict[str, dict[str, str]]] = {}
        for call, data in zip(calls, pipe.execute(), strict=True):
            legs = {f[7:]: json.loads(v) for f, v in (data or {}).items() if f.startswith("hangup:")}
            if legs:
                out[call] = legs
        return out

    def last_cdr_ms(self, core_uuid: str) -> int:
        """When the FreeSWITCH process ``core_uuid`` last delivered a CDR (0: never)."""
        if not core_uuid:
            return 0
        return int(self.r.hget(self.keys.switch_cdrs, core_uuid) or 0)

    def recorded_cause(self, call: str) -> str:
        """The hangup cause recorded for a finished call ("" while it is in flight or unknown)."""
        return str(self.r.hget(self.keys.call(call), "hangup_cause") or "")
