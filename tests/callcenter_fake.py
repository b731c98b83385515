"""A fake of the autodialer node's ``api`` command path holding a tiny mod_callcenter: agents, tiers and queues,
answered in the words of tests/captures/batch5 (cc-config). For the sync's unit tests until the simulator's
mod_callcenter is used over a real socket."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event

from dialer.esl.connection import NotConnectedError, Reply

AGENT_COLUMNS = (
    "name|instance_id|uuid|type|contact|status|state|max_no_answer|wrap_up_time|reject_delay_time|busy_delay_time|"
    "no_answer_delay_time|last_bridge_start|last_bridge_end|last_offered_call|last_status_change|no_answer_count|"
    "calls_answered|talk_time|ready_time|external_calls_count"
)


NUMBERS = ("max_no_answer", "wrap_up_time", "reject_delay_time", "busy_delay_time", "no_answer_delay_time")


class FakeCallcenter:
    def __init__(self) -> None:
        self.agents: dict[str, dict[str, str]] = {}
        self.tiers: list[tuple[str, str]] = []
        self.queues: set[str] = set()
        self.sent: list[str] = []  # every callcenter_config command, in order
        self.loaded = True  # False: FreeSWITCH without mod_callcenter
        # where its callcenter::info events go (each in a greenlet of its own, as a reader hands them on)
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def emit(self, **headers: str) -> None:
        event = {"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info"}
        event |= {k.replace("_", "-"): v for k, v in headers.items()}
        for listener in self.listeners:
            gevent.spawn(listener, dict(event))

    def set_agent(self, name: str, key: str, value: str) -> None:
        """What an agent's change does in mod_callcenter (cc_agent_update): the value, and its event."""
        self.agents[name][key] = value
        if key == "status":
            self.emit(CC_Agent=name, CC_Action="agent-status-change", CC_Agent_Status=value)
        elif key == "state":
            self.emit(CC_Agent=name, CC_Action="agent-state-change", CC_Agent_State=value)

    def answer(self, command: str) -> str:
        if not command.startswith("callcenter_config "):
            return "-ERR no reply\n"
        if not self.loaded:
            return "-ERR callcenter_config Command not found!\n"
        self.sent.append(command)
        words = shlex.split(command)[1:]  # single quotes group, as switch_separate_string does
        target, action, args = words[0], words[1], words[2:]
        return getattr(self, f"_{target}_{action}")(*args)

    def _agent_add(self, name: str, _type: str) -> str:
        if name in self.agents:
            return "-ERR Agent already exist!\n"
        self.agents[name] = {"contact": "", "status": "Logged Out", "state": "Waiting"}
        self.agents[name] |= dict.fromkeys(NUMBERS, "0")
        return "+OK\n"

    def _agent_del(self, name: str) -> str:
        self.agents.pop(name, None)
        self.tiers = [t for t in self.tiers if t[1] != name]
        return "+OK\n"

    def _agent_set(self, key: str, name: str, value: str) -> str:
        if name not in self.agents:
            return "-ERR Agent not found!\n"
        self.set_agent(name, key, value)
        return "+OK\n"

    def _agent_list(self) -> str:
        if not self.agents:
            return "+OK\n"
        rows = [
            f"{name}|single_box||callback|{a['contact']}|{a['status']}|{a['state']}|"
            + "|".join(a[k] for k in NUMBERS)
            + "|0|0|0|0|0|0|0|0|0"
            for name, a in self.agents.items()
        ]
        return "\n".join([AGENT_COLUMNS, *rows, "+OK"]) + "\n"

    def _tier_add(self, queue: str, agent: str, _level: str = "1", _position: str = "1") -> str:
        if agent not in self.agents:
            return "-ERR Agent not found!\n"
        if (queue, agent) in self.tiers:
            return "-ERR Tier already exist!\n"
        self.queues.add(queue)  # get_queue loads it
        self.tiers.append((queue, agent))
        return "+OK\n"

    def _tier_del(self, queue: str, agent: str) -> str:
        self.tiers = [t for t in self.tiers if t != (queue, agent)]
        return "+OK\n"

    def _tier_list(self) -> str:
        if not self.tiers:
            return "+OK\n"
        rows = [f"{q}|{a}|Ready|1|1" for q, a in self.tiers]
        return "\n".join(["queue|agent|state|level|position", *rows, "+OK"]) + "\n"

    def _queue_load(self, queue: str) -> str:
        self.queues.add(queue)
        return "+OK\n"

    def _queue_reload(self, queue: str) -> str:
        return self._queue_load(queue)


class FakeNode:
    """What the sync uses of a Node: its name, ``up`` and ``api_many``."""

    def __init__(self, callcenter: FakeCallcenter, name: str = "fs1") -> None:
        self.name = name
        self.callcenter = callcenter
        self.up = gevent.event.Event()
        self.up.set()

    def api_many(self, commands: list[str]) -> list[Reply]:
        if not self.up.is_set():
            raise NotConnectedError(f"{self.name}: not connected")
        return [Reply({}, self.callcenter.answer(command)) for command in commands]
