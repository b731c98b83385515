"""An originate's legs: from a dial string's endpoint to a new channel, or to the failure that makes none.

``start_leg`` is switch_ivr_originate's per-leg part: the endpoint decides (sofia, loopback, null,
error/, unknown), the core may refuse the session (limits.py), and a created channel gets its
event values, its applications (``&app`` or the dialplan's) and the far end's answer (far_end.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simswitch import far_end
from simswitch.apps import variable
from simswitch.calls import SETUP, Channel, OriginateJob
from simswitch.causes import str2cause
from simswitch.dialplan_xml import NO_ROUTE, route_cached
from simswitch.dialstring import Endpoint, Leg, parse_endpoint
from simswitch.ids import random_uuid, uuid4_text
from simswitch.loopback import loopback
from simswitch.null_endpoint import null_channel

if TYPE_CHECKING:
    from simswitch.switch import Switch

DEFAULT_DOMAIN = "127.0.0.1"  # $${domain} of the stock vars.xml on a box whose address is 127.0.0.1


def start_leg(sw: Switch, job: OriginateJob, leg: Leg, index: int) -> None:
    """Create leg ``index`` of ``job``'s current group, or record why it could not be created."""
    ep = parse_endpoint(leg.endpoint)
    variables = job.spec.leg_vars(leg)
    ch_uuid = next((v for k, v in variables if k == "origination_uuid"), None) or random_uuid()
    sw.stats.attempts_by_number[ep.user] += 1
    # Failures that never create a channel: no channel events at all.
    early_cause = None
    outcome = None
    if ep.raw.startswith("user/"):  # a directory user: its softphone (scenario ``agents``), if registered
        user_dial_string(sw, ep)
        outcome = sw.scenario.user_outcome(ep.user, sw.rng, sw.stats.attempts_by_number[ep.user])
    if ep.kind == "error":
        early_cause = str2cause(ep.user)
    elif ep.kind == "unknown" or (sw.endpoints_gone and ep.kind != "loopback"):
        early_cause = "CHAN_NOT_IMPLEMENTED"  # no such endpoint (or mod_sofia unloaded at shutdown)
    elif ep.kind == "sofia" and not ep.gateway and ep.profile not in sw.profiles:
        lone_destroy(sw, job, ch_uuid, index, "INVALID_PROFILE")
        return
    elif ep.kind == "sofia" and not ep.user:
        lone_destroy(sw, job, ch_uuid, index, "USER_NOT_REGISTERED")
        return
    elif ep.raw.startswith("user/") and outcome is None:
        early_cause = "USER_NOT_REGISTERED"  # the user's dial string is error/user_not_registered
    elif ch_uuid in sw.channels or ch_uuid in job.used_uuids:
        early_cause = "DESTINATION_OUT_OF_ORDER"  # [CRIT] Duplicate UUID!
    elif not sw.take_session():
        early_cause = "DESTINATION_OUT_OF_ORDER"  # Throttle Error! / Over Session Limit!
    if early_cause is not None:
        sw.stats.by_cause[early_cause] += 1
        if job.leg_failed(index, early_cause):
            job.finish(f"-ERR {early_cause}\n")
        return
    job.used_uuids.add(ch_uuid)
    if ep.kind == "loopback":
        loopback(sw, job, ep, leg, ch_uuid, index)
        return
    if ep.kind == "null":
        null_channel(sw, job, ep, variables, ch_uuid)
        return
    if outcome is None:
        outcome = sw.scenario.outcome(ep.user, sw.rng)
    if outcome.kind == "answer":
        src = "early" if outcome.early_media is not None else "bye"
    elif outcome.kind == "no_answer" or outcome.ring > 0.5:
        src = "cancel"
    else:
        src = "refuse"
    ch = Channel(ch_uuid, ep, job, outcome, src, leg_ctx(sw, ch_uuid, ep, job, variables), index=index)
    if job.spec.app:
        ch.apps = [(job.spec.app, job.spec.app_data)]
    else:
        ch.apps = dialplan(sw, ch, job.spec.context)
        if ch.apps[:1] != [(NO_ROUTE, "")]:
            ch.ctx["extension"] = list(ch.apps)  # the CDR's callflow lists the extension's applications
        if ep.gateway:  # autocall's own call: gateway into the dialplan (batch2 templates)
            routed = "gwnoroute" if ch.apps[:1] == [(NO_ROUTE, "")] else "gwdp"
            ch.src = {"refuse": "gwrefuse", "bye": routed}.get(src, src)
    sw.add_channel(ch)
    for slot in SETUP:
        sw.emit(ch, slot)
    far_end.schedule_outcome(sw, ch)


