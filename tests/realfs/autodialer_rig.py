"""A real FreeSWITCH whose mod_callcenter asks the ``autocall serve`` under test for its queues, and agents.

``make_rig(realfs_factory, autocall_factory, workdir, agents={"1001": "answer_bye", ...})``: one
FreeSWITCH (freeswitch-conf installed, the far end, mod_json_cdr posting to autocall) whose
mod_xml_curl asks ``http://<autocall>/freeswitch/config`` (the real endpoint, not a stand-in), the
``autocall serve`` it talks to (``AUTOCALL_CDR_SECRET`` = the secret FreeSWITCH sends, both for CDRs
and configuration), and directory users registered with SIPp whose phones behave as asked
(sipagents.py). ``Rig.agent(ext)`` creates the agent over ``/v3/agent``; ``Rig.live(uuid)`` its live
state; ``Rig.callcenter_agents()`` / ``callcenter_tiers()`` what mod_callcenter holds.
``LiveStates`` polls the agents' ``live.state`` through the API in a thread, keeping every change.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.realfs.autocall_serve import AutocallServe
from tests.realfs.fsharness import RealFreeSwitch
from tests.realfs.sipagents import SipAgent

MAX_WAIT = 5  # AUTOCALL_AUTODIALER_MAX_WAIT: the queue's max wait, and the agents' ring time (leg_timeout)


@dataclass
class Rig:
    fs: RealFreeSwitch
    autocall: AutocallServe
    phones: dict[str, SipAgent]  # extension -> its registered SIPp phone
    agents: dict[str, str] = field(default_factory=dict)  # extension -> agent_uuid

    def agent(self, extension: str, *, login: bool = True, **fields: Any) -> str:
        body = {"extension": extension, "groups": ["realfs"], "wrap_up_time": 1, **fields}
        uuid = self.autocall.api("POST", "/v3/agent", body)["agent_uuid"]
        if login:
            self.autocall.api("POST", f"/v3/agent/{uuid}/login", {})
        self.agents[extension] = uuid
        return uuid

    def live(self, extension: str) -> dict[str, Any]:
        return self.autocall.api("GET", f"/v3/agent/{self.agents[extension]}")["live"]

    def callcenter_agents(self) -> dict[str, dict[str, str]]:
        """``callcenter_config agent list``: name -> its row."""
        return _table(self.fs.api("callcenter_config agent list"), "name")

    def callcenter_tiers(self) -> set[tuple[str, str]]:
        """``callcenter_config tier list``: (queue, agent) pairs."""
        lines = self.fs.api("callcenter_config tier list").splitlines()
        if len(lines) < 2:
            return set()
        head = lines[0].split("|")
        rows = [dict(zip(head, line.split("|"), strict=False)) for line in lines[1:] if line != "+OK"]
        return {(r["queue"], r["agent"]) for r in rows}

    def close(self) -> None:
        for phone in self.phones.values():
            phone.close()


def _table(text: str, key: str) -> dict[str, dict[str, str]]:
    lines = [line for line in text.splitlines() if line and line != "+OK"]
    if not lines:
        return {}
    head = lines[0].split("|")
    rows = [dict(zip(head, line.split("|"), strict=False)) for line in lines[1:]]
    return {r[key]: r for r in rows}


def make_rig(realfs_factory, autocall_factory, workdir: Path, phones: dict[str, str]) -> Rig:
    """See the module. ``phones``: extension -> the phone's behaviour (sipagents.BEHAVIOURS)."""
    fs = realfs_factory(start=False, cdr=True, heartbeat=20)
    # mod_xml_curl asks the autocall that takes the CDRs: the queue comes from autocall's own endpoint
    fs.config_url = f"http://{fs.cdr_listen}/freeswitch/config"
    fs.start()
    env = {**fs.autocall_env(), "AUTOCALL_AUTODIALER_MAX_WAIT": str(MAX_WAIT)}
    autocall = autocall_factory(fs.esl_url + "?name=fs1", env=env)
    password = fs.api("global_getvar default_password").strip()
    rig = Rig(fs, autocall, {})
    try:
        for ext, behaviour in phones.items():
            phone = SipAgent(fs.host, fs.sip_ports["internal"], ext, password, workdir / "sipp")
            rig.phones[ext] = phone
            phone.register()
            phone.phone(behaviour)
    except BaseException:
        rig.close()
        raise
    return rig


class LiveStates:
    """Each agent's ``live.state`` as ``GET /v3/agent/<uuid>`` shows it, polled every ``every`` s in a
    thread; ``changes[ext]`` the states in the order seen (a repeat only after another state)."""

    def __init__(self, rig: Rig, every: float = 0.05) -> None:
        self.rig, self.every = rig, every
        self.changes: dict[str, list[str]] = {ext: [] for ext in rig.agents}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LiveStates:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            for ext, seen in self.changes.items():
                state = self.rig.live(ext).get("state") or ""
                if state and (not seen or seen[-1] != state):
                    seen.append(state)
            time.sleep(self.every)


def in_order(seen: list[str], wanted: list[str]) -> bool:
    """``wanted`` is a subsequence of ``seen``."""
    it = iter(seen)
    return all(any(s == w for s in it) for w in wanted)
