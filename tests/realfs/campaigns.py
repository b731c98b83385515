"""Campaigns through autocall's HTTP API, and what they did, read back from the API and Redis.

``start_campaign(autocall, numbers, **fields)`` does what a customer's integration does: POST
/v3/template (an 8 kHz mono PCM WAV in AUTOCALL_AUDIO_DIR), POST /v3/campaign, POST
/v3/autocall/import/bulk (CSV), POST /v1/campaign/{uuid}/run/start. ``Results`` reads the leads and
their attempts from Redis (dialer.store.store.Store) and the CDRs from GET /v3/autocall/cdr.
"""

from __future__ import annotations

import math
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.store.store import Store
from tests.realfs.autocall_serve import AutocallServe, wait_for

#: What autocall's settings must be for these tests, whatever the test changes.
BASE_CAMPAIGN = {
    "type": "autocall",
    "type_autocall": "autocall_audio",
    "mode_call": "direct",
    "recall_times": 0,
    "voicemail_detection": False,
}
#: Refusals autocall must never count as attempts (docs/engine.md, "FreeSWITCH as it really behaves").
NOT_DIALLED = ("DESTINATION_OUT_OF_ORDER", "CHAN_NOT_IMPLEMENTED")
NOT_COUNTED = "recalled, not counted"


def write_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A WAV FreeSWITCH plays as it is (RIFF, 16-bit PCM, mono, 8 kHz): a quiet 440 Hz tone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(seconds * rate)):
        frames += int(3000 * math.sin(2 * math.pi * 440 * i / rate)).to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


@dataclass
class Campaign:
    uuid: str
    leads: dict[str, str]  # number -> lead uuid
    calls: dict[str, str]  # number -> the uuid of its first call (FreeSWITCH's origination_uuid)
    spec: dict[str, Any] = field(default_factory=dict)


def start_campaign(
    autocall: AutocallServe,
    numbers: list[str],
    *,
    message_seconds: float = 1.0,
    start: bool = True,
    template: dict[str, Any] | None = None,
    param: dict[str, str] | None = None,
    **fields: Any,
) -> Campaign:
    """Template + campaign + CSV import (+ run/start) over HTTP; the leads by number.

    ``template``: the template's other fields (a TTS text, a prompt set, a voice) instead of a
    ``message_seconds`` WAV; ``param``: columns every row of the CSV has (a lead's ``param``)."""
    name = f"realfs-{uuid.uuid4().hex[:8]}"
    if template is None:
        audio = f"{name}.wav"
        write_wav(autocall.audio_dir / audio, message_seconds)
        template = {"audio_file": audio}
    made = autocall.api("POST", "/v3/template", {"template_name": name, **template})
    spec = {**BASE_CAMPAIGN, "campaign_name": name, "template_uuid": made["template_uuid"], **fields}
    campaign_uuid = autocall.api("POST", "/v3/campaign", spec)["campaign_uuid"]
    param = param or {}
    columns = "".join(f",{value}" for value in param.values())
    rows = "".join(f"{number},ext-{i:05d}{columns}\n" for i, number in enumerate(numbers))
    header = ",".join(["phone_number", "external_id", *param])
    imported = autocall.api(
        "POST",
        f"/v3/autocall/import/bulk?campaign_uuid={campaign_uuid}&with_leads=true",
        (header + "\n" + rows).encode(),
        "text/csv",
    )
    assert imported["imported"] == len(numbers), imported
    leads = {numbers[x["row"] - 1]: x["lead_uuid"] for x in imported["leads"]}
    calls = {numbers[x["row"] - 1]: x["call_id"] for x in imported["leads"]}
    campaign = Campaign(campaign_uuid, leads, calls, spec)
    if start:
        run(autocall, campaign)
    return campaign


def run(autocall: AutocallServe, campaign: Campaign) -> None:
    autocall.api("POST", f"/v1/campaign/{campaign.uuid}/run/start", {})


class Results:
    """A campaign's leads and attempts as Redis holds them, and its CDRs as the API serves them."""

    def __init__(self, store: Store, campaign: Campaign) -> None:
        self.store, self.campaign = store, campaign

    def lead(self, number: str) -> dict[str, str]:
        return self.store.leads.get(self.campaign.leads[number])

    def attempts(self, number: str) -> list[dict[str, str]]:
        """The lead's attempts (its CDRs in Redis), oldest first."""
        calls = self.store.r.lrange(self.store.keys.lead_calls(self.campaign.leads[number]), 0, -1)
        return [self.store.calls.get(c) for c in calls]

    def status(self, number: str) -> tuple[str, int]:
        """(the last attempt's recall_status, or "" before any; the attempts the lead used up)."""
        tried = self.attempts(number)
        return (tried[-1].get("recall_status", "") if tried else ""), int(self.lead(number).get("attempts") or 0)

    def waiting(self) -> int:
        """Leads not dialled yet (fresh, or pre-loaded in the hopper)."""
        sizes = self.store.reports.queue_sizes(self.campaign.uuid)
        return sizes["fresh"] + sizes["hopper"]

    def done(self) -> bool:
        return all(self.store.leads.get(x).get("state") == "done" for x in self.campaign.leads.values())

    def settled(self) -> bool:
        """Every lead done and no slot held: nothing more will happen."""
        sizes = self.store.reports.queue_sizes(self.campaign.uuid)
        return self.done() and sizes["in_flight"] == 0

    def wait_settled(self, timeout: float) -> None:
        wait_for(self.settled, timeout, f"campaign {self.campaign.uuid} settled: {self.summary()}", every=0.5)

    def summary(self) -> dict[str, int]:
        states: dict[str, int] = {}
        for lead in self.campaign.leads.values():
            state = self.store.leads.get(lead).get("state", "?")
            states[state] = states.get(state, 0) + 1
        return states

    def cdrs(self, autocall: AutocallServe) -> list[dict[str, Any]]:
        """Every CDR of the campaign from GET /v3/autocall/cdr (pages followed)."""
        out: list[dict[str, Any]] = []
        after = ""
        while True:
            page = autocall.api("GET", f"/v3/autocall/cdr?campaign_uuid={self.campaign.uuid}&limit=1000{after}")
            out += page["data"]
            if not page.get("next"):
                return out
            after = f"&after={page['next']}"

    def outcome(self, number: str) -> dict[str, Any]:
        """The lead's end as the comparison with the simulator sees it: its last attempt's CDR fields,
        and how many attempts counted."""
        last = self.attempts(number)[-1]
        return {
            "hangup_cause": last.get("hangup_cause"),
            "sip_status": last.get("sip_status"),
            "recall_status": last.get("recall_status"),
            "report_key": last.get("report_key"),
            "billsec": int(last.get("billsec") or 0),
            "attempts": int(self.lead(number).get("attempts") or 0),
        }