def user_dial_string(sw: Switch, ep: Endpoint) -> None:
    """mod_dptools' user endpoint expands the user's dial-string, as the stock directory writes it:
    ``${sofia_contact(*/<user>@<domain>)},${verto_contact(<user>@<domain>)}``, two api calls (batch5)."""
    domain = ep.raw.partition("@")[2] or DEFAULT_DOMAIN
    template = sw.templates["refuse:API"]
    for cmd, arg in (("sofia_contact", f"*/{ep.user}@{domain}"), ("verto_contact", f"{ep.user}@{domain}")):
        sw.bus.emit(template, {**sw.bus.base, "api_cmd": cmd, "api_arg": arg})


def leg_ctx(
    sw: Switch, ch_uuid: str, ep: Endpoint, job: OriginateJob, variables: list[tuple[str, str]]
) -> dict[str, Any]:
    """The values a new channel's events are rendered from (templates.py); ``variables``: the leg's."""
    spec = job.spec
    cid = next((v for k, v in variables if k == "origination_caller_id_number"), None)
    if cid is None:
        cid = spec.cid_num or "0000000000"
    return {
        **sw.bus.base,
        "uuid": ch_uuid,
        "channel_name": ep.channel_name,
        "dest": ep.user,
        "sip_port": ep.port,
        "sip_hostport": f"{ep.host}:{ep.port}",
        "sip_uri": f"{ep.user}@{ep.host}:{ep.port}",
        "gateway": ep.gateway,
        "exten": spec.exten or "",
        "context": spec.context or "",
        "cid_num": cid,
        "originate_vars": list(variables),
        "session_id": next(sw.session_ids),
        "sip_call_id": uuid4_text(sw.rng.getrandbits(128)),
        "media_port": str(16384 + sw.rng.randrange(16384) * 2),
        "created_us": sw.clock.now_us(),
    }


def dialplan(sw: Switch, ch: Channel, context: str) -> list[tuple[str, str]]:
    """The applications a leg sent into ``context`` runs: the scenario's dialplan for that context,
    else park (the call lasts until the far end or uuid_kill ends it)."""
    # Conditions on channel variables are decided now, from the originate's
    # variables, as mod_dialplan_xml decides them when the call is routed.
    apps = sw.scenario.dialplan.get(context)
    if apps is None:
        return [(NO_ROUTE, "")]  # no such context: hung up NO_ROUTE_DESTINATION when routed
    return route_cached(apps, lambda name: variable(ch, name)) if apps else [("park", "")]


def lone_destroy(sw: Switch, job: OriginateJob, ch_uuid: str, index: int, cause: str) -> None:
    """A session was requested and dropped before it had a channel: a lone
    CHANNEL_DESTROY (Channel-Name N/A), then the job's -ERR (captures:
    bgapi-bad-profile; api-misc for an empty sofia target)."""
    ctx = {**sw.bus.base, "uuid": ch_uuid, "originate_vars": []}
    sw.bus.emit(sw.templates["badprofile:CHANNEL_DESTROY"], ctx)
    sw.bus.emit(sw.templates["badprofile:CHANNEL_STATE(CS_DESTROY)"], ctx)
    sw.stats.by_cause[cause] += 1
    if job.leg_failed(index, cause):
        job.finish(f"-ERR {cause}\n")
