"""FreeSWITCH's own CDR of a channel (mod_json_cdr), read as the hangup event it stands for.

mod_json_cdr writes one JSON document per channel when the channel is
reported (CS_REPORTING): ``core-uuid``, ``switchname``, ``channel_data``,
``callStats``, ``variables``, ``app_log``, ``callflow``
(../shared/esl-captures/batch2, section 6). Its ``variables`` are the
channel's variables, the same ones CHANNEL_HANGUP_COMPLETE carries as
``variable_*`` headers, URL-encoded when ``encode-values`` is on (the stock
setting). So a CDR gives the engine exactly the hangup fields it would have
taken from the event (:data:`HANGUP_FIELDS`), and a call whose hangup no
engine heard is recorded from it as if it had been heard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from dialer.esl.callcenter_events import QUEUE_FIELDS

# The fields of CHANNEL_HANGUP_COMPLETE a result needs (the event has ~150).
HANGUP_FIELDS = (
    "Unique-ID",
    "Hangup-Cause",
    "variable_sip_term_status",
    "variable_sip_hangup_disposition",
    "variable_billsec",
    "variable_duration",
    "variable_start_uepoch",
    "variable_answer_uepoch",
    "variable_end_uepoch",
    "variable_hangup_cause_q850",
    "Caller-Destination-Number",
    "variable_avmd_detect",
    # Absent when the dialplan never ran an application / never played the message (no context).
    "variable_last_app",
    "variable_playback_ms",
    # An autodialer lead's time in its mod_callcenter queue (callcenter_events.queue_outcome).
    *QUEUE_FIELDS,
)
# The CDR barrier (dialer/engine/cdr_wait.py): a channel of mod_loopback's null endpoint that ends at once.
PROBE_VARIABLE = "autocall_cdr_probe"


def probe_originate(probe_uuid: str) -> str:
    """The bgapi that makes FreeSWITCH write one CDR now, after every channel that already ended."""
    return f"bgapi originate {{origination_uuid={probe_uuid},{PROBE_VARIABLE}=true}}null/autocall-cdr-probe &hangup()"


# The channel variables behind the event's own headers (the rest are variable_<name>).
_HEADER_VARIABLES = {"Unique-ID": "uuid", "Hangup-Cause": "hangup_cause"}


class BadCdr(ValueError):
    """Not a mod_json_cdr document (or not one this reader understands)."""


@dataclass(frozen=True, slots=True)
class SwitchCdr:
    """One channel's CDR: whose call it is and what its hangup said."""

    leg: str  # the channel uuid (our origination_uuid)
    campaign: str  # autocall_campaign ("" for a channel autocall did not originate)
    call: str  # autocall_call
    hangup: dict[str, str]  # HANGUP_FIELDS that the CDR has, as the event would carry them
    probe: bool = False  # the CDR barrier's channel (probe_originate)

    @property
    def ours(self) -> bool:
        return bool(self.campaign and self.call)


def decode_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The CDR document of a POST: JSON (``encode`` false, what freeswitch-conf ships), or the form
    ``cdr=<url-encoded JSON>`` (``encode`` true). Told apart by the body, not the Content-Type: with
    ``disable-100-continue`` mod_json_cdr replaces its header list, and a JSON body goes out as
    ``application/x-www-form-urlencoded`` (tests/captures/batch3/null-probe)."""
    text = raw.decode("utf-8", "replace").strip()
    if not text.startswith("{"):
        values = parse_qs(text).get("cdr")
        if not values:
            raise BadCdr(f"neither JSON nor a form with a 'cdr' field (Content-Type {content_type or 'none'})")
        text = values[0]
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise BadCdr(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadCdr("not a JSON object")
    return doc


def read(doc: dict[str, Any]) -> SwitchCdr:
    variables = doc.get("variables")
    if not isinstance(variables, dict) or not isinstance(variables.get("uuid"), str):
        raise BadCdr("no 'variables' with the channel's 'uuid'")

    def value(name: str) -> str | None:
        v = variables.get(name)
        return unquote(v) if isinstance(v, str) else None  # encode-values: URL-encoded

    hangup: dict[str, str] = {}
    for field in HANGUP_FIELDS:
        v = value(_HEADER_VARIABLES.get(field) or field.removeprefix("variable_"))
        if v is not None and field != "Caller-Destination-Number":  # never kept: no number at rest
            hangup[field] = v
    return SwitchCdr(
        leg=hangup["Unique-ID"],
        campaign=value("autocall_campaign") or "",
        call=value("autocall_call") or "",
        hangup=hangup,
        probe=value(PROBE_VARIABLE) == "true",
    )
