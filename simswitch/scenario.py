"""Scenario files: what the simulated called parties do.

Rules are matched in order by regex on the dialled number (the digits after
the endpoint prefix); the first match wins; numbers no rule matches follow
``default``. See docs/simswitch.md for the full format.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simswitch.causes import sip_to_cause
from simswitch.dialplan_xml import AUTODIALER_CONTEXT, DialplanApp, Extension, autocall_context, autodialer_context
from simswitch.softphones import Seconds, Softphones
from simswitch.softphones import pick as _pick


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    talk: Seconds = 5.0  # seconds from answer to the far end's BYE (hangup: remote)
    hangup: Literal["remote", "local"] = "remote"  # local: the callee never hangs up
    dtmf: str = Field("", pattern=r"^[0-9*#A-D]*$")
    beep: bool = False  # an answering machine: avmd::beep once avmd_start runs


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: str
    ring: Seconds | None = None
    sip: int | None = Field(None, ge=300, le=699)
    answer: Answer | None = None
    no_answer: bool = False
    early_media: float | None = None  # seconds of 183 early media before the 200

    @field_validator("match")
    @classmethod
    def _regex(cls, v: str) -> str:
        re.compile(v)
        return v

    @model_validator(mode="after")
    def _one_outcome(self) -> Rule:
        chosen = [self.sip is not None, self.no_answer, self.answer is not None or self.early_media is not None]
        if sum(chosen) != 1:
            raise ValueError(f"rule {self.match!r}: give exactly one of sip, no_answer, answer/early_media")
        return self


MIX_KEYS = re.compile(r"^(answer|no_answer|early_media|voicemail|sip[3-6][0-9][0-9])$")


class Default(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mix: dict[str, float] = {"answer": 0.6, "sip486": 0.15, "no_answer": 0.15, "sip404": 0.05, "sip503": 0.05}
    talk: Seconds = (5.0, 40.0)
    ring: Seconds = (2.0, 15.0)
    hangup: Literal["remote", "local"] = "remote"

    @field_validator("mix")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k in v if not MIX_KEYS.match(k)]
        if bad:
            raise ValueError(f"unknown mix outcome(s) {bad}: use answer, no_answer, early_media, voicemail, sipNNN")
        if any(p < 0 for p in v.values()) or sum(v.values()) <= 0:
            raise ValueError("mix probabilities must be >= 0 and not all 0")
        return v


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = []
    default: Default = Default()
    loopback: dict[str, Answer] = {"answer2s": Answer(talk=2.0, hangup="remote")}
    playback_seconds: float = 3.0  # length of a played file the simulator cannot read
    # ``originate ... EXTEN XML CONTEXT`` runs dialplan[CONTEXT] (an empty list
    # parks the call); a context not listed does not exist: the answered call is
    # hung up NO_ROUTE_DESTINATION, as FreeSWITCH does. ``autocall``, unless given
    # here, is freeswitch-conf/dialplan/autocall.xml (the file FreeSWITCH runs, shipped
    # in the package; missing, the scenario is refused); ``autocall_dialplan: false``
    # leaves it out (a stock configuration).
    dialplan: dict[str, list[DialplanApp]] = Field(default_factory=dict)
    # Every extension of a context, for execute_extension (a context given in ``dialplan`` only
    # has the one extension of its list). ``autodialer`` is freeswitch-conf's file, like ``autocall``.
    extensions: dict[str, list[Extension]] = Field(default_factory=dict)
    autocall_dialplan: bool = True
    # Modules this FreeSWITCH lacks (``module_exists`` says false; their applications
    # are invalid: a call that runs one is hung up DESTINATION_OUT_OF_ORDER).
    missing_modules: list[str] = []
    # The agents' softphones, rung by mod_callcenter at their ``user/<extension>`` contacts
    # (softphones.py); without it a user/ leg follows ``rules`` like any number.
    agents: Softphones | None = None

    @model_validator(mode="after")
    def _autocall_dialplan(self) -> Scenario:
        if "autocall" not in self.dialplan and self.autocall_dialplan:
            self.dialplan["autocall"] = autocall_context()
        if AUTODIALER_CONTEXT not in self.dialplan and self.autocall_dialplan:
            self.dialplan[AUTODIALER_CONTEXT], self.extensions[AUTODIALER_CONTEXT] = autodialer_context()
        return self

    def outcome(self, number: str, rng: random.Random) -> Outcome:
        for rule in self.rules:
            if re.search(rule.match, number):
                return _from_rule(rule, rng, self.default)
        return _from_mix(self.default, rng)

    def user_outcome(self, extension: str, rng: random.Random, rung: int = 1) -> Outcome | None:
        """What ``user/<extension>`` does when rung for the ``rung``-th time: None when its phone is not
        registered (or no longer: ``unregister_after``)."""
        if self.agents is None:
            return self.outcome(extension, rng)
        phone = self.agents.phone(extension)
        gone = phone.unregister_after is not None and rung > phone.unregister_after
        if not phone.registered or gone:
            return None
        ring = _pick(rng, phone.ring)
        if rng.random() >= phone.answer:
            if phone.refuse is not None:
                return Outcome("sip", ring=ring, sip=phone.refuse)
            return Outcome("no_answer", ring=0.02)
        hangup = "remote" if phone.hangup == "agent" else "local"  # local: the lead ends it (callcenter)
        return Outcome("answer", ring=ring, talk=_pick(rng, phone.talk), hangup=hangup)


@dataclass(slots=True)
class Outcome:
    kind: Literal["answer", "sip", "no_answer"]
    ring: float = 0.0
    early_media: float | None = None
    talk: float = 0.0
    hangup: str = "remote"
    dtmf: str = ""
    beep: bool = False
    sip: int = 0

    @property
    def cause(self) -> str:
        return sip_to_cause(self.sip) if self.kind == "sip" else ""


def _from_rule(rule: Rule, rng: random.Random, default: Default) -> Outcome:
    if rule.sip is not None:
        return Outcome("sip", ring=_pick(rng, rule.ring) if rule.ring is not None else 0.2, sip=rule.sip)
    if rule.no_answer:
        return Outcome("no_answer", ring=0.02)
    ans = rule.answer or Answer()
    ring = _pick(rng, rule.ring) if rule.ring is not None else (0.0 if rule.early_media else 0.5)
    return Outcome(
        "answer",
        ring=ring,
        early_media=rule.early_media,
        talk=_pick(rng, ans.talk),
        hangup=ans.hangup,
        dtmf=ans.dtmf,
        beep=ans.beep,
    )


def _from_mix(default: Default, rng: random.Random) -> Outcome:
    total = sum(default.mix.values())
    x = rng.random() * total
    choice = next(iter(default.mix))
    for key, p in default.mix.items():
        if x < p:
            choice = key
            break
        x -= p
    ring = _pick(rng, default.ring)
    if choice.startswith("sip"):
        return Outcome("sip", ring=min(ring, 1.0) if int(choice[3:]) != 480 else ring, sip=int(choice[3:]))
    if choice == "no_answer":
        return Outcome("no_answer", ring=0.02)
    talk = _pick(rng, default.talk)
    if choice == "early_media":
        return Outcome("answer", ring=0.0, early_media=ring, talk=talk, hangup=default.hangup)
    return Outcome("answer", ring=ring, talk=talk, hangup=default.hangup, beep=choice == "voicemail")


def load_scenario(path: str | Path | None) -> Scenario:
    if path is None:
        return Scenario()
    text = Path(path).read_text()
    if str(path).endswith((".yaml", ".yml")):
        import yaml

        data = yaml.safe_load(text) or {}
    else:
        data = json.loads(text)
    return Scenario.model_validate(data)
