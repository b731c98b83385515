"""``autocall agent-test 1001``: check an agent's softphone end to end with one queue call, saying each
step as FreeSWITCH reports it (docs/autodialer.md, "Checking an agent: autocall agent-test").

1. **The agent** is autocall's (``/v3/agent``; ``--create`` adds it, logged out). Its own mod_callcenter
   agent, ``<extension>@autocall``, whose status the operator and the engines own, is never touched; the
   test refuses an agent on a call, or logged in while it serves a running autodialer campaign.
2. **Its twin** ``<extension>@autocall-test`` (dialer/domain/agent_test.py) is pushed with the contact
   autocall pushes for the agent (ringing ``--ring`` s), logged in with one tier in
   ``autocall-agent-test-<extension>``, which mod_callcenter loads from autocall's ``POST
   /freeswitch/config`` (mod_xml_curl), as a campaign's queue.
3. **One call**, placed as an autodialer campaign's (the engine's own ``dial()`` into ``autodialer XML
   autodialer``), to the lead: FreeSWITCH's stock echo test ``loopback/9196/default`` (the agent hears
   their own voice), ``--number`` through the default gateway, or ``--user``, another directory user.
4. **The result** as the CDR would have it (recall_status, agent, queuesec, agentsec, abandoned); exit 0
   when bridged to the agent, 1 with the reason otherwise, 2 for bad input.
5. **Cleanup** whatever happened: the twin deleted (its tier with it), the queue unloaded. Nothing is
   written to Redis (but ``--create``'s agent), and no campaign is touched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import gevent
import gevent.event

from dialer.config import Settings
from dialer.daemon import build_renderer
from dialer.domain import agent_test
from dialer.domain.agents import Agent, callcenter_name, campaign_groups, campaign_users, extension_problem, serves
from dialer.domain.context import CampaignContext
from dialer.domain.enums import CampaignType, TypeAutocall
from dialer.domain.ids import leg_uuid
from dialer.domain.models import DEFAULT_TIME_ZONE, Campaign, Template
from dialer.domain.window import zone
from dialer.engine.callcenter_plan import dial_contact
from dialer.engine.calls import InFlight
from dialer.engine.engine import Engine
from dialer.engine.recorder import outcome_of
from dialer.esl import callcenter as cc
from dialer.esl.callcenter import BadArgument, CallcenterError
from dialer.esl.callcenter_events import SUBCLASS, queue_outcome
from dialer.esl.connection import NotConnectedError
from dialer.esl.node import Node
from dialer.media import MessageFiles
from dialer.store.errors import StoreError
from dialer.store.records import Claim
from dialer.store.store import Store
from tts.template import render

ECHO = ("9196", "default")  # the stock dialplan's echo test (conf/dialplan/default.xml): answers, echoes
ECHO_TEXT = "FreeSWITCH's echo test loopback/9196/default (the agent hears their own voice)"
DEFAULT_TEXT = "Xin lỗi, cuộc gọi thử của autocall không gặp được điện thoại viên."
LOGGED_IN = ("Available", "Available (On Demand)")
ON_A_CALL = ("Receiving", "In a queue call")
LEFT_WAIT_S = 3.0  # mod_callcenter's agent thread notices a bridge's end within 100 ms
# bridge-agent-fail's CC-Hangup-Cause, in words
AGENT_FAILURES = {
    "USER_NOT_REGISTERED": "its softphone is not registered (USER_NOT_REGISTERED)",
    "NO_ANSWER": "its softphone rang and nobody answered (NO_ANSWER)",
    "NO_USER_RESPONSE": "its softphone did not respond (NO_USER_RESPONSE)",
    "USER_BUSY": "its softphone is busy (USER_BUSY)",
    "CALL_REJECTED": "its softphone rejected the call (CALL_REJECTED)",
}


class Steps:
    """What FreeSWITCH's events say of the test call, printed as they come (from the event reader:
    nothing here blocks)."""

    def __init__(self, node: Node, legs: set[str], twin: str, extension: str, contact: str, out: Callable) -> None:
        self.node, self.legs, self.twin, self.extension, self.contact = node, legs, twin, extension, contact
        self.out = out
        self.started = time.monotonic()
        self.agent_failure = ""  # why the agent's phone did not take the call ("": it did, or was not tried)
        self.offered = False
        self.queued = False
        # mod_callcenter says the member left after the lead's hangup (batch5 fact 3): awaited before the result
        self.left = gevent.event.Event()

    def say(self, text: str) -> None:
        self.out(f"[{time.monotonic() - self.started:5.1f} s] {text}")

    def event(self, event: dict[str, Any]) -> None:
        name, uid = event.get("Event-Name"), event.get("Unique-ID", "")
        if name == "CHANNEL_ANSWER" and uid in self.legs:
            self.say("lead answered: it goes into the autodialer dialplan")
        elif name == "CHANNEL_HANGUP_COMPLETE" and uid in self.legs:
            self.say(f"lead hung up: {event.get('Hangup-Cause', '?')}")
        elif event.get("Event-Subclass") == SUBCLASS:
            self._callcenter(event)

    def _callcenter(self, event: dict[str, Any]) -> None:
        action = event.get("CC-Action")
        member = event.get("CC-Member-Session-UUID") in self.legs
        ours = event.get("CC-Agent") == self.twin
        if action == "member-queue-start" and member:
            self.queued = True
            self.say(f"queued in {event.get('CC-Queue')}, hearing the queue's hold sound")
        elif action == "agent-offering" and ours and member:
            self.offered = True
            self.say(f"offered to agent {self.extension}: ringing {self.contact}")
        elif action == "bridge-agent-start" and ours:
            self.say(f"bridged: agent {self.extension} answered (hang up the softphone to end the test)")
        elif action == "bridge-agent-fail" and ours and not self.agent_failure:
            cause = event.get("CC-Hangup-Cause", "?")
            self.agent_failure = AGENT_FAILURES.get(cause, f"its softphone did not take the call ({cause})")
            self.say(f"agent {self.extension}: {self.agent_failure}; hanging up the lead")
            self.hang_up()
        elif action == "bridge-agent-end" and ours:
            self.say(f"agent {self.extension}'s call ended")
        elif action == "member-queue-end" and member:
            self.left.set()
            if event.get("CC-Cause") == "Terminated":
                self.say("left the queue: the call with the agent is over")
            else:
                self.say(f"left the queue without an agent: {event.get('CC-Cancel-Reason', '?')}")

    def hang_up(self, cause: str = "NORMAL_CLEARING") -> None:
        conn = self.node.conn
        if conn is not None:
            try:
                conn.send_nowait([f"bgapi uuid_kill {leg} {cause}" for leg in sorted(self.legs)])
            except NotConnectedError:
                pass


def run_agent_test(
    settings: Settings,
    extension: str,
    *,
    number: str = "",
    user: str = "",
    ring_s: int = agent_test.RING_S,
    timeout_s: float = 120.0,
    create: bool = False,
    text: str = DEFAULT_TEXT,
    audio: str = "",
    out: Callable[[str], None] = print,
) -> int:
    """0 if the call was bridged to the agent, 1 if not (the reason printed), 2 for bad input."""
    bad = _bad_input(extension, number, user, ring_s, settings)
    if bad:
        out(f"autocall agent-test: {bad}")
        return 2
    node_name = settings.autodialer_node_name()
    config = next(n for n in settings.nodes() if n.name == node_name)
    store = Store.from_url(settings.redis_url.get_secret_value(), settings.redis_prefix)
    try:
        agent = _agent(store, extension, create, out)
        if agent is None:
            return 1
        serving = _running_campaigns_served(store, agent)
        holder = store.campaigns.by_queue(agent_test.agent_test_queue(extension))
    except StoreError as exc:
        out(f"autocall agent-test: Redis unavailable: {exc}")
        return 1
    if holder is not None:  # stored before the API reserved the name: its tiers are not ours to touch
        out(f"autocall agent-test: campaign {holder.campaign_name} uses the test's queue name: rename its queue first")
        return 1
    template = Template(template_name="autocall agent test", audio_file=audio) if audio else None
    template = template or Template(template_name="autocall agent test", text=text)
    # the engine's writer is never started: nothing of the call reaches Redis
    engine = Engine(
        store,
        [config],
        MessageFiles(settings.audio_dir, renderer=build_renderer(settings)),
        default_gateway=settings.default_gateway,
        default_caller_id=settings.default_caller_id,
        command_timeout=settings.command_timeout,
        autodialer_node=node_name,
    )
    engine.adopting = False
    node = engine.nodes[0]
    node.start()
    twin = agent_test.agent_test_name(extension)
    queue = agent_test.agent_test_queue(extension)
    pushed = False
    try:
        if not node.up.wait(10):
            out(f"autocall agent-test: cannot reach FreeSWITCH {node.name} (AUTOCALL_FREESWITCH)")
            return 1
        why = _not_ready(node, agent, serving)
        if why:
            out(f"autocall agent-test: {why}")
            return 1
        contact = dial_contact(agent, ring_s)
        pushed = True
        why = _push_twin(node, twin, queue, contact)
        if why:
            out(f"autocall agent-test: {why}")
            return 1
        out(f"agent {extension} pushed into mod_callcenter as {twin}: contact {contact}, tier in queue {queue}")
        out(f"status: {_status(node, twin)}")
        return _call(engine, node, template, queue, agent, contact, number, user, timeout_s, out)
    finally:
        if pushed and node.up.is_set():
            try:  # the twin goes with its tier; the queue is forgotten
                node.api_many([cc.agent_del(twin), cc.queue_unload(queue)])
            except NotConnectedError:
                out(f"autocall agent-test: could not delete {twin}: FreeSWITCH went away")
        node.stop()


def _bad_input(extension: str, number: str, user: str, ring_s: int, settings: Settings) -> str:
    problem = extension_problem(extension)
    if problem:
        return problem
    if number and user:
        return "give --number or --user, not both"
    for what, value in (("--number", number), ("--user", user)):
        if value and not (value.lstrip("+").isdigit() and 3 <= len(value.lstrip("+")) <= 20):
            return f"{what} {value!r} is not a number (3 to 20 digits)"
    if not 5 <= ring_s <= agent_test.RING_MAX_S:
        return f"--ring must be 5 to {agent_test.RING_MAX_S} s (the test queue waits {agent_test.MAX_WAIT_S} s)"
    if not settings.nodes():
        return "AUTOCALL_FREESWITCH is empty"
    if number and not settings.default_gateway:
        return "--number is dialled through AUTOCALL_DEFAULT_GATEWAY, which is empty"
    return ""


def _agent(store: Store, extension: str, create: bool, out: Callable[[str], None]) -> Agent | None:
    agent = store.agents.by_extension(extension)
    if agent is not None:
        out(f"agent {extension}{f' ({agent.name})' if agent.name else ''}: status {agent.status.value}")
        return agent
    if not create:
        out(f"autocall agent-test: no agent has extension {extension}: create it (POST /v3/agent) or pass --create")
        return None
    now = datetime.now(zone(DEFAULT_TIME_ZONE))
    agent = Agent(extension=extension, created_at=now, updated_at=now, status_at=now)
    store.agents.create(agent, int(time.time() * 1000))
    out(f"agent {extension} created (agent_uuid {agent.agent_uuid}), Logged Out: it stays so after the test")
    return agent


def _running_campaigns_served(store: Store, agent: Agent) -> list[str]:
    """The names of the running autodialer campaigns the agent serves."""
    names = []
    for campaign_uuid in sorted(store.campaigns.running()):
        c = store.campaigns.get(campaign_uuid)
        if c is not None and c.type is CampaignType.AUTODIALER and serves(agent, campaign_users(c), campaign_groups(c)):
            names.append(c.campaign_name)
    return names


def _not_ready(node: Node, agent: Agent, serving: list[str]) -> str:
    """Why the test cannot run on this node now ("": it can)."""
    name = callcenter_name(agent)
    listed, context = node.api_many([cc.agent_list(name), "xml_locate dialplan context name autodialer"])
    try:
        rows = cc.parse_agents(listed.text, "agent list")
    except CallcenterError as exc:
        return f"mod_callcenter did not answer on {node.name} ({exc}): is it loaded (post_load_modules.conf.xml)?"
    if context.text.startswith("can't find"):
        return f"FreeSWITCH {node.name} has no dialplan context 'autodialer' (freeswitch-conf/dialplan/autodialer.xml)"
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        return ""
    if row.state in ON_A_CALL:
        return f"agent {agent.extension} is on a call now ({name}: {row.status}, {row.state}): try again later"
    if row.status in LOGGED_IN and serving:
        return (
            f"agent {agent.extension} is logged in and serves running campaign(s) {', '.join(serving)}: one of "
            "their leads could ring the softphone during the test. Log it out first (POST /v3/agent/<uuid>/logout)"
        )
    return ""


def _push_twin(node: Node, twin: str, queue: str, contact: str) -> str:
    """The twin in mod_callcenter, logged in to the test queue ("") or why not."""
    try:
        commands = [
            cc.agent_del(twin),  # left by a test that was killed
            cc.queue_unload(queue),  # a queue still loaded keeps the settings it was loaded with
            cc.agent_add(twin),
            cc.agent_set_contact(twin, contact),
            cc.agent_set_number("max_no_answer", twin, 0),
            cc.agent_set_number("wrap_up_time", twin, 0),
            cc.agent_set_status(twin, "Available"),
            cc.queue_load(queue),
            cc.tier_add(queue, twin),
        ]
    except BadArgument as exc:
        return f"the agent's contact cannot be sent to mod_callcenter: {exc}"
    for command, reply in zip(commands, node.api_many(commands), strict=True):
        try:
            cc.expect_ok(reply.text, command)
        except CallcenterError as exc:
            if command == cc.queue_load(queue):
                return (
                    f"mod_callcenter could not load the test queue {queue} ({exc}): FreeSWITCH's mod_xml_curl asks "
                    "autocall's POST /freeswitch/config (AUTOCALL_FS_CONFIG_URL) for it; is autocall serve running "
                    "there, with AUTOCALL_CDR_SECRET = FreeSWITCH's AUTOCALL_FS_CDR_SECRET?"
                )
            return f"mod_callcenter refused {command!r}: {exc}"
    return ""


def _status(node: Node, twin: str) -> str:
    rows = cc.parse_agents(node.api_many([cc.agent_list(twin)])[0].text, "agent list")
    return ", ".join(f"{r.status}, {r.state}" for r in rows if r.name == twin) or "not listed"


def _call(
    engine: Engine,
    node: Node,
    template: Template,
    queue: str,
    agent: Agent,
    contact: str,
    number: str,
    user: str,
    timeout_s: float,
    out: Callable[[str], None],
) -> int:
    kind = TypeAutocall.AUDIO if template.audio_file else TypeAutocall.VOICE_TTS
    campaign = Campaign(
        campaign_name=f"autocall agent-test {agent.extension}",
        type=CampaignType.AUTODIALER,
        type_autocall=kind,
        template_uuid=template.template_uuid,
        call_center_queue_uuid=queue,
        call_timeout=30,
        voicemail_detection=False,
    )
    echo = not (number or user)
    ctx = CampaignContext(campaign, None, template, directory_user=bool(user), loopback_context=ECHO[1] if echo else "")
    lead = number or user or ECHO[0]
    call = str(uuid.uuid4())
    claim = Claim(campaign.campaign_uuid, str(uuid.uuid4()), call, "offnet", 0, [lead], {}, 0, 0, "agent-test")
    try:  # what a lead no agent took hears (made now; dial() finds it in the cache)
        message = engine.files.for_call(campaign, template, {})
    except Exception as exc:  # MessageUnavailable, a TTS engine error
        out(f"autocall agent-test: no abandon message: {exc}")
        return 1
    out(f"abandon message: {message}" + (f" ({render(template.text, {})})" if template.text else ""))
    steps = Steps(node, {leg_uuid(call, 0)}, agent_test.agent_test_name(agent.extension), agent.extension, contact, out)
    _watch(engine, steps)
    shown = ECHO_TEXT if echo else f"user/{user}" if user else number
    steps.say(f"calling the lead {shown} on {node.name} (call {call})")
    engine.dial(node, ctx, [claim])
    att = next((calls[call] for calls in engine.tracker.by_campaign.values() if call in calls), None)
    if not isinstance(att, InFlight):
        out("autocall agent-test: the call was not placed (see the log)")
        return 1
    with gevent.Timeout(timeout_s, False):
        while not att.done:
            gevent.sleep(0.05)
    if not att.done:
        steps.say(f"still up after {timeout_s:.0f} s: hanging it up")
        steps.hang_up("ALLOTTED_TIMEOUT")
        with gevent.Timeout(10, False):
            while not att.done:
                gevent.sleep(0.05)
    if steps.queued:
        steps.left.wait(LEFT_WAIT_S)
    return _report(att, steps, out)


def _watch(engine: Engine, steps: Steps) -> None:
    """Hear the node's events before the engine does (its event and callcenter handlers, wrapped)."""
    events, callcenter = engine.events.on_event, engine.autodialer.on_event

    def on_event(node: Node, event: dict[str, Any]) -> None:
        steps.event(event)
        events(node, event)

    def on_callcenter(node: Node, event: dict[str, Any]) -> bool:
        if event.get("Event-Subclass") == SUBCLASS:
            steps.event(event)
        return callcenter(node, event)

    engine.events.on_event = on_event  # type: ignore[method-assign]
    engine.autodialer.on_event = on_callcenter  # type: ignore[method-assign]


