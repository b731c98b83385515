"""mod_loopback's ``null`` endpoint, as autocall uses it: the CDR barrier.

``bgapi originate {origination_uuid=U,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()``
(tests/captures/batch3/null-probe, FreeSWITCH 1.10.12): the channel answers by
itself, runs ``hangup`` and ends NORMAL_CLEARING within ~3 ms; the job says
``+OK U``; mod_json_cdr writes its CDR after every CDR queued before it. A
refused session (sps, max-sessions) has no channel and no CDR.

Simulated: the session, the job result and the CDR. Not simulated: its channel
events (CHANNEL_CREATE … CHANNEL_DESTROY), which carry no call of autocall's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simswitch.json_cdr import Cdr
from simswitch.json_cdr_doc import cdr_text

if TYPE_CHECKING:
    from simswitch.calls import OriginateJob
    from simswitch.dialstring import Endpoint
    from simswitch.switch import Switch


def null_channel(
    switch: Switch, job: OriginateJob, endpoint: Endpoint, variables: list[tuple[str, str]], ch_uuid: str
) -> None:
    now = switch.clock.now_us()
    sec = str(now // 1_000_000)
    headers = [
        ("Core-UUID", switch.core_uuid),
        ("FreeSWITCH-Switchname", switch.hostname),
        ("Call-Direction", "outbound"),
        ("Unique-ID", ch_uuid),
        ("Caller-Channel-Answered-Time", str(now)),
    ]
    channel = {
        "direction": "outbound",
        "uuid": ch_uuid,
        "call_uuid": ch_uuid,
        "channel_name": f"null/{endpoint.user}",
        "originate_endpoint": "null",
        "endpoint_disposition": "ANSWER",
        "hangup_cause": "NORMAL_CLEARING",
        "hangup_cause_q850": "16",
        "last_app": "hangup",
        "start_epoch": sec,
        "start_uepoch": str(now),
        "answer_epoch": sec,
        "answer_uepoch": str(now),
        "end_epoch": sec,
        "end_uepoch": str(now),
        "duration": "0",
        "billsec": "0",
        "billmsec": "0",
        "answersec": "0",
    }
    headers += [(f"variable_{k}", v) for k, v in [*variables, *channel.items()]]
    switch.stats.by_cause["NORMAL_CLEARING"] += 1
    job.finish(f"+OK {ch_uuid}\n")
    module = switch.json_cdr
    if module is not None and not module.shutdown:
        module.on_reporting(Cdr(ch_uuid, cdr_text(headers, encode_values=module.settings.encode_values)))
