"""The bridge mod_callcenter makes between a member and the agent who answered (switch_ivr_uuid_bridge).

The member's channel leaves its application and gets, as in batch5: CHANNEL_EXECUTE of
``uuid_bridge`` (the agent's uuid; fired by hand, no Application-UUID) and CHANNEL_BRIDGE
(Bridge-A-Unique-ID: the member, Bridge-B-Unique-ID: the agent), both in CS_SOFT_EXECUTE; when the
bridge ends, CHANNEL_UNBRIDGE, then its dialplan goes on (CS_EXECUTE) or it hangs up. The agent's
softphone says who ends the conversation and when. mod_callcenter's agent thread looks at the agent
channel every 100 ms: it notices the end at its next look, so its events (bridge-agent-end,
member-queue-end) come after a member that hangs up at once has already hung up.

Left out: the channels' state changes of the transfer (CS_HIBERNATE, CS_RESET, CS_SOFT_EXECUTE,
CS_EXCHANGE_MEDIA), the CALL_UPDATEs, the agent's own uuid_bridge, and Other-Leg-* headers on the
channels' later events.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from simswitch.callcenter.events import MEMBER_DATA_FROM, channel_data, template_raw_common
from simswitch.far_end import remote_bye
from simswitch.templates import Template, library

if TYPE_CHECKING:
    from simswitch.calls import Channel
    from simswitch.switch import Switch

POLL = 0.1  # outbound_agent_thread_run's switch_yield(100000) while the agent channel is up
SOFT_EXECUTE = {"Channel-State": "CS_SOFT_EXECUTE", "Channel-State-Number": "3"}
# event -> (function, line of its switch_event_create in switch_ivr_bridge.c, headers after the common ones)
EVENTS: dict[str, tuple[str, str, list[list[str]]]] = {
    "CHANNEL_EXECUTE": ("uuid_bridge_on_soft_execute", "1236", []),
    "CHANNEL_BRIDGE": (
        "switch_ivr_multi_threaded_bridge",
        "1689",
        [["Bridge-A-Unique-ID", "@@uuid@@"], ["Bridge-B-Unique-ID", "@@cc_peer@@"]],
    ),
    "CHANNEL_UNBRIDGE": (
        "switch_ivr_multi_threaded_bridge",
        "1879",
        [["Bridge-A-Unique-ID", "@@uuid@@"], ["Bridge-B-Unique-ID", "@@cc_peer@@"]],
    ),
}


@cache
def template(event: str) -> Template:
    """The member's ``event`` of the bridge, on the member channel's captured data."""
    function, line, own = EVENTS[event]
    items = [[k, event if k == "Event-Name" else v] for k, v in template_raw_common()]
    items[-4:-1] = [  # Event-Calling-File, -Function, -Line-Number
        ["Event-Calling-File", "switch_ivr_bridge.c"],
        ["Event-Calling-Function", function],
        ["Event-Calling-Line-Number", line],
    ]
    data = [[k, SOFT_EXECUTE.get(k, v)] for k, v in channel_data(library().raw[MEMBER_DATA_FROM])]
    if event == "CHANNEL_EXECUTE":
        return Template(
            "callcenter:uuid_bridge",
            items + data + [["Application", "uuid_bridge"], ["Application-Data", "@@cc_peer@@"]],
        )
    return Template(f"callcenter:{event}", items + own + data)


def emit(sw: Switch, event: str, member_ch: Channel, agent_ch: Channel) -> None:
    ctx = {**member_ch.ctx, "cc_peer": agent_ch.uuid}
    if event == "CHANNEL_EXECUTE":  # Application and its data are the header rules' (its variables follow)
        ctx.update(app="uuid_bridge", app_data=agent_ch.uuid, app_no_data=False)
    sw.bus.emit(template(event), ctx)


def start(sw: Switch, member_ch: Channel, agent_ch: Channel) -> None:
    """uuid_bridge: the member's side of the bridge being set up."""
    emit(sw, "CHANNEL_EXECUTE", member_ch, agent_ch)
    emit(sw, "CHANNEL_BRIDGE", member_ch, agent_ch)


def talk(
    sw: Switch, member_ch: Channel, agent_ch: Channel, on_unbridge: Callable[[], None], on_end: Callable[[], None]
) -> None:
    """The conversation. The agent's softphone ends it after its talk time (``hangup: agent``), or
    the lead does (``hangup: lead``): the lead's own BYE gives way to it. Either side's hangup
    ends the bridge: the agent's lets the member go on (``on_unbridge``), the member's hangs the
    agent up; mod_callcenter notices at its next look (``on_end``)."""
    if member_ch.bye is not None:
        member_ch.bye.cancel()
    if agent_ch.outcome.hangup == "local":  # the lead ends it
        if agent_ch.bye is not None:
            agent_ch.bye.cancel()
        member_ch.bye = sw.sched.after(agent_ch.outcome.talk, remote_bye, sw, member_ch)
        member_ch.timers.append(member_ch.bye)
    bridged_at = sw.clock.now_us() / 1e6

    def member_gone() -> None:
        if not agent_ch.hung_up:
            sw.kill(agent_ch, "NORMAL_CLEARING")

    def agent_gone() -> None:
        if not member_ch.hung_up:
            emit(sw, "CHANNEL_UNBRIDGE", member_ch, agent_ch)
            on_unbridge()
        now = sw.clock.now_us() / 1e6
        next_look = bridged_at + POLL * max(1, math.ceil(round((now - bridged_at) / POLL, 6)))
        sw.sched.after(max(0.0, next_look - now), on_end)

    member_ch.on_hangup.append(member_gone)
    agent_ch.on_hangup.append(agent_gone)