def _report(att: InFlight, steps: Steps, out: Callable[[str], None]) -> int:
    if att.problem and att.problem.startswith("AUTOCALL_"):
        out(f"not placed: {att.problem} ({att.detail})")
        return 1
    outcome, hang = outcome_of(att)
    queued = queue_outcome(hang)
    cause = hang.get("Hangup-Cause") or att.job_text.removeprefix("-ERR ").strip() or "?"
    agent = (queued.agent.rpartition("@")[0] or queued.agent) if queued else ""
    out(
        f"result: recall_status {outcome.recall_status.value}, agent {agent or '-'}, "
        f"queuesec {queued.wait_s if queued else 0}, agentsec {queued.talk_s if queued else 0}, "
        f"abandoned {'true' if queued and queued.abandoned else 'false'}; hangup {cause}, "
        f"billsec {hang.get('variable_billsec', '0')}"
    )
    if queued is not None and not queued.abandoned:
        out(f"OK: agent {steps.extension}'s softphone took the queue call")
        return 0
    if steps.agent_failure:
        why = f"agent {steps.extension}: {steps.agent_failure}"
    elif not att.answered_ms:
        why = f"the lead did not answer ({cause})"
    elif queued is None:
        why = "the lead never joined the queue (is the autodialer dialplan installed? see FreeSWITCH's log)"
    elif not steps.offered:
        why = f"abandoned: mod_callcenter never offered the call to the agent ({queued.reason or outcome.reason})"
    else:
        why = f"abandoned: {outcome.reason}"
    out(f"FAILED: {why}")
    return 1
