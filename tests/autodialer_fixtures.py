"""A whole autodialer shift on the simulator: the API (serving mod_xml_curl), agents, a campaign and its
leads, the engine dialling it, and a listener on the simulator to see what FreeSWITCH did.

**One clock for the agents.** The simulator runs calls ``1/time_scale`` times faster than the wall
clock and mod_callcenter counts wrap-ups, retry delays and the max wait on that simulated clock. The
engine's autodialer parts (dialer/engine/callcenter_state.py, agent_pacing.py) count the same wrap-ups
and delays on their own clock, which they take as an injected clock: here the simulator's, so a
10 s wrap-up is 10 s on both sides, as on a real switch. The rest of the engine keeps the wall clock
(leases, Redis TTLs, sps windows are wall-clock things). The pacer's time to answer is measured by the
engine's call tracker on the wall clock, so it is scaled to simulated seconds before the figures take
it (:func:`sim_clocks`)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from dialer.domain.models import Template
from dialer.engine.engine import Engine
from dialer.esl.node import NodeConfig
from dialer.esl.protocol import Event, parse_event_body
from dialer.media import MessageFiles
from dialer.store.queue_counts import CountsWanted
from dialer.store.records import Finish
from dialer.store.store import Store
from simswitch import Scenario, SimServer
from simswitch.callcenter import CallCenterSettings
from simswitch.xml_curl import XmlCurlBinding
from tests.engine_fixtures import wait_until, write_wav
from tests.eslclient import RawClient

SECRET = "cc-secret"
MESSAGE = "xin-loi.wav"  # the campaign's template: what a lead no agent took hears


def sim_clocks(engine: Engine, server: SimServer) -> None:
    """The engine's autodialer parts on the simulator's clock (see the module)."""
    clock = server.switch.clock
    scale = clock.scale

    def now() -> float:
        return clock.now_us() / 1e6

    ad = engine.autodialer
    ad.state.clock = now
    ad.pacing.clock = now
    ad.figures.clock = now
    record = ad.figures.record

    def record_scaled(finish: Finish) -> None:
        sample = finish.call_stats
        if sample.get("ring_n"):
            sample = {**sample, "ring_ms": int(sample["ring_ms"] / scale)}
            finish = dataclasses.replace(finish, call_stats=sample)
        record(finish)

    ad.figures.record = record_scaled  # type: ignore[method-assign]


@dataclasses.dataclass
class FreeCount:
    """How the engine counted one agent once its phone was found gone (:meth:`Shift.count_free`)."""

    gone_at: float | None = None  # the engine's (simulated) clock when it heard USER_NOT_REGISTERED
    decisions_after: int = 0  # pacing decisions over the agent since
    free_after: int = 0  # of them, those that counted it free


class Shift:
    """One test's switch, engine and listener (built by the ``shift`` fixture's ``start``)."""

    def __init__(
        self, api: Any, store: Store, redis: Any, template: Template, engine: Engine, server: SimServer, *, listen: str
    ) -> None:
        self.api = api
        self.store = store
        self.redis = redis
        self.template = template
        self.engine = engine
        self.server = server
        self.listener: RawClient | None = None
        if listen:  # what FreeSWITCH did, as another ESL client hears it (each event costs the simulator a copy)
            self.listener = RawClient(*server.address)
            self.listener.login("ClueCon")
            self.listener.command(f"event plain {listen}")

    # -- the operator, through the API -----------------------------------------------------------------
    def agent(self, extension: str, **fields: Any) -> str:
        body = {"extension": extension, "groups": ["sales"], "wrap_up_time": 0, **fields}
        res = self.api("POST", "/v3/agent", json=body)
        assert res.status_code == 200, res.json
        uuid = res.json["agent_uuid"]
        assert self.api("POST", f"/v3/agent/{uuid}/login", json={}).status_code == 200
        return uuid

    def campaign(self, leads: int, *, ratio: int = 100, concurrent_call: int = 50, prefix: str = "098") -> str:
        body = {
            "campaign_name": "ca-lam",
            "type": "autodialer",
            "template_uuid": self.template.template_uuid,
            "groups": ["sales"],
            "concurrent_call": concurrent_call,
            "ratio": ratio,
            "recall_times": 0,
        }
        res = self.api("POST", "/v3/campaign", json=body)
        assert res.status_code == 200, res.json
        uuid = res.json["campaign_uuid"]
        self.import_leads(uuid, leads, prefix)
        assert self.api("POST", f"/v1/campaign/{uuid}/run/start", json={}).status_code == 200
        return uuid

    def import_leads(self, campaign_uuid: str, count: int, prefix: str) -> None:
        rows = [{"phone_number": f"{prefix}{n:07d}", "param": {}} for n in range(count)]
        res = self.api("POST", "/v3/autocall/import/bulk", json={"campaign_uuid": campaign_uuid, "leads": rows})
        assert res.status_code == 200 and res.json["imported"] == count, res.json

    def stop(self, campaign_uuid: str) -> None:
        """Stop the campaign and wait for its calls in progress to end."""
        assert self.api("POST", f"/v1/campaign/{campaign_uuid}/run/stop", json={}).status_code == 200
        wait_until(lambda: self.in_flight(campaign_uuid) == 0, timeout=30)

    # -- what happened ---------------------------------------------------------------------------------
    def modes(self) -> list[str]:
        """Every pacing decision's mode from now on, kept up to date (progressive, predictive, ...)."""
        pacing = self.engine.autodialer.pacing
        allowance = pacing.allowance
        modes: list[str] = []

        def recorded(ctx: Any) -> int:
            calls = allowance(ctx)
            decision = pacing.decisions.get(ctx.campaign.campaign_uuid)
            if decision is not None:
                modes.append(decision.mode.value)
            return calls

        pacing.allowance = recorded  # type: ignore[method-assign]
        return modes

    def count_free(self, name: str) -> FreeCount:
        """From now on, whether the engine's pacing counts agent ``name`` free once mod_callcenter failed to
        reach its phone (bridge-agent-fail USER_NOT_REGISTERED)."""
        state = self.engine.autodialer.state
        seen = FreeCount()
        on_event, free_agents = state.on_event, state.free_agents

        def heard(event: dict[str, Any]) -> None:
            on_event(event)
            gone = event.get("CC-Action") == "bridge-agent-fail" and event.get("CC-Agent") == name
            if gone and event.get("CC-Hangup-Cause") == "USER_NOT_REGISTERED" and seen.gone_at is None:
                seen.gone_at = state.clock()

        def counting(names: list[str], now: float) -> Any:
            if seen.gone_at is not None and name in names:
                seen.decisions_after += 1
                seen.free_after += free_agents([name], now).free
            return free_agents(names, now)

        state.on_event = heard  # type: ignore[method-assign]
        state.free_agents = counting  # type: ignore[method-assign]
        return seen

    def sim_now(self) -> float:
        """The simulator's clock (epoch s): how long a shift took in the agents' time."""
        return self.server.switch.clock.now_us() / 1e6

    def in_flight(self, campaign_uuid: str) -> int:
        return self.redis.zcard(self.store.keys.calls(campaign_uuid))

    def pending(self, campaign_uuid: str) -> int:
        """Leads not done: in a call, to be recalled, never dialled, or in the hopper."""
        (counts,) = self.store.queue_counts.of([CountsWanted(campaign_uuid, [])], int(time.time() * 1000), [])
        return counts.in_flight + counts.recalls + counts.fresh + counts.hopper

    def live_status(self, agent_uuid: str) -> tuple[str, str]:
        """The agent's status as mod_callcenter last said it: in ``GET /v3/agent/<uuid>`` (``live``) and in
        ``GET /v3/live``."""
        res = self.api("GET", f"/v3/agent/{agent_uuid}")
        assert res.status_code == 200, res.json
        on_page = next(a for a in self.live()["agents"] if a["agent_uuid"] == agent_uuid)
        return (res.json["live"].get("callcenter_status", ""), on_page["status"])

    def live(self) -> dict[str, Any]:
        res = self.api("GET", "/v3/live")
        assert res.status_code == 200, res.json
        return res.json

    def ended(self, campaign_uuid: str) -> int:
        """Attempts recorded (their CDRs)."""
        return self.redis.zcard(self.store.keys.cdrs(campaign_uuid))

    def wait_ended(self, campaign_uuid: str, count: int, timeout: float = 120) -> None:
        wait_until(lambda: self.ended(campaign_uuid) >= count, timeout=timeout)

    def cdrs(self, campaign_uuid: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after = ""
        while True:
            query = f"campaign_uuid={campaign_uuid}&limit=1000" + (f"&after={after}" if after else "")
            res = self.api("GET", f"/v3/autocall/cdr?{query}")
            assert res.status_code == 200, res.json
            out += res.json["data"]
            after = res.json.get("next") or ""
            if not after or not res.json["data"]:
                return out

    def report(self, campaign_uuid: str) -> dict[str, Any]:
        res = self.api("GET", f"/v1/autocall/report?campaign_uuid={campaign_uuid}")
        assert res.status_code == 200, res.json
        return res.json["data"]

    def events(self) -> list[Event]:
        assert self.listener is not None, "started with listen=''"
        return [parse_event_body(m) for m in self.listener.messages if m.is_event]

    def abandon_played(self) -> set[str]:
        """The channels that played the campaign's message (PLAYBACK_START of the abandon file)."""
        name = f"/{MESSAGE}"
        return {e.get("Unique-ID") for e in self.events() if str(e.get("Playback-File-Path", "")).endswith(name)}


class Shifts:
    """What a test's ``shift`` fixture builds: ``shifts.start(scenario, time_scale=...)`` gives a
    :class:`Shift`; :meth:`stop` stops the engines. The pacer re-checks every 20 ms without a wake-up
    (``IDLE_POLL``, patched by the fixture): the engine's wrap-up timers are wall-clock ones
    (:func:`sim_clocks`), so a wrap-up that ended in simulated time is noticed soon."""

    def __init__(self, store: Store, redis: Any, services: Any, api: Any, simswitch: Callable[..., SimServer]) -> None:
        services.cdr_secret = SECRET  # /freeswitch/config takes FreeSWITCH's Basic credentials
        self.template = Template(template_name="xin-loi", audio_file=MESSAGE)
        store.catalog.templates.put(self.template)
        write_wav(services.audio_dir / MESSAGE)
        self.store, self.redis, self.services, self.api, self.simswitch = store, redis, services, api, simswitch
        self.engines: list[Engine] = []

    def start(self, scenario: Scenario, *, time_scale: float = 0.01, seed: int = 1, listen: str = "") -> Shift:
        """The simulator with mod_callcenter (its queues from autocall's own ``POST /freeswitch/config``),
        an engine with its autodialer parts on the simulator's clock, and a listener of the ``listen`` events
        (e.g. ``PLAYBACK_START CUSTOM callcenter::info``; "": none)."""
        url = f"http://127.0.0.1:{self.api.port}/freeswitch/config"
        binding = XmlCurlBinding(url, cred=f"freeswitch:{SECRET}", post_vars=("CC-Queue",))
        server = self.simswitch(scenario, callcenter=CallCenterSettings([binding]), time_scale=time_scale, seed=seed)
        node = NodeConfig("fs1", *server.address, "ClueCon", sps=1000, max_sessions=1000)
        engine = Engine(
            self.store,
            [node],
            MessageFiles(self.services.audio_dir),
            default_gateway="gw1",
            default_caller_id="02812345678",
            autodialer_max_wait_s=self.services.autodialer_max_wait,
        )
        sim_clocks(engine, server)
        self.engines.append(engine)
        engine.start()
        assert engine.wait_connected(5)
        return Shift(self.api, self.store, self.redis, self.template, engine, server, listen=listen)

    def stop(self) -> None:
        for engine in self.engines:
            engine.stop(drain_timeout=5)
