"""Keep mod_callcenter on the autodialer node holding autocall's agents and tiers (callcenter_plan.py).

One greenlet runs a sync pass when kicked: the autodialer node (AUTOCALL_AUTODIALER_NODE) came up
(every new connection: FreeSWITCH may have restarted), the agents' version moved (the events
channel said ``agents``), an autodialer campaign started, stopped or changed, and every ``every_s``
anyway (a message lost while the subscription was down). A pass reads the roster (only if its
version moved), asks mod_callcenter ``agent list`` and ``tier list`` over the node's ESL command
path (``api``, from this greenlet: never the event reader), seeds the agents' live state from the
list (callcenter_state.py), sends what differs in batches, and records the statuses it pushed. An
agent it added is listed again for its state (mod_callcenter fires no event for a new agent).

Pacing counts only the agents whose tier in the campaign's queue a pass has made sure of, in a
queue it has loaded (:attr:`CallcenterSync.tiers`): no call is placed for an agent mod_callcenter
would not offer it to. Each pass that ends wakes the autodialer pacers (``on_synced``).

An engine that does not dial on the autodialer node never syncs; several engines that do (``serve
--workers N``) each sync, and send nothing when another already did. A FreeSWITCH without
mod_callcenter answers ``-ERR ... Command not found``: said in the log (at most once a minute), and
tried again at the next kick.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent
import gevent.event

from dialer.domain.agents import extension_of
from dialer.engine.agent_roster import AgentRoster
from dialer.engine.callcenter_plan import DEFAULTS, AgentDefaults, Command, QueueWant, plan
from dialer.engine.callcenter_state import CallcenterState
from dialer.esl import callcenter as cc
from dialer.esl.callcenter import AgentRow, CallcenterError
from dialer.esl.connection import NotConnectedError
from dialer.esl.node import Node
from dialer.store.errors import StoreError
from dialer.store.store import Store

log = logging.getLogger("autocall.engine")
EVERY_S = 30.0  # a pass at least this often (lost messages)
CHUNK = 50  # commands per write: a reply is awaited for each batch within the command timeout
SAY_EVERY_S = 60.0  # the same failure is logged at most this often
RETRY_S = 1.0  # a pass that failed on Redis is tried again after this
ADD = f"{cc.COMMAND} agent add "


class CallcenterSync:
    def __init__(
        self,
        store: Store,
        roster: AgentRoster,
        state: CallcenterState,
        *,
        node_name: str,
        queues: Callable[[], tuple[list[QueueWant], set[str]]],
        on_synced: Callable[[], None] = lambda: None,
        every_s: float = EVERY_S,
        defaults: AgentDefaults = DEFAULTS,
    ) -> None:
        self.defaults = defaults  # the contact's ring time and the retry delays every agent gets
        self.store = store
        self.roster = roster
        self.state = state
        self.node_name = node_name
        self.queues = queues  # the started campaigns' queues, and every queue a campaign this engine knows names
        self.on_synced = on_synced
        self.every_s = every_s
        self.node: Node | None = None
        self.loaded: dict[str, str] = {}  # queue -> the strategy it was loaded with, on this connection
        self.tiers: dict[str, set[str]] = {}  # queue -> agents whose tier there a pass made sure of
        self.passes = 0  # passes ended (tests await one)
        self.sent = 0  # commands sent, in all
        self._kick = gevent.event.Event()
        self._ours_seen = False  # mod_callcenter held agents of autocall's at the last pass
        self._said: dict[str, float] = {}

    # -- triggers -----------------------------------------------------------------------------------
    def kick(self) -> None:
        self._kick.set()

    def node_up(self, node: Node) -> None:
        if node.name != self.node_name:
            return
        self.node = node
        self.loaded.clear()  # a new connection: FreeSWITCH may have restarted and lost them
        self.tiers = {}  # pacing waits for this connection's first pass
        self.kick()

    def node_down(self, node: Node) -> None:
        if node is self.node:
            self.tiers = {}
            self.state.node_down()

    # -- the greenlet -------------------------------------------------------------------------------
    def run(self) -> None:
        while True:
            self._kick.wait(self.every_s)
            self._kick.clear()
            node = self.node
            if node is None or not node.up.is_set():
                continue
            try:
                self.sync(node)
            except NotConnectedError:
                pass  # the next connection kicks a pass
            except StoreError as exc:
                self._say("redis", "mod_callcenter sync failed: Redis; retrying", str(exc))
                gevent.sleep(RETRY_S)
                self.kick()
            except CallcenterError as exc:
                self._say(
                    "module",
                    "mod_callcenter did not answer autocall's sync: is it loaded on the autodialer node?",
                    str(exc),
                )
            except Exception:
                log.exception("mod_callcenter sync failed", extra={"node": self.node_name})

    def sync(self, node: Node) -> None:
        """One pass (see the module)."""
        self.roster.refresh()
        queues, known = self.queues()
        if not self.roster.agents and not queues and not self._ours_seen:
            self._ended()  # nothing of autocall's to hold: mod_callcenter need not even be loaded
            return
        heard = self.state.heard
        agents_reply, tiers_reply = node.api_many([cc.agent_list(), cc.tier_list()])
        rows = self._ours(agents_reply.text)
        tier_rows = cc.parse_tiers(tiers_reply.text, "tier list")
        self.state.seed(rows, heard)
        self._ours_seen = bool(rows or self.roster.agents)  # after this pass, mod_callcenter holds some
        pushed = self.store.agents.pushed()
        todo = plan(self.roster.agents, rows, tier_rows, pushed, queues, self.loaded, known, self.defaults)
        for problem in todo.problems:
            self._say(problem, "agent or queue not sent to mod_callcenter", problem)
        failed = self._send(node, todo.commands)
        if any(c.text.startswith(ADD) for c in todo.commands):  # mod_callcenter says nothing of a new agent's state
            heard = self.state.heard
            self.state.seed(self._ours(node.api_many([cc.agent_list()])[0].text), heard)
        bad_agents = {c.agent for c in failed if c.agent}
        bad_queues = {c.queue for c in failed if c.queue and not c.agent}
        pushed = {name: status for name, status in todo.pushed.items() if name not in bad_agents}
        self.store.agents.record_pushed(pushed, todo.forgotten)
        for name in todo.forgotten:
            self.state.forget_agent(name)
        self.loaded = {q: sig for q, sig in todo.loaded.items() if q not in bad_queues}
        self.tiers = {
            q: {a for a in agents if a not in bad_agents} for q, agents in todo.tiers.items() if q in self.loaded
        }
        if todo.commands:
            log.info(
                "mod_callcenter synced",
                extra={
                    "node": node.name,
                    "commands": len(todo.commands),
                    "failed": len(failed),
                    "agents": len(self.roster.agents),
                    "queues": len(self.loaded),
                },
            )
        self._ended()

    @staticmethod
    def _ours(text: str) -> list[AgentRow]:
        return [row for row in cc.parse_agents(text, "agent list") if extension_of(row.name)]

    def _ended(self) -> None:
        self.passes += 1
        self.on_synced()

    def _send(self, node: Node, commands: list[Command]) -> list[Command]:
        """Send in batches; the commands mod_callcenter refused (an agent or tier already there is fine)."""
        failed = []
        for start in range(0, len(commands), CHUNK):
            batch = commands[start : start + CHUNK]
            replies = node.api_many([c.text for c in batch])
            self.sent += len(batch)
            for command, reply in zip(batch, replies, strict=True):
                try:
                    cc.expect_ok(reply.text, command.text)
                except CallcenterError as exc:
                    if exc.exists:
                        continue
                    failed.append(command)
                    self._say(command.text, "mod_callcenter refused a command", str(exc))
        return failed

    def _say(self, key: str, message: str, error: str) -> None:
        now = time.monotonic()
        if now - self._said.get(key, float("-inf")) >= SAY_EVERY_S:
            self._said[key] = now
            log.error(message, extra={"node": self.node_name, "error": error})
