"""mod_callcenter's ``CUSTOM callcenter::info`` events, with its header names in its order.

Each event is what mod_callcenter.c 1.10.12 builds: switch_event_create_subclass (the common
headers, Event-Calling-Function and -Line-Number where the module creates it), for the events
that carry a channel the channel's data (switch_channel_event_set_data: the member's, or for
bridge-agent-start/-end the agent's), then its ``CC-*`` headers. As mod_event_socket hands a
listener a copy (switch_event_dup), ``Event-Subclass`` comes first, as in every captured CUSTOM
event. The common headers and the channel's data are cut from captured events (the
gateway call in the dialplan for a member, the answered sofia leg for an agent). batch5 recorded
every one of them: the names and order of their headers are these (tests/test_simswitch_callcenter_events.py).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from simswitch.templates import Template, library

if TYPE_CHECKING:
    from simswitch.calls import Channel
    from simswitch.switch import Switch

SUBCLASS = "callcenter::info"
FILE = "mod_callcenter.c"
COMMON_FROM = "core:HEARTBEAT"  # its headers up to Event-Sequence are every event's common headers
MEMBER_DATA_FROM = "gwdp:CHANNEL_EXECUTE(playback)"  # a gateway call running the dialplan
AGENT_DATA_FROM = "bye:CHANNEL_ANSWER"  # an answered sofia leg
NOT_CHANNEL_DATA = {"Application", "Application-Data", "Application-UUID", "Application-Response"}

_MEMBER = [
    ("CC-Member-UUID", "@@cc_member_uuid@@"),
    ("CC-Member-Session-UUID", "@@cc_member_session_uuid@@"),
    ("CC-Member-CID-Name", "@@cc_member_cid_name@@"),
    ("CC-Member-CID-Number", "@@cc_member_cid_number@@"),
]
_AGENT = [("CC-Agent", "@@cc_agent@@"), ("CC-Agent-System", "single_box")]
# action -> (function, line of its switch_event_create_subclass, whose channel data, its CC headers)
EVENTS: dict[str, tuple[str, int, str, list[tuple[str, str]]]] = {
    "agent-add": (
        "cc_agent_add",
        915,
        "",
        [("CC-Agent", "@@cc_agent@@"), ("CC-Agent-Type", "@@cc_agent_type@@"), ("CC-Action", "agent-add")],
    ),
    "agent-status-change": (
        "cc_agent_update",
        1043,
        "",
        [("CC-Agent", "@@cc_agent@@"), ("CC-Action", "agent-status-change"), ("CC-Agent-Status", "@@cc_value@@")],
    ),
    "agent-state-change": (
        "cc_agent_update",
        1067,
        "",
        [("CC-Agent", "@@cc_agent@@"), ("CC-Action", "agent-state-change"), ("CC-Agent-State", "@@cc_value@@")],
    ),
    "agent-contact-change": (
        "cc_agent_update",
        1091,
        "",
        [("CC-Agent", "@@cc_agent@@"), ("CC-Action", "agent-contact-change"), ("CC-Agent-Contact", "@@cc_value@@")],
    ),
    "agent-status-get": (
        "cc_agent_get",
        970,
        "",
        [("CC-Agent", "@@cc_agent@@"), ("CC-Action", "agent-status-get"), ("CC-Agent-Status", "@@cc_value@@")],
    ),
    "agent-state-get": (
        "cc_agent_get",
        970,
        "",
        [("CC-Agent", "@@cc_agent@@"), ("CC-Action", "agent-state-get"), ("CC-Agent-State", "@@cc_value@@")],
    ),
    "agent-uuid-get": (
        "cc_agent_get",
        970,
        "",
        [("CC-Agent", "@@cc_agent@@"), ("CC-Action", "agent-uuid-get"), ("CC-Agent-UUID", "@@cc_value@@")],
    ),
    "members-count": (
        "cc_queue_count",
        878,
        "",
        [
            ("CC-Queue", "@@cc_queue@@"),
            ("CC-Action", "members-count"),
            ("CC-Count", "@@cc_count@@"),
            ("CC-Selection", "@@cc_selection@@"),
        ],
    ),
    "member-queue-start": (
        "callcenter_function",
        3113,
        "member",
        [("CC-Queue", "@@cc_queue@@"), ("CC-Action", "member-queue-start"), *_MEMBER],
    ),
    "member-queue-resume": (
        "callcenter_function",
        3113,
        "member",
        [("CC-Queue", "@@cc_queue@@"), ("CC-Action", "member-queue-resume"), *_MEMBER],
    ),
    "member-queue-end(cancel)": (
        "callcenter_function",
        3274,
        "member",
        [
            ("CC-Queue", "@@cc_queue@@"),
            ("CC-Action", "member-queue-end"),
            ("CC-Member-Leaving-Time", "@@cc_leaving@@"),
            ("CC-Member-Joined-Time", "@@cc_joined@@"),
            ("CC-Cause", "Cancel"),
            ("CC-Cancel-Reason", "@@cc_cancel_reason@@"),
            *_MEMBER,
        ],
    ),
    "agent-offering": (
        "outbound_agent_thread_run",
        1717,
        "",
        [
            ("CC-Queue", "@@cc_queue@@"),
            ("CC-Action", "agent-offering"),
            ("CC-Agent", "@@cc_agent@@"),
            ("CC-Agent-Type", "@@cc_agent_type@@"),
            ("CC-Agent-System", "single_box"),
            *_MEMBER,
            ("CC-Member-DNIS", "@@cc_member_dnis@@"),
        ],
    ),
    "bridge-agent-start": (
        "outbound_agent_thread_run",
        1934,
        "agent",
        [
            ("CC-Queue", "@@cc_queue@@"),
            ("CC-Action", "bridge-agent-start"),
            *_AGENT,
            ("CC-Agent-UUID", "@@cc_agent_uuid@@"),
            ("CC-Agent-Called-Time", "@@cc_called@@"),
            ("CC-Agent-Answered-Time", "@@cc_answered@@"),
            ("CC-Member-Joined-Time", "@@cc_joined@@"),
            *_MEMBER,
            ("CC-Member-DNIS", "@@cc_member_dnis@@"),
        ],
    ),
    "bridge-agent-end": (
        "outbound_agent_thread_run",
        2062,
        "agent",
        [
            ("CC-Queue", "@@cc_queue@@"),
            ("CC-Action", "bridge-agent-end"),
            ("CC-Hangup-Cause", "@@cc_hangup_cause@@"),
            *_AGENT,
            ("CC-Agent-UUID", "@@cc_agent_uuid@@"),
            ("CC-Agent-Bridged", "@@cc_bridged@@"),
            ("CC-Agent-Called-Time", "@@cc_called@@"),
            ("CC-Agent-Answered-Time", "@@cc_answered@@"),
            ("CC-Member-Joined-Time", "@@cc_joined@@"),
            ("CC-Bridge-Terminated-Time", "@@cc_terminated@@"),
            *_MEMBER,
        ],
    ),
    "member-queue-end(terminated)": (
        "outbound_agent_thread_run",
        2098,
        "member",
        [
            ("CC-Queue", "@@cc_queue@@"),
            ("CC-Action", "member-queue-end"),
            ("CC-Hangup-Cause", "@@cc_hangup_cause@@"),
            ("CC-Cause", "Terminated"),
            *_AGENT,
            ("CC-Agent-UUID", "@@cc_agent_uuid@@"),
            ("CC-Agent-Called-Time", "@@cc_called@@"),
            ("CC-Agent-Answered-Time", "@@cc_answered@@"),
            ("CC-Member-Leaving-Time", "@@cc_leaving@@"),
            ("CC-Member-Joined-Time", "@@cc_joined@@"),
            *_MEMBER,
        ],
    ),
    "agent-max-no-answer": (
        "outbound_agent_thread_run",
        2176,
        "",
        [
            ("CC-Agent", "@@cc_agent@@"),
            ("CC-Action", "agent-max-no-answer"),
            ("CC-Agent-No-Answer-Count", "@@cc_count@@"),
            ("CC-Agent-No-Answer-Status", "@@cc_value@@"),
            ("CC-Member-UUID", "@@cc_member_uuid@@"),
            ("CC-Member-Session-UUID", "@@cc_member_session_uuid@@"),
        ],
    ),
    "bridge-agent-fail": (
        "outbound_agent_thread_run",
        2200,
        "",
        [
            ("CC-Queue", "@@cc_queue@@"),
            ("CC-Action", "bridge-agent-fail"),
            ("CC-Hangup-Cause", "@@cc_hangup_cause@@"),
            *_AGENT,
            ("CC-Agent-Called-Time", "@@cc_called@@"),
            ("CC-Agent-Aborted-Time", "@@cc_aborted@@"),
            *_MEMBER,
            ("CC-Member-Joined-Time", "@@cc_joined@@"),
        ],
    ),
}


@cache
def template(action: str, empty: tuple[str, ...] = ()) -> Template:
    """The event ``action`` (a key of EVENTS) as a template, without the headers whose values are
    ``empty`` (switch_event_add_header_string adds no header for an empty value: batch5's
    agent-uuid-get of an agent with no uuid has no CC-Agent-UUID)."""
    lib = library()
    function, line, data, cc_headers = EVENTS[action]
    cc_headers = [(k, v) for k, v in cc_headers if v.strip("@") not in empty]
    items: list[list[str]] = [["Event-Subclass", SUBCLASS]]
    for k, v in template_raw_common():
        v = {
            "Event-Name": "CUSTOM",
            "Event-Calling-File": FILE,
            "Event-Calling-Function": function,
            "Event-Calling-Line-Number": str(line),
        }.get(k, v)
        items.append([k, v])
    if data:
        items += channel_data(lib.raw[MEMBER_DATA_FROM if data == "member" else AGENT_DATA_FROM])
    items += [[k, v] for k, v in cc_headers]
    return Template(f"callcenter:{action}", items)


def template_raw_common() -> list[list[str]]:
    """Every event's common headers (switch_event_prep_for_delivery), Event-Name to Event-Sequence, as captured."""
    common = library().raw[COMMON_FROM]
    return common[: next(i for i, (k, _) in enumerate(common) if k == "Event-Sequence") + 1]


def channel_data(event: list[list[str]]) -> list[list[str]]:
    """switch_channel_event_set_data's part of a captured channel event: what follows the common headers."""
    start = next(i for i, (k, _) in enumerate(event) if k == "Event-Sequence") + 1
    out = [[k, v] for k, v in event[start:] if k not in NOT_CHANNEL_DATA]
    if not any(k == "Hangup-Cause" for k, _ in out):  # a hung-up channel's data has its cause (a header rule)
        at = next(i for i, (k, _) in enumerate(out) if k == "Answer-State") + 1
        out.insert(at, ["Hangup-Cause", ""])
    return out


def fire(sw: Switch, action: str, values: dict[str, Any], ch: Channel | None = None) -> None:
    """Fire ``action`` with its CC values (``cc_*`` keys), over ``ch``'s data when it carries a channel's."""
    ctx = {**(ch.ctx if ch is not None else sw.bus.base), **values}
    empty = tuple(sorted(k for k, v in values.items() if v == ""))
    sw.bus.emit(template(action, empty), ctx, SUBCLASS)
