"""One FreeSWITCH's mod_callcenter: its tables, its loaded queues, and the verbs that change them
(mod_callcenter.c's cc_agent_add/update/get, cc_tier_add/update/del, get_queue/load_queue,
cc_queue_count), each firing the events FreeSWITCH fires.

The other modules of this package act through it: ``config_api`` (callcenter_config), ``member``
(the ``callcenter`` application), ``dispatch`` (the agent dispatch thread), ``agent_call`` (one
offer to one agent). Time is the simulator's: mod_callcenter counts in whole epoch seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent

from simswitch.callcenter import config_source, events
from simswitch.callcenter.config_source import CallCenterSettings
from simswitch.callcenter.hashtable import SwitchHash
from simswitch.callcenter.model import (
    AGENT_STATES,
    AGENT_STATUSES,
    AVAILABLE,
    CALLBACK,
    M_ANSWERED,
    RECEIVING,
    TIER_STATES,
    UUID_STANDBY,
    WAITING,
    Agent,
    Tables,
    Tier,
    lookup,
    same,
)
from simswitch.callcenter.queues import CallcenterConf, Queue, atoi, parse_conf, parse_params
from simswitch.xml_curl import XmlCurl

if TYPE_CHECKING:
    from simswitch.calls import Channel
    from simswitch.clock import Timer
    from simswitch.switch import Switch

OK = "ok"  # cc_status_t values, by name: CC_STATUS_SUCCESS ...
AGENT_NOT_FOUND, QUEUE_NOT_FOUND, AGENT_EXISTS = "agent_not_found", "queue_not_found", "agent_exists"
INVALID_TYPE, INVALID_STATUS, INVALID_STATE = "invalid_type", "invalid_status", "invalid_state"
TIER_EXISTS, TIER_NOT_FOUND, TIER_INVALID_STATE, INVALID_KEY = "tier_exists", "tier_not_found", "tier_state", "key"
DISPATCH_PERIOD = 0.1  # cc_agent_dispatch_thread_run's switch_yield(100000)
AGENT_INT_KEYS = ("max_no_answer", "wrap_up_time")  # atoi()
AGENT_LONG_KEYS = ("ready_time", "busy_delay_time", "reject_delay_time", "no_answer_delay_time")  # atol()


@dataclass
class MemberSession:
    """What a member's session and its member thread know while it is in the ``callcenter`` application."""

    channel: Channel
    queue: str
    member_uuid: str
    joined: int  # t_member_called, epoch seconds
    joined_at: float  # the simulated moment (the member thread's 0.5 s ticks start there)
    cid_name: str
    cid_number: str
    cancel_reason: str = "NONE"
    connecting: int = 0  # CC_APP_AGENT_CONNECTING: an agent of this member is being rung
    timeout_due: bool = False  # max-wait-time passed while connecting: cancel once it ends
    agent_found: bool = False  # cc_agent_found
    bridged: bool = False  # cc_agent_bridged
    left: bool = False  # the application returned
    timers: list[Timer] = field(default_factory=list)


