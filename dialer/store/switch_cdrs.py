"""FreeSWITCH's CDRs (mod_json_cdr) kept for the calls whose hangup no engine may have heard.

A CDR of one of autocall's calls is kept in that call's hash as the hangup of
its leg (``hangup:<leg>``, keep_hangups.lua: only while the call still holds
its slot, so a call already recorded is never touched again). Whoever settles
the call then finds it there: adoption (adopt.lua returns it) or an engine
that saw the call's channel vanish (:meth:`SwitchCdrs.kept`). Writing the same
CDR twice (FreeSWITCH retrying a POST whose answer it lost) writes the same
field again: idempotent by channel uuid.
"""

from __future__ import annotations

import json

from dialer.store.store import Store

PROBE_TTL_MS = 3_600_000  # a barrier's CDR is looked for within minutes of it being sent


class SwitchCdrs:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.r = store.r
        self.keys = store.keys

    def keep(
        self, cdrs: list[tuple[str, str, str, dict[str, str]]], probes: list[str] | None = None
    ) -> tuple[int, list[str]]:
        """Keep (campaign, call, leg, hangup fields) of calls still in flight, and note that the CDRs
        of the barrier channels ``probes`` came (after every CDR before them). One round trip.
        Returns how many CDRs were kept, and the cause recorded for each CDR's call ("" in flight)."""
        if not cdrs and not probes:
            return 0, []
        pipe = self.r.pipeline(transaction=False)
        self.store.calls.keep_hangups(cdrs, client=pipe)
        for _, call, _, _ in cdrs:
            pipe.hget(self.keys.call(call), "hangup_cause")
        for probe in probes or ():
            pipe.set(self.keys.cdr_probe(probe), "1", px=PROBE_TTL_MS)
        answers = pipe.execute()
        kept = int(answers[0]) if cdrs else 0
        causes = [str(c or "") for c in answers[1 : 1 + len(cdrs)]] if cdrs else []
        return kept, causes

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

    def probe_came(self, probe: str) -> bool:
        """Whether the CDR of the barrier channel ``probe`` came."""
        return bool(self.r.exists(self.keys.cdr_probe(probe)))