class CallCenter:
    def __init__(self, sw: Switch, settings: CallCenterSettings) -> None:
        self.sw = sw
        self.settings = settings
        self.tables = Tables()
        self.queues: SwitchHash[Queue] = SwitchHash()  # globals.queue_hash: ``queue list`` prints its order
        self.xml_curl = XmlCurl(settings.bindings)
        self.sessions: dict[str, MemberSession] = {}  # member uuid -> its session, while in the application
        self.agent_originate_timeout = 60
        self._loading: dict[str, list[Callable[[Queue | None], None]]] = {}
        self._wake: Timer | None = None
        self._woken_at: float | None = None  # when the pass set up runs (simulated seconds)
        self._last_pass = -1.0
        # The package wires its modules in (simswitch/callcenter/__init__.py).
        self.dispatch: Callable[[], None] = lambda: None
        self.app: Callable[[Channel, str], None] = lambda ch, data: None
        self.api: Callable[[str, Callable[[str], None]], None] = lambda arg, reply: reply("")

    # -- time and the dispatcher --------------------------------------------------------
    def epoch(self) -> int:
        """local_epoch_time_now(): whole seconds of the simulator's clock."""
        return self.sw.clock.now_us() // 1_000_000

    def wake(self, after: float = 0.0) -> None:
        """Have a dispatch pass run ``after`` simulated seconds from now. The module's dispatch
        thread runs a pass every 100 ms; here a pass runs when something it looks at changed or
        comes due, never sooner than 100 ms after the previous one (an agent that fails at once is
        offered again 100 ms later, as in batch5)."""
        now = self.sw.clock.now_us() / 1e6
        at = max(now + after, self._last_pass + DISPATCH_PERIOD)
        if self._wake is not None and self._woken_at is not None:
            if self._woken_at <= at:
                return
            self._wake.cancel()
        self._woken_at = at
        self._wake = self.sw.sched.after(at - now, self._run_dispatch)

    def _run_dispatch(self) -> None:
        self._wake = self._woken_at = None
        self._last_pass = self.sw.clock.now_us() / 1e6
        self.dispatch()

    # -- events ------------------------------------------------------------------------
    def fire(self, action: str, ch: Channel | None = None, **values: Any) -> None:
        events.fire(self.sw, action, {f"cc_{k}": v for k, v in values.items()}, ch)

    def queue_count(self, queue: str) -> int:
        """cc_queue_count: the members-count event, and the count."""
        count = self.tables.waiting_count(queue)
        self.fire(
            "members-count", queue=queue, count=count, selection="All-Queues" if queue[:1] == "*" else "Single-Queue"
        )
        return count

    def hupall_matching(self, name: str, value: str, cause: str) -> None:
        """switch_core_session_hupall_matching_var."""
        for ch in list(self.sw.channels.values()):
            if not ch.hung_up and ch.get_var(name) == value:
                self.sw.kill(ch, cause)

    # -- queues ------------------------------------------------------------------------
    def get_queue(self, name: str, then: Callable[[Queue | None], None]) -> None:
        """get_queue: the loaded queue, else load_queue's; ``then`` gets it (or None)."""
        queue = self.queues.get(name)
        if queue is not None:
            then(queue)
        else:
            self.load_queue(name, then)

    def load_queue(self, name: str, then: Callable[[Queue | None], None], agents_and_tiers: bool = False) -> None:
        """load_queue: ask the configuration for ``name`` (CC-Queue), keep what it says. An HTTP
        binding is asked from a greenlet of its own; a second request for the same queue meanwhile
        waits for the same answer (the module holds its global lock while it loads)."""
        waiting = self._loading.get(name)
        if waiting is not None:
            waiting.append(then)
            return
        self._loading[name] = [then]
        params = self.request_params("load_queue", 724, [("CC-Queue", name)])

        def load() -> None:
            conf = self.configuration(params)
            queue = None
            found = conf.queue(name) if conf is not None else None
            if found is not None:
                queue = self.queues[name] = Queue(name, parse_params(found))
                if agents_and_tiers and conf is not None:
                    self.import_agents_and_tiers(conf)
            for waiter in self._loading.pop(name, []):
                waiter(queue)

        self.in_background(load)

    def in_background(self, fn: Callable[[], None]) -> None:
        """Run ``fn``, which asks the configuration: from a greenlet of its own when an HTTP binding
        will be asked (the caller's reply waits for it, not the simulator)."""
        if self.xml_curl.bindings:
            gevent.spawn(fn)
        else:
            fn()

    def destroy_queue(self, name: str) -> None:
        self.queues.pop(name, None)

    def configuration(self, params: list[tuple[str, str]] | None) -> CallcenterConf | None:
        """switch_xml_open_cfg("callcenter.conf") (config_source.py)."""
        return config_source.configuration(self.sw.hostname, self.xml_curl, self.settings, params)

    def request_params(self, function: str, line: int, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return config_source.request_params(self.sw, function, line, extra)

    def load_config(self) -> None:
        """The module's load (load_config): its queues, agents and tiers of callcenter.conf. From
        the files only: post_load_modules.conf.xml loads mod_xml_curl after mod_callcenter."""
        conf = parse_conf(self.settings.conf) if self.settings.conf else None
        if conf is None:
            return
        for name, params in conf.queues.items():
            self.queues[name] = Queue(name, parse_params(params))
        self.import_agents_and_tiers(conf)

    def import_agents_and_tiers(self, conf: CallcenterConf) -> None:
        """load_agent for every <agent>, then load_tiers(load_all) (queue load|reload, module load)."""
        for attrs in conf.agents:
            self.load_agent(attrs)
        for attrs in conf.tiers:
            self.load_tier(attrs.get("queue", ""), attrs.get("agent", ""), attrs.get("level"), attrs.get("position"))

    def load_agent(self, attrs: dict[str, str]) -> None:
        name, kind = attrs.get("name"), attrs.get("type")
        if not name or not kind:
            return
        result = self.add_agent(name, kind)
        if result not in (OK, AGENT_EXISTS):
            return
        for attr, key in (
            ("contact", "contact"),
            ("status", "status"),
            ("wrap-up-time", "wrap_up_time"),
            ("max-no-answer", "max_no_answer"),
            ("reject-delay-time", "reject_delay_time"),
            ("busy-delay-time", "busy_delay_time"),
            ("no-answer-delay-time", "no_answer_delay_time"),
        ):
            if attrs.get(attr) is not None:
                self.update_agent(key, attrs[attr], name)
        if result == AGENT_EXISTS:
            self.update_agent("type", kind, name)

    def load_tier(self, queue: str, agent: str, level: str | None, position: str | None) -> None:
        """load_tier: add it (Ready) or set its level and position (1 when not given)."""
        tier = self.tables.tier(queue, agent)
        if tier is None:
            if agent in self.tables.agents and queue in self.queues:
                self.tables.tiers.append(Tier(queue, agent, "Ready", atoi(level or "1"), atoi(position or "1")))
        else:
            tier.level, tier.position = atoi(level or "1"), atoi(position or "1")

    def restart(self) -> None:
        """A new FreeSWITCH on the same database: load_config's reset of an unclean shutdown
        (agents Waiting with no uuid, tiers Ready, members Abandoned), then the configuration."""
        for agent in self.tables.agents.values():
            agent.state, agent.uuid, agent.external_calls_count = WAITING, "", 0
        for tier in self.tables.tiers:
            tier.state = "Ready"
        for member in self.tables.members.values():
            member.state, member.session_uuid = "Abandoned", ""
        self.sessions.clear()
        self.queues.clear()
        self._loading.clear()
        if self._wake is not None:
            self._wake.cancel()
        self._wake = self._woken_at = None
        self.load_config()

    # -- agents ------------------------------------------------------------------------
    def add_agent(self, name: str, kind: str) -> str:
        """cc_agent_add."""
        if not (same(kind, CALLBACK) or same(kind, UUID_STANDBY)):
            return INVALID_TYPE
        if name in self.tables.agents:
            return AGENT_EXISTS
        self.tables.agents[name] = Agent(name, type=kind)
        self.fire("agent-add", agent=name, agent_type=kind)
        return OK

    def delete_agent(self, name: str) -> None:
        self.tables.agents.pop(name, None)
        self.tables.tiers = [t for t in self.tables.tiers if t.agent != name]

    def get_agent(self, key: str, name: str) -> tuple[str, str]:
        """cc_agent_get: (status, value)."""
        agent = self.tables.agents.get(name)
        if agent is None:
            return AGENT_NOT_FOUND, ""
        low = key.lower()
        if low not in ("status", "state", "uuid"):
            return INVALID_KEY, ""
        value = getattr(agent, low)
        text = "" if value is None else str(value)
        self.fire(f"agent-{low}-get", agent=name, value=text)
        return OK, text

    def update_agent(self, key: str, value: str, name: str) -> str:
        """cc_agent_update: set one field, firing the module's event for it."""
        agent = self.tables.agents.get(name)
        if agent is None:
            return AGENT_NOT_FOUND
        low = key.lower()
        if low == "status":
            status = lookup(AGENT_STATUSES, value)
            if status is None:
                return INVALID_STATUS
            if status == AVAILABLE:
                if agent.status != value:  # "WHERE ... AND NOT status = value": only a change resets
                    agent.status, agent.last_status_change = value, self.epoch()
                    agent.talk_time = agent.calls_answered = agent.no_answer_count = 0
            else:
                agent.status, agent.last_status_change = value, self.epoch()
                # stop any agent being rung for a member (the callback in progress)
                member = next(
                    (m for m in self.tables.members.values() if m.serving_agent == name and m.state != M_ANSWERED),
                    None,
                )
                if member is not None:
                    self.hupall_matching("cc_member_pre_answer_uuid", member.uuid, "ORIGINATOR_CANCEL")
            self.fire("agent-status-change", agent=name, value=value)
            self.wake()
            return OK
        if low == "state":
            state = lookup(AGENT_STATES, value)
            if state is None:
                return INVALID_STATE
            agent.state = value
            if state == RECEIVING:
                agent.last_offered_call = self.epoch()
                self.tables.offers += 1
                agent.offered_seq = self.tables.offers
            self.fire("agent-state-change", agent=name, value=value)
            self.wake()
            return OK
        if low in ("uuid", "contact"):
            setattr(agent, low, value)
            agent.instance_id = "single_box"
            if low == "contact":
                self.fire("agent-contact-change", agent=name, value=value)
            return OK
        if low in AGENT_LONG_KEYS or low in AGENT_INT_KEYS:
            setattr(agent, low, atoi(value))
            agent.instance_id = "single_box"
            if low == "ready_time":
                self.wake(max(0, agent.ready_time - self.epoch()) + 0.001)
            return OK
        if low == "type":
            if not (same(value, CALLBACK) or same(value, UUID_STANDBY)):
                return INVALID_TYPE
            agent.type = value
            return OK
        return INVALID_KEY

    # -- tiers -------------------------------------------------------------------------
    def add_tier(self, queue: str, agent: str, state: str, level: int, position: int) -> str:
        """cc_tier_add, once get_queue found ``queue``."""
        if lookup(TIER_STATES, state) is None:
            return TIER_INVALID_STATE
        if agent not in self.tables.agents:
            return AGENT_NOT_FOUND
        if self.tables.tier(queue, agent) is not None:
            return TIER_EXISTS
        self.tables.tiers.append(Tier(queue, agent, state, level, position))
        self.wake()
        return OK

    def update_tier(self, key: str, value: str, queue: str, agent: str) -> str:
        """cc_tier_update, once its checks (tier, agent, get_queue) passed."""
        tier = self.tables.tier(queue, agent)
        if tier is None:
            return TIER_NOT_FOUND
        low = key.lower()
        if low == "state":
            if lookup(TIER_STATES, value) is None:
                return TIER_INVALID_STATE
            tier.state = value
        elif low == "level":
            tier.level = atoi(value)
        elif low == "position":
            tier.position = atoi(value)
        else:
            return INVALID_KEY
        self.wake()
        return OK

    def set_tiers_after(self, agent: str, queue: str, state: str) -> None:
        """The end of an offer: this queue's tier back to ``state`` (from Active Inbound, Standby or
        Offering), the agent's Standby tiers elsewhere back to Ready."""
        for t in self.tables.tiers_of(agent):
            if t.queue == queue and t.state in ("Active Inbound", "Standby", "Offering"):
                t.state = state
            elif t.queue != queue and t.state == "Standby":
                t.state = "Ready"
